/* Column steps of the Max / Min kernels (reduce.pyx), written to vectorise:
 * one row of w columns updates the running extremum m (and its index), or
 * scatters the gradient to the rows that hold it. A value wins when it is
 * NaN over a non-NaN, or strictly beyond: the first extremum stays (ties go
 * to the lowest index), NaN propagates, as NumPy's max / argmax. The
 * extension is compiled with -fno-trapping-math so the selects if-convert.
 */
#ifndef NNFUNC_REDUCE_H
#define NNFUNC_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#include "_vmath.h"

#define NNF_WINS(v, c, is_max) \
    ((is_max ? (v) > (c) : (v) < (c)) | (((v) != (v)) & ((c) == (c))))

#define NNF_RED(T, S)                                                          \
NNF_WIDE static void nnf_ext_row_##S(const T* restrict x, T* restrict m,        \
                                     ptrdiff_t w, int is_max) {                \
    if (is_max) {                                                              \
        for (ptrdiff_t j = 0; j < w; j++) {                                    \
            const T v = x[j], c = m[j];                                        \
            m[j] = NNF_WINS(v, c, 1) ? v : c;                                  \
        }                                                                      \
    } else {                                                                   \
        for (ptrdiff_t j = 0; j < w; j++) {                                    \
            const T v = x[j], c = m[j];                                        \
            m[j] = NNF_WINS(v, c, 0) ? v : c;                                  \
        }                                                                      \
    }                                                                          \
}                                                                              \
NNF_WIDE static void nnf_ext_arg_row_##S(const T* restrict x, T* restrict m,    \
                                         int32_t* restrict idx, ptrdiff_t w,   \
                                         int32_t k, int is_max) {              \
    if (is_max) {                                                              \
        for (ptrdiff_t j = 0; j < w; j++) {                                    \
            const T v = x[j], c = m[j];                                        \
            const int win = NNF_WINS(v, c, 1);                                 \
            m[j] = win ? v : c;                                                \
            idx[j] = win ? k : idx[j];                                         \
        }                                                                      \
    } else {                                                                   \
        for (ptrdiff_t j = 0; j < w; j++) {                                    \
            const T v = x[j], c = m[j];                                        \
            const int win = NNF_WINS(v, c, 0);                                 \
            m[j] = win ? v : c;                                                \
            idx[j] = win ? k : idx[j];                                         \
        }                                                                      \
    }                                                                          \
}                                                                              \
NNF_WIDE static void nnf_ext_scatter_##S(const T* restrict go,                  \
                                         const int32_t* restrict idx,          \
                                         T* restrict gi, ptrdiff_t w,          \
                                         int32_t k) {                          \
    for (ptrdiff_t j = 0; j < w; j++) gi[j] = idx[j] == k ? go[j] : 0;         \
}

NNF_RED(float, f)
NNF_RED(double, d)

#endif /* NNFUNC_REDUCE_H */

/* The forward of a strided transposed ("full") convolution by phases
 * (sub-pixel decomposition), for float (_f) and double (_d); 2-D is the
 * 3-D case with one plane (n = m = k = s = 1, p = 0 on the first axis).
 *
 * Per axis (stride s, kernel k, padding p): output position Y receives
 * input i through tap kk = Y + p - s i. Write Y + p = s A + q (0 <= q < s):
 * the taps of phase q are kk = q + s t (t = 0 .. T-1, T = ceil(k / s)) and
 * read i = A - t. So every output phase is a stride-1 correlation of the
 * input with a T-tap slice of the kernel, and all phases together are ONE
 * matrix product over a common grid of A:
 *     S  (T*C, G)   S[(t, c), A] = x[c, A - t]      (0 outside the input)
 *     Wa (Q*O, T*C) Wa[(q, o), (t, c)] = w[c, o, q + s t]   (0 if >= k)
 *     Z = Wa @ S    y[o, s A + q - p] = Z[(q, o), A] + b[o]
 * (3 axes: t, q and A are triples, flattened in axis order.) Wa is the
 * weight permuted (no zero blocks when s divides k), S is a few shifted
 * copies of the input, and every output is written once. The unfold method
 * instead writes a (k*O, input size) column matrix from its GEMM and folds
 * it back with read-modify-writes: for k = 2s, four times the data moved
 * after the product.
 *
 * Grid per axis: A from a0 = floor(p / s), G = ceil((m + p) / s) - a0
 * positions (every output's A lies in it).
 */
#ifndef NNFUNC_PHASE_H
#define NNFUNC_PHASE_H

#include <stddef.h>
#include <string.h>

typedef struct {
    ptrdiff_t C, O;            /* input planes (x), output planes (y) */
    ptrdiff_t n[3], m[3];      /* input and output sizes per axis */
    ptrdiff_t k[3], s[3], p[3];
    /* derived by nnf_phase_init */
    ptrdiff_t T[3], a0[3], G[3];
    ptrdiff_t TC, QO, Gt;      /* rows of S, rows of Z, columns of both */
} nnf_phase;

static inline ptrdiff_t nnf_phase_cdiv(ptrdiff_t a, ptrdiff_t b) {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static void nnf_phase_init(nnf_phase* g) {
    ptrdiff_t T = 1, Q = 1, Gt = 1;
    for (int d = 0; d < 3; d++) {
        g->T[d] = (g->k[d] + g->s[d] - 1) / g->s[d];
        g->a0[d] = g->p[d] / g->s[d];
        g->G[d] = nnf_phase_cdiv(g->m[d] + g->p[d], g->s[d]) - g->a0[d];
        T *= g->T[d];
        Q *= g->s[d];
        Gt *= g->G[d];
    }
    g->TC = T * g->C;
    g->QO = Q * g->O;
    g->Gt = Gt;
}

#define NNF_PHASE_DEFS(T_, S)                                                        \
/* Wa (QO, TC) from w (C, O, k0, k1, k2) */                                          \
static void nnf_phase_weights_##S(const T_* restrict w, T_* restrict wa,             \
                                  const nnf_phase* g) {                             \
    const ptrdiff_t C = g->C, O = g->O;                                              \
    const ptrdiff_t k0 = g->k[0], k1 = g->k[1], k2 = g->k[2];                        \
    for (ptrdiff_t q0 = 0; q0 < g->s[0]; q0++)                                       \
    for (ptrdiff_t q1 = 0; q1 < g->s[1]; q1++)                                       \
    for (ptrdiff_t q2 = 0; q2 < g->s[2]; q2++)                                       \
    for (ptrdiff_t o = 0; o < O; o++) {                                              \
        const ptrdiff_t qi = (q0 * g->s[1] + q1) * g->s[2] + q2;                     \
        T_* row = wa + (qi * O + o) * g->TC;                                         \
        for (ptrdiff_t t0 = 0; t0 < g->T[0]; t0++)                                   \
        for (ptrdiff_t t1 = 0; t1 < g->T[1]; t1++)                                   \
        for (ptrdiff_t t2 = 0; t2 < g->T[2]; t2++) {                                 \
            const ptrdiff_t ti = (t0 * g->T[1] + t1) * g->T[2] + t2;                 \
            const ptrdiff_t c0 = q0 + g->s[0] * t0, c1 = q1 + g->s[1] * t1;          \
            const ptrdiff_t c2 = q2 + g->s[2] * t2;                                  \
            const int in = c0 < k0 && c1 < k1 && c2 < k2;                            \
            for (ptrdiff_t c = 0; c < C; c++)                                        \
                row[ti * C + c] = in ? w[(((c * O + o) * k0 + c0) * k1 + c1) * k2 + c2] \
                                     : (T_)0;                                        \
        }                                                                            \
    }                                                                                \
}                                                                                    \
                                                                                     \
/* S (TC, Gt; row stride ld) from one input x (C, n0, n1, n2): rows (t, c),         \
   columns A */                                                                      \
static void nnf_phase_stack_##S(const T_* restrict x, T_* restrict st, ptrdiff_t ld, \
                                const nnf_phase* g) {                               \
    const ptrdiff_t C = g->C, n0 = g->n[0], n1 = g->n[1], n2 = g->n[2];              \
    const ptrdiff_t G0 = g->G[0], G1 = g->G[1], G2 = g->G[2];                        \
    for (ptrdiff_t t0 = 0; t0 < g->T[0]; t0++)                                       \
    for (ptrdiff_t t1 = 0; t1 < g->T[1]; t1++)                                       \
    for (ptrdiff_t t2 = 0; t2 < g->T[2]; t2++) {                                     \
        /* input index i = A + a0 - t along each axis */                             \
        const ptrdiff_t d0 = g->a0[0] - t0, d1 = g->a0[1] - t1, d2 = g->a0[2] - t2;  \
        ptrdiff_t lo = -d2 > 0 ? -d2 : 0, hi = n2 - d2 < G2 ? n2 - d2 : G2;           \
        if (hi < lo) hi = lo;                                                        \
        const ptrdiff_t ti = (t0 * g->T[1] + t1) * g->T[2] + t2;                     \
        for (ptrdiff_t c = 0; c < C; c++) {                                          \
            T_* row = st + (ti * C + c) * ld;                                        \
            const T_* xc = x + c * n0 * n1 * n2;                                     \
            for (ptrdiff_t A0 = 0; A0 < G0; A0++) {                                  \
                const ptrdiff_t i0 = A0 + d0;                                        \
                for (ptrdiff_t A1 = 0; A1 < G1; A1++, row += G2) {                   \
                    const ptrdiff_t i1 = A1 + d1;                                    \
                    if (i0 < 0 || i0 >= n0 || i1 < 0 || i1 >= n1 || hi == lo) {      \
                        memset(row, 0, (size_t)G2 * sizeof(T_));                     \
                        continue;                                                    \
                    }                                                                \
                    const T_* src = xc + (i0 * n1 + i1) * n2 + d2;                   \
                    for (ptrdiff_t A2 = 0; A2 < lo; A2++) row[A2] = 0;               \
                    memcpy(row + lo, src + lo, (size_t)(hi - lo) * sizeof(T_));      \
                    for (ptrdiff_t A2 = hi; A2 < G2; A2++) row[A2] = 0;              \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    }                                                                                \
}                                                                                    \
                                                                                     \
/* y (O, m0, m1, m2) = Z (QO, Gt; row stride ld) put back in place, + b[o]          \
   (b may be NULL) */                                                                \
static void nnf_phase_scatter_##S(const T_* restrict z, ptrdiff_t ld,                \
                                  T_* restrict y, const T_* restrict b,             \
                                  const nnf_phase* g) {                             \
    const ptrdiff_t O = g->O, m0 = g->m[0], m1 = g->m[1], m2 = g->m[2];              \
    const ptrdiff_t s0 = g->s[0], s1 = g->s[1], s2 = g->s[2];                        \
    const ptrdiff_t p0 = g->p[0], p1 = g->p[1], p2 = g->p[2];                        \
    const ptrdiff_t G1 = g->G[1], G2 = g->G[2];                                      \
    for (ptrdiff_t o = 0; o < O; o++) {                                              \
        const T_ bv = b != NULL ? b[o] : (T_)0;                                      \
        for (ptrdiff_t Y0 = 0; Y0 < m0; Y0++) {                                      \
            const ptrdiff_t q0 = (Y0 + p0) % s0, A0 = (Y0 + p0) / s0 - g->a0[0];     \
            for (ptrdiff_t Y1 = 0; Y1 < m1; Y1++) {                                  \
                const ptrdiff_t q1 = (Y1 + p1) % s1, A1 = (Y1 + p1) / s1 - g->a0[1]; \
                T_* yr = y + ((o * m0 + Y0) * m1 + Y1) * m2;                         \
                for (ptrdiff_t q2 = 0; q2 < s2; q2++) {                              \
                    /* Y2 = s2 A + q2 - p2 in [0, m2) */                             \
                    const ptrdiff_t alo = nnf_phase_cdiv(p2 - q2, s2);               \
                    const ptrdiff_t ahi = nnf_phase_cdiv(m2 + p2 - q2, s2);          \
                    const ptrdiff_t qi = (q0 * s1 + q1) * s2 + q2;                   \
                    const T_* zr = z + (qi * O + o) * ld + (A0 * G1 + A1) * G2       \
                                   - g->a0[2];                                       \
                    T_* yq = yr + q2 - p2;                                           \
                    for (ptrdiff_t A = alo; A < ahi; A++) yq[s2 * A] = zr[A] + bv;   \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    }                                                                                \
}

NNF_PHASE_DEFS(float, f)
NNF_PHASE_DEFS(double, d)

#endif /* NNFUNC_PHASE_H */

# Fused-type wrappers of the row primitives in _norm.h (see there): each
# name calls the float or double C function, picked at compile time.

from nnfunc._cpu._blas cimport floating

cdef extern from "_norm.h" nogil:
    double nnf_sum_f(const float* x, Py_ssize_t n) noexcept
    double nnf_sum_d(const double* x, Py_ssize_t n) noexcept
    double nnf_dot_f(const float* x, const float* y, Py_ssize_t n) noexcept
    double nnf_dot_d(const double* x, const double* y, Py_ssize_t n) noexcept
    double nnf_abssum_f(const float* x, Py_ssize_t n) noexcept
    double nnf_abssum_d(const double* x, Py_ssize_t n) noexcept
    void nnf_moments_f(const float* x, const float* g, Py_ssize_t n, double* mx, double* my, double* m2, double* cxy) noexcept
    void nnf_moments_d(const double* x, const double* g, Py_ssize_t n, double* mx, double* my, double* m2, double* cxy) noexcept
    void nnf_axpb_f(const float* x, float* y, Py_ssize_t n, float m, float a, float b) noexcept
    void nnf_axpb_d(const double* x, double* y, Py_ssize_t n, double m, double a, double b) noexcept
    void nnf_bngi_f(const float* g, const float* x, float* gi, Py_ssize_t n, float a, float m, float bb, float d) noexcept
    void nnf_bngi_d(const double* g, const double* x, double* gi, Py_ssize_t n, double a, double m, double bb, double d) noexcept
    void nnf_scalesums_f(const float* g, const float* x, float* gi, Py_ssize_t n, float a, float m, double* sg, double* sxg) noexcept
    void nnf_scalesums_d(const double* g, const double* x, double* gi, Py_ssize_t n, double a, double m, double* sg, double* sxg) noexcept
    void nnf_welford_f(const float* x, const float* g, double* mx, double* my, double* m2, double* cxy, Py_ssize_t C, double inv) noexcept
    void nnf_welford_d(const double* x, const double* g, double* mx, double* my, double* m2, double* cxy, Py_ssize_t C, double inv) noexcept
    void nnf_caxpb_f(const float* x, float* y, const float* m, const float* a, const float* b, Py_ssize_t C) noexcept
    void nnf_caxpb_d(const double* x, double* y, const double* m, const double* a, const double* b, Py_ssize_t C) noexcept
    void nnf_cbngi_f(const float* g, const float* x, float* gi, const float* a, const float* m, const float* bb, const float* d, Py_ssize_t C) noexcept
    void nnf_cbngi_d(const double* g, const double* x, double* gi, const double* a, const double* m, const double* bb, const double* d, Py_ssize_t C) noexcept
    void nnf_cscalesums_f(const float* g, const float* x, float* gi, const float* a, const float* m, double* sg, double* sxg, Py_ssize_t C) noexcept
    void nnf_cscalesums_d(const double* g, const double* x, double* gi, const double* a, const double* m, double* sg, double* sxg, Py_ssize_t C) noexcept
    void nnf_lnfwd_f(const float* x, float* y, const float* w, const float* b, Py_ssize_t n, float m, float r) noexcept
    void nnf_lnfwd_d(const double* x, double* y, const double* w, const double* b, Py_ssize_t n, double m, double r) noexcept
    void nnf_lnbwd_f(const float* x, const float* go, float* gi, const float* w, float* aw, float* ab, Py_ssize_t n, float m, float r) noexcept
    void nnf_lnbwd_d(const double* x, const double* go, double* gi, const double* w, double* aw, double* ab, Py_ssize_t n, double m, double r) noexcept
    void nnf_l1gi_f(const float* g, const float* x, float* gi, Py_ssize_t n, float inv, float c) noexcept
    void nnf_l1gi_d(const double* g, const double* x, double* gi, Py_ssize_t n, double inv, double c) noexcept
    void nnf_acc_f(const float* a, float* s, Py_ssize_t n, int sq) noexcept
    void nnf_acc_d(const double* a, double* s, Py_ssize_t n, int sq) noexcept
    void nnf_powneg_f(float* s, float* p, Py_ssize_t n, float mul, float add, int mode, double beta) noexcept
    void nnf_powneg_d(double* s, double* p, Py_ssize_t n, double mul, double add, int mode, double beta) noexcept
    void nnf_mul_f(const float* a, const float* b, float* y, Py_ssize_t n) noexcept
    void nnf_mul_d(const double* a, const double* b, double* y, Py_ssize_t n) noexcept
    void nnf_lrnt_f(const float* g, const float* x, const float* p, const float* s, float* t, Py_ssize_t n) noexcept
    void nnf_lrnt_d(const double* g, const double* x, const double* p, const double* s, double* t, Py_ssize_t n) noexcept
    void nnf_lrngi_f(const float* g, const float* x, const float* p, const float* s, float* gi, Py_ssize_t n, float f) noexcept
    void nnf_lrngi_d(const double* g, const double* x, const double* p, const double* s, double* gi, Py_ssize_t n, double f) noexcept


cdef inline double rsum(const floating* x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return nnf_sum_f(x, n)
    else:
        return nnf_sum_d(x, n)

cdef inline double dot(const floating* x, const floating* y, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return nnf_dot_f(x, y, n)
    else:
        return nnf_dot_d(x, y, n)

cdef inline double abssum(const floating* x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return nnf_abssum_f(x, n)
    else:
        return nnf_abssum_d(x, n)

cdef inline void moments(const floating* x, const floating* g, Py_ssize_t n, double* mx, double* my, double* m2, double* cxy) noexcept nogil:
    if floating is float:
        nnf_moments_f(x, g, n, mx, my, m2, cxy)
    else:
        nnf_moments_d(x, g, n, mx, my, m2, cxy)

cdef inline void axpb(const floating* x, floating* y, Py_ssize_t n, floating m, floating a, floating b) noexcept nogil:
    if floating is float:
        nnf_axpb_f(x, y, n, m, a, b)
    else:
        nnf_axpb_d(x, y, n, m, a, b)

cdef inline void bngi(const floating* g, const floating* x, floating* gi, Py_ssize_t n, floating a, floating m, floating bb, floating d) noexcept nogil:
    if floating is float:
        nnf_bngi_f(g, x, gi, n, a, m, bb, d)
    else:
        nnf_bngi_d(g, x, gi, n, a, m, bb, d)

cdef inline void scalesums(const floating* g, const floating* x, floating* gi, Py_ssize_t n, floating a, floating m, double* sg, double* sxg) noexcept nogil:
    if floating is float:
        nnf_scalesums_f(g, x, gi, n, a, m, sg, sxg)
    else:
        nnf_scalesums_d(g, x, gi, n, a, m, sg, sxg)

cdef inline void welford(const floating* x, const floating* g, double* mx, double* my, double* m2, double* cxy, Py_ssize_t C, double inv) noexcept nogil:
    if floating is float:
        nnf_welford_f(x, g, mx, my, m2, cxy, C, inv)
    else:
        nnf_welford_d(x, g, mx, my, m2, cxy, C, inv)

cdef inline void caxpb(const floating* x, floating* y, const floating* m, const floating* a, const floating* b, Py_ssize_t C) noexcept nogil:
    if floating is float:
        nnf_caxpb_f(x, y, m, a, b, C)
    else:
        nnf_caxpb_d(x, y, m, a, b, C)

cdef inline void cbngi(const floating* g, const floating* x, floating* gi, const floating* a, const floating* m, const floating* bb, const floating* d, Py_ssize_t C) noexcept nogil:
    if floating is float:
        nnf_cbngi_f(g, x, gi, a, m, bb, d, C)
    else:
        nnf_cbngi_d(g, x, gi, a, m, bb, d, C)

cdef inline void cscalesums(const floating* g, const floating* x, floating* gi, const floating* a, const floating* m, double* sg, double* sxg, Py_ssize_t C) noexcept nogil:
    if floating is float:
        nnf_cscalesums_f(g, x, gi, a, m, sg, sxg, C)
    else:
        nnf_cscalesums_d(g, x, gi, a, m, sg, sxg, C)

cdef inline void lnfwd(const floating* x, floating* y, const floating* w, const floating* b, Py_ssize_t n, floating m, floating r) noexcept nogil:
    if floating is float:
        nnf_lnfwd_f(x, y, w, b, n, m, r)
    else:
        nnf_lnfwd_d(x, y, w, b, n, m, r)

cdef inline void lnbwd(const floating* x, const floating* go, floating* gi, const floating* w, floating* aw, floating* ab, Py_ssize_t n, floating m, floating r) noexcept nogil:
    if floating is float:
        nnf_lnbwd_f(x, go, gi, w, aw, ab, n, m, r)
    else:
        nnf_lnbwd_d(x, go, gi, w, aw, ab, n, m, r)

cdef inline void l1gi(const floating* g, const floating* x, floating* gi, Py_ssize_t n, floating inv, floating c) noexcept nogil:
    if floating is float:
        nnf_l1gi_f(g, x, gi, n, inv, c)
    else:
        nnf_l1gi_d(g, x, gi, n, inv, c)

cdef inline void acc(const floating* a, floating* s, Py_ssize_t n, int sq) noexcept nogil:
    if floating is float:
        nnf_acc_f(a, s, n, sq)
    else:
        nnf_acc_d(a, s, n, sq)

cdef inline void powneg(floating* s, floating* p, Py_ssize_t n, floating mul, floating add, int mode, double beta) noexcept nogil:
    if floating is float:
        nnf_powneg_f(s, p, n, mul, add, mode, beta)
    else:
        nnf_powneg_d(s, p, n, mul, add, mode, beta)

cdef inline void mul(const floating* a, const floating* b, floating* y, Py_ssize_t n) noexcept nogil:
    if floating is float:
        nnf_mul_f(a, b, y, n)
    else:
        nnf_mul_d(a, b, y, n)

cdef inline void lrnt(const floating* g, const floating* x, const floating* p, const floating* s, floating* t, Py_ssize_t n) noexcept nogil:
    if floating is float:
        nnf_lrnt_f(g, x, p, s, t, n)
    else:
        nnf_lrnt_d(g, x, p, s, t, n)

cdef inline void lrngi(const floating* g, const floating* x, const floating* p, const floating* s, floating* gi, Py_ssize_t n, floating f) noexcept nogil:
    if floating is float:
        nnf_lrngi_f(g, x, p, s, gi, n, f)
    else:
        nnf_lrngi_d(g, x, p, s, gi, n, f)

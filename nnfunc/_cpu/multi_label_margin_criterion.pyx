"""MultiLabelMarginCriterion kernels: multi-label hinge loss over the rows of (n, nc).

Row i's targets are t[i, 0..k) up to the first -1 (all nc when there is none;
validated: each in [0, nc) or -1). With T the set of those classes,
loss = sum_i sum_{j listed} sum_{c not in T} max(0, 1 - x[j] + x[c]) / nc [/ n]
(a class listed twice counts twice, as Torch7). Gradient: for each active
term, gi[c] += g and gi[j] -= g, g = gradOutput / nc [/ n]. ``is_target``
is an nc-byte scratch row (rebuilt per row).
"""

cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef Py_ssize_t _mark(const int64_t* ti, Py_ssize_t nc, unsigned char* is_t) noexcept nogil:
    """is_t[c] = 1 for the listed classes; returns how many are listed."""
    cdef Py_ssize_t k = 0
    memset(is_t, 0, <size_t>nc)
    while k < nc and ti[k] >= 0:
        is_t[ti[k]] = 1
        k += 1
    return k


cdef double _forward(const floating* x, const int64_t* t, unsigned char* is_t, Py_ssize_t n,
                     Py_ssize_t nc) noexcept nogil:
    cdef Py_ssize_t i, k, nk, c
    cdef double s = 0.0, xj, z
    cdef const floating* xo
    for i in range(n):
        xo = x + i * nc
        nk = _mark(t + i * nc, nc, is_t)
        for k in range(nk):
            xj = 1.0 - <double>xo[t[i * nc + k]]
            for c in range(nc):
                z = xj + xo[c]
                s += z if (z > 0.0 and not is_t[c]) else 0.0
    return s


cdef void _backward(const floating* x, const int64_t* t, unsigned char* is_t, floating* gi,
                    Py_ssize_t n, Py_ssize_t nc, double g) noexcept nogil:
    cdef Py_ssize_t i, k, nk, c
    cdef int64_t j
    cdef double xj, z, cnt
    cdef const floating* xo
    cdef floating* gio
    memset(gi, 0, <size_t>(n * nc) * sizeof(floating))
    for i in range(n):
        xo = x + i * nc
        gio = gi + i * nc
        nk = _mark(t + i * nc, nc, is_t)
        for k in range(nk):
            j = t[i * nc + k]
            xj = 1.0 - <double>xo[j]
            cnt = 0.0
            for c in range(nc):
                z = xj + xo[c]
                if z > 0.0 and not is_t[c]:
                    gio[c] = <floating>(gio[c] + g)
                    cnt += 1.0
            gio[j] = <floating>(gio[j] - g * cnt)


def update_output(cnp.ndarray x, cnp.ndarray t, cnp.ndarray is_t, cnp.ndarray y,
                  Py_ssize_t n, Py_ssize_t nc, double norm):
    """y[()] = norm * the hinge sum (norm = 1/nc [/ n]). x (n, nc) C-contiguous;
    t (n, nc) int64 validated; is_t: nc-byte scratch."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef unsigned char* pm = <unsigned char*>cnp.PyArray_DATA(is_t)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef double s
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            s = _forward(<const float*>px, pt, pm, n, nc)
            (<float*>py)[0] = <float>(s * norm)
    else:
        with nogil:
            s = _forward(<const double*>px, pt, pm, n, nc)
            (<double*>py)[0] = s * norm


def update_grad_input(cnp.ndarray x, cnp.ndarray t, cnp.ndarray is_t, cnp.ndarray gi,
                      Py_ssize_t n, Py_ssize_t nc, double g):
    """gi (n, nc): the subgradient times g = norm * gradOutput; as update_output."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef unsigned char* pm = <unsigned char*>cnp.PyArray_DATA(is_t)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, pt, pm, <float*>pgi, n, nc, g)
    else:
        with nogil:
            _backward(<const double*>px, pt, pm, <double*>pgi, n, nc, g)

"""SpatialMaxUnpooling kernels: scatter by plane offsets, and the gather back.

The input is `planes` planes of L = h*w values, each with an int64 index in
[0, O) (O = H*W, the output plane size; the caller has validated every
index). Forward: the output planes are zeroed, then y[p, idx] = x[p, i] in
input order, so where two inputs name one position the later one stays.
Backward: gi[p, i] = go[p, idx[p, i]].
"""

cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _forward(const floating* x, const int64_t* ind, floating* y, Py_ssize_t planes,
                   Py_ssize_t L, Py_ssize_t O) noexcept nogil:
    cdef Py_ssize_t p, i
    cdef const floating* xp
    cdef const int64_t* ip
    cdef floating* yp
    memset(y, 0, planes * O * sizeof(floating))
    for p in range(planes):
        xp = x + p * L
        ip = ind + p * L
        yp = y + p * O
        for i in range(L):
            yp[ip[i]] = xp[i]


cdef void _backward(const floating* go, const int64_t* ind, floating* gi, Py_ssize_t planes,
                    Py_ssize_t L, Py_ssize_t O) noexcept nogil:
    cdef Py_ssize_t p, i
    cdef const floating* gp
    cdef const int64_t* ip
    cdef floating* op
    for p in range(planes):
        gp = go + p * O
        ip = ind + p * L
        op = gi + p * L
        for i in range(L):
            op[i] = gp[ip[i]]


def update_output(cnp.ndarray x, cnp.ndarray ind, cnp.ndarray y, Py_ssize_t planes,
                  Py_ssize_t L, Py_ssize_t O):
    """y = zeros with x scattered to the (validated, int64) plane offsets ind."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pind = <const int64_t*>cnp.PyArray_DATA(ind)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, pind, <float*>py, planes, L, O)
    else:
        with nogil:
            _forward(<const double*>px, pind, <double*>py, planes, L, O)


def update_grad_input(cnp.ndarray go, cnp.ndarray ind, cnp.ndarray gi, Py_ssize_t planes,
                      Py_ssize_t L, Py_ssize_t O):
    """gi = go gathered at the plane offsets ind (written over)."""
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef const int64_t* pind = <const int64_t*>cnp.PyArray_DATA(ind)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>pgo, pind, <float*>pgi, planes, L, O)
    else:
        with nogil:
            _backward(<const double*>pgo, pind, <double*>pgi, planes, L, O)

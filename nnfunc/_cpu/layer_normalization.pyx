"""LayerNormalization kernels: each of the N rows of D features is
normalised by its own mean and biased variance (plus eps / D, Torch7's
composite), then scaled by weight and shifted by bias (optional).

    update_output(x, y, w, b, N, D, eps)
        y = (x - mean) r * w + b,  r = 1 / sqrt(var + eps / D)
    update_grad(x, go, gi, gw, gb, w, ws, N, D, eps)
        with g = go * w and xhat = (x - mean) r (recomputed from x):
        gi = r (g - mean(g) - xhat mean(g xhat)); gw = sum_N go xhat;
        gb = sum_N go (written over; ws: float64 workspace of 2*D).

Per row: the statistics in two sweeps over the cached row (double lanes),
then one sweep that writes the result. w, b, gw, gb may be None.
"""

cimport numpy as cnp
from libc.math cimport sqrt

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._moments cimport lanes_sum, row_moments

cnp.import_array()


cdef void _forward(const floating* x, floating* y, const floating* w, const floating* b,
                   Py_ssize_t N, Py_ssize_t D, double eps) noexcept nogil:
    cdef Py_ssize_t n, i
    cdef double m, m2
    cdef floating fm, fr
    cdef const floating* xr
    cdef floating* yr
    for n in range(N):
        xr = x + n * D
        yr = y + n * D
        row_moments(xr, D, &m, &m2)
        fm = <floating>m
        fr = <floating>(1.0 / sqrt(m2 / D + eps / D))
        if w != NULL:
            for i in range(D):
                yr[i] = (xr[i] - fm) * fr * w[i] + b[i]
        else:
            for i in range(D):
                yr[i] = (xr[i] - fm) * fr


cdef void _backward(const floating* x, const floating* go, floating* gi, floating* gw,
                    floating* gb, const floating* w, double* ws, Py_ssize_t N,
                    Py_ssize_t D, double eps) noexcept nogil:
    cdef Py_ssize_t n, i, j, D8 = D - D % 8
    cdef double m, m2, r, sg, sgx
    cdef double p[8]
    cdef double q[8]
    cdef double* aw = ws
    cdef double* ab = ws + D
    cdef floating fm, fr, xh, g, c1, c2
    cdef const floating* xr
    cdef const floating* gr
    cdef floating* ir
    for i in range(D):
        aw[i] = 0
        ab[i] = 0
    for n in range(N):
        xr = x + n * D
        gr = go + n * D
        ir = gi + n * D
        row_moments(xr, D, &m, &m2)
        r = 1.0 / sqrt(m2 / D + eps / D)
        fm = <floating>m
        fr = <floating>r
        # sums of g = go w and of g xhat, and the parameter gradients
        for j in range(8):
            p[j] = 0
            q[j] = 0
        for i in range(0, D8, 8):
            for j in range(8):
                xh = (xr[i + j] - fm) * fr
                g = gr[i + j] * w[i + j] if w != NULL else gr[i + j]
                p[j] += g
                q[j] += g * xh
        sg = lanes_sum(p)
        sgx = lanes_sum(q)
        for i in range(D8, D):
            xh = (xr[i] - fm) * fr
            g = gr[i] * w[i] if w != NULL else gr[i]
            sg += g
            sgx += g * xh
        if w != NULL:
            for i in range(D):
                xh = (xr[i] - fm) * fr
                aw[i] += gr[i] * xh
                ab[i] += gr[i]
        c1 = <floating>(sg / D)
        c2 = <floating>(sgx / D)
        if w != NULL:
            for i in range(D):
                xh = (xr[i] - fm) * fr
                ir[i] = fr * (gr[i] * w[i] - c1 - xh * c2)
        else:
            for i in range(D):
                xh = (xr[i] - fm) * fr
                ir[i] = fr * (gr[i] - c1 - xh * c2)
    if gw != NULL:
        for i in range(D):
            gw[i] = <floating>aw[i]
            gb[i] = <floating>ab[i]


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray y, w, b, Py_ssize_t N, Py_ssize_t D,
                  double eps):
    """y = layer-normalised x (see the module docstring)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pw = _ptr(w)
    cdef void* pb = _ptr(b)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, <const float*>pw, <const float*>pb,
                     N, D, eps)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, <const double*>pw, <const double*>pb,
                     N, D, eps)


def update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, gw, gb, w,
                cnp.ndarray ws, Py_ssize_t N, Py_ssize_t D, double eps):
    """gradInput, gradWeight, gradBias (written over)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = _ptr(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* pw = _ptr(w)
    cdef double* pws = <double*>cnp.PyArray_DATA(ws)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, <float*>pgw,
                      <float*>pgb, <const float*>pw, pws, N, D, eps)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, <double*>pgw,
                      <double*>pgb, <const double*>pw, pws, N, D, eps)

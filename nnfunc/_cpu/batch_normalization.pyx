"""Batch normalisation kernels, shared by BatchNormalization (S = 1),
SpatialBatchNormalization (S = H*W) and VolumetricBatchNormalization
(S = T*H*W).

The input is viewed as (N, C, S): channel c owns the N rows x[n, c, :] of S
contiguous values. Statistics are per channel over N*S values, in double.

Statistics in one pass over memory, stably:
- S > 1: each row (in L1) gets its own mean and sum of squared deviations
  (two sweeps over the cached row, the SIMD lanes of _norm.h); rows are
  merged with Chan's pairwise update (in the gradient also the co-moment of
  x and gradOutput), so no sum of squares is ever subtracted from another.
- S = 1: Welford's online update per channel, vectorised across the C
  channels of each row of the (N, C) input.

  update_output(x, y, w, b, rm, rv, new_rm, new_rv, ws, N, C, S, train,
                momentum, eps)
      train: statistics, then y = (x - mean) a + bias with
      a = weight / sqrt(var + eps) (biased var), and when new_rm is given
      new_rm = (1 - m) rm + m mean, new_rv = (1 - m) rv + m var_unbiased;
      eval: y = (x - rm) / sqrt(rv + eps) * weight + bias (one pass).
  update_grad(x, go, gi, gw, gb, w, rm, rv, ws, N, C, S, train, eps)
      train: pass 1 statistics, sum of gradOutput and the co-moment
      sum((x - mean) go); pass 2 gi = (go - mean(go) - (x - mean) k) a,
      k = co-moment / (var + eps) / count; gw = co-moment / sqrt(var + eps),
      gb = sum(go). eval: gi = go a (one pass with the gw/gb sums).

w, b, rm, rv, new_rm, new_rv, gw, gb may be None. All arrays C-contiguous
in the input's dtype except ``ws`` (float64, at least 6*C). Gradient
outputs are written over. The caller guarantees count = N*S >= 2 in
training mode.
"""

cimport numpy as cnp
from libc.math cimport sqrt

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._norm cimport axpb, bngi, caxpb, cbngi, cscalesums, moments, scalesums, welford

cnp.import_array()


cdef void _stats(const floating* x, const floating* go, Py_ssize_t N, Py_ssize_t C,
                 Py_ssize_t S, double* mx, double* my, double* m2,
                 double* cxy) noexcept nogil:
    # per channel over N*S values: mean and sum of squared deviations of x;
    # with go (not NULL) also the mean of go and sum (x - mean) go
    cdef Py_ssize_t n, c
    cdef double d, dy, cnt, f, rmx, rmy, rm2, rc
    cdef const floating* gr = NULL
    for c in range(C):
        mx[c] = 0
        my[c] = 0
        m2[c] = 0
        cxy[c] = 0
    if S == 1:
        for n in range(N):
            welford(x + n * C, go + n * C if go != NULL else NULL, mx, my, m2, cxy, C,
                    1.0 / (n + 1))
        return
    for c in range(C):
        cnt = 0
        for n in range(N):
            if go != NULL:
                gr = go + (n * C + c) * S
            moments(x + (n * C + c) * S, gr, S, &rmx, &rmy, &rm2, &rc)
            # Chan's merge of the row into the channel's running moments
            d = rmx - mx[c]
            f = S / (cnt + S)
            mx[c] += d * f
            m2[c] += rm2 + d * d * cnt * f
            if go != NULL:
                dy = rmy - my[c]
                my[c] += dy * f
                cxy[c] += rc + d * dy * cnt * f
            cnt += S


cdef void _forward(const floating* x, floating* y, const floating* w, const floating* b,
                   const floating* rm, const floating* rv, floating* nrm, floating* nrv,
                   double* ws, floating* fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                   bint train, double momentum, double eps) noexcept nogil:
    cdef double* mean = ws
    cdef double* m2 = ws + C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef floating* fb = fws + 2 * C
    cdef Py_ssize_t n, c
    cdef double cnt = <double>N * S, inv
    if train:
        _stats(x, <const floating*>NULL, N, C, S, mean, ws + 2 * C, m2, ws + 3 * C)
        for c in range(C):
            inv = 1.0 / sqrt(m2[c] / cnt + eps)
            fm[c] = <floating>mean[c]
            fa[c] = <floating>(inv * (w[c] if w != NULL else 1.0))
            fb[c] = b[c] if b != NULL else 0
            if nrm != NULL:
                nrm[c] = <floating>((1 - momentum) * rm[c] + momentum * mean[c])
                nrv[c] = <floating>((1 - momentum) * rv[c] + momentum * m2[c] / (cnt - 1))
    else:
        for c in range(C):
            inv = 1.0 / sqrt(<double>rv[c] + eps)
            fm[c] = rm[c]
            fa[c] = <floating>(inv * (w[c] if w != NULL else 1.0))
            fb[c] = b[c] if b != NULL else 0
    # y = (x - mean) a + b
    if S == 1:
        for n in range(N):
            caxpb(x + n * C, y + n * C, fm, fa, fb, C)
        return
    for n in range(N):
        for c in range(C):
            axpb(x + (n * C + c) * S, y + (n * C + c) * S, S, fm[c], fa[c], fb[c])


cdef void _backward_train(const floating* x, const floating* go, floating* gi,
                          floating* gw, floating* gb, const floating* w, double* ws,
                          floating* fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                          double eps) noexcept nogil:
    cdef double* mx = ws
    cdef double* my = ws + C
    cdef double* m2 = ws + 2 * C
    cdef double* cxy = ws + 3 * C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef floating* fb = fws + 2 * C
    cdef floating* fd = fws + 3 * C
    cdef Py_ssize_t n, c
    cdef double cnt = <double>N * S, invstd, a, k
    # pass 1: statistics of x, mean of go, co-moment sum (x - mean) go
    _stats(x, go, N, C, S, mx, my, m2, cxy)
    for c in range(C):
        invstd = 1.0 / sqrt(m2[c] / cnt + eps)
        a = invstd * (w[c] if w != NULL else 1.0)
        k = cxy[c] * invstd * invstd / cnt
        # gi = (go - mean(go) - (x - mean) k) a = go a + (x - mean) (-k a) - mean(go) a
        fm[c] = <floating>mx[c]
        fa[c] = <floating>a
        fb[c] = <floating>(-k * a)
        fd[c] = <floating>(-my[c] * a)
        if gw != NULL:
            gw[c] = <floating>(cxy[c] * invstd)
        if gb != NULL:
            gb[c] = <floating>(my[c] * cnt)
    # pass 2
    if S == 1:
        for n in range(N):
            cbngi(go + n * C, x + n * C, gi + n * C, fa, fm, fb, fd, C)
        return
    for n in range(N):
        for c in range(C):
            bngi(go + (n * C + c) * S, x + (n * C + c) * S, gi + (n * C + c) * S, S,
                 fa[c], fm[c], fb[c], fd[c])


cdef void _backward_eval(const floating* x, const floating* go, floating* gi,
                         floating* gw, floating* gb, const floating* w, const floating* rm,
                         const floating* rv, double* ws, floating* fws, Py_ssize_t N,
                         Py_ssize_t C, Py_ssize_t S, double eps) noexcept nogil:
    # gi = go a (one pass, with the sums of go and go (x - rm));
    # gw = sum(go (x - rm)) / sqrt(rv + eps); gb = sum(go)
    cdef double* sg = ws
    cdef double* sxg = ws + C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef Py_ssize_t n, c
    cdef double s1, s2
    for c in range(C):
        sg[c] = 0
        sxg[c] = 0
        fm[c] = rm[c]
        fa[c] = <floating>((w[c] if w != NULL else 1.0) / sqrt(<double>rv[c] + eps))
    if S == 1:
        for n in range(N):
            cscalesums(go + n * C, x + n * C, gi + n * C, fa, fm, sg, sxg, C)
    else:
        for n in range(N):
            for c in range(C):
                scalesums(go + (n * C + c) * S, x + (n * C + c) * S, gi + (n * C + c) * S,
                          S, fa[c], fm[c], &s1, &s2)
                sg[c] += s1
                sxg[c] += s2
    for c in range(C):
        if gw != NULL:
            gw[c] = <floating>(sxg[c] / sqrt(<double>rv[c] + eps))
        if gb != NULL:
            gb[c] = <floating>sg[c]


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray y, w, b, rm, rv, new_rm, new_rv,
                  cnp.ndarray ws, cnp.ndarray fws, Py_ssize_t N, Py_ssize_t C,
                  Py_ssize_t S, bint train, double momentum, double eps):
    """y = batch-normalised x (see the module docstring)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pw = _ptr(w)
    cdef void* pb = _ptr(b)
    cdef void* prm = _ptr(rm)
    cdef void* prv = _ptr(rv)
    cdef void* pnrm = _ptr(new_rm)
    cdef void* pnrv = _ptr(new_rv)
    cdef double* pws = <double*>cnp.PyArray_DATA(ws)
    cdef void* pfws = cnp.PyArray_DATA(fws)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, <const float*>pw, <const float*>pb,
                     <const float*>prm, <const float*>prv, <float*>pnrm, <float*>pnrv,
                     pws, <float*>pfws, N, C, S, train, momentum, eps)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, <const double*>pw, <const double*>pb,
                     <const double*>prm, <const double*>prv, <double*>pnrm,
                     <double*>pnrv, pws, <double*>pfws, N, C, S, train, momentum, eps)


def update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, gw, gb, w, rm, rv,
                cnp.ndarray ws, cnp.ndarray fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                bint train, double eps):
    """gradInput, gradWeight, gradBias (written over; see the module docstring)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = _ptr(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* pw = _ptr(w)
    cdef void* prm = _ptr(rm)
    cdef void* prv = _ptr(rv)
    cdef double* pws = <double*>cnp.PyArray_DATA(ws)
    cdef void* pfws = cnp.PyArray_DATA(fws)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            if train:
                _backward_train(<const float*>px, <const float*>pgo, <float*>pgi,
                                <float*>pgw, <float*>pgb, <const float*>pw, pws,
                                <float*>pfws, N, C, S, eps)
            else:
                _backward_eval(<const float*>px, <const float*>pgo, <float*>pgi,
                               <float*>pgw, <float*>pgb, <const float*>pw,
                               <const float*>prm, <const float*>prv, pws, <float*>pfws,
                               N, C, S, eps)
    else:
        with nogil:
            if train:
                _backward_train(<const double*>px, <const double*>pgo, <double*>pgi,
                                <double*>pgw, <double*>pgb, <const double*>pw, pws,
                                <double*>pfws, N, C, S, eps)
            else:
                _backward_eval(<const double*>px, <const double*>pgo, <double*>pgi,
                               <double*>pgw, <double*>pgb, <const double*>pw,
                               <const double*>prm, <const double*>prv, pws,
                               <double*>pfws, N, C, S, eps)

"""Batch normalisation kernels, shared by BatchNormalization (S = 1),
SpatialBatchNormalization (S = H*W) and VolumetricBatchNormalization
(S = T*H*W).

The input is viewed as (N, C, S): channel c owns the N rows x[n, c, :] of S
contiguous values. Statistics are per channel over N*S values, in double.

Statistics in one pass over memory, stably:
- S > 1: each row (in L1) gets its own mean and sum of squared deviations
  (two sweeps over the cached row, 8 accumulator lanes so that they
  vectorise); rows are merged with Chan's pairwise update (in the gradient
  also the co-moment of x and gradOutput), so no sum of squares is ever
  subtracted from another.
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
from nnfunc._cpu._moments cimport lanes_sum, row_moments

cnp.import_array()


cdef inline void _row_comoments(const floating* r, const floating* g, Py_ssize_t S,
                                double* mx, double* my, double* m2,
                                double* cxy) noexcept nogil:
    # means of x and g, sum (x - mx)^2 and sum (x - mx) g of one row
    cdef double a[8]
    cdef double b[8]
    cdef Py_ssize_t i, j, S8 = S - S % 8
    cdef double sx, sy, m, d
    for j in range(8):
        a[j] = 0
        b[j] = 0
    for i in range(0, S8, 8):
        for j in range(8):
            a[j] += r[i + j]
            b[j] += g[i + j]
    sx = lanes_sum(a)
    sy = lanes_sum(b)
    for i in range(S8, S):
        sx += r[i]
        sy += g[i]
    m = sx / S
    my[0] = sy / S
    for j in range(8):
        a[j] = 0
        b[j] = 0
    for i in range(0, S8, 8):
        for j in range(8):
            d = r[i + j] - m
            a[j] += d * d
            b[j] += d * g[i + j]
    sx = lanes_sum(a)
    sy = lanes_sum(b)
    for i in range(S8, S):
        d = r[i] - m
        sx += d * d
        sy += d * g[i]
    mx[0] = m
    m2[0] = sx
    cxy[0] = sy


cdef void _stats(const floating* x, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                 double* mean, double* m2) noexcept nogil:
    # per-channel mean and sum of squared deviations over N*S values
    cdef Py_ssize_t n, c
    cdef double inv, d, v, cnt, rm, rm2, f
    cdef const floating* xr
    for c in range(C):
        mean[c] = 0
        m2[c] = 0
    if S == 1:
        for n in range(N):
            inv = 1.0 / (n + 1)
            xr = x + n * C
            for c in range(C):
                v = xr[c]
                d = v - mean[c]
                mean[c] += d * inv
                m2[c] += d * (v - mean[c])
        return
    for c in range(C):
        cnt = 0
        for n in range(N):
            row_moments(x + (n * C + c) * S, S, &rm, &rm2)
            d = rm - mean[c]
            f = S / (cnt + S)
            mean[c] += d * f
            m2[c] += rm2 + d * d * cnt * f
            cnt += S


cdef void _normalise(const floating* x, floating* y, const floating* mean,
                     const floating* a, const floating* b, Py_ssize_t N, Py_ssize_t C,
                     Py_ssize_t S) noexcept nogil:
    # y = (x - mean[c]) * a[c] + b[c]
    cdef Py_ssize_t n, c, i
    cdef const floating* xr
    cdef floating* yr
    cdef floating mc, ac, bc
    if S == 1:
        for n in range(N):
            xr = x + n * C
            yr = y + n * C
            for c in range(C):
                yr[c] = (xr[c] - mean[c]) * a[c] + b[c]
        return
    for n in range(N):
        for c in range(C):
            xr = x + (n * C + c) * S
            yr = y + (n * C + c) * S
            mc = mean[c]
            ac = a[c]
            bc = b[c]
            for i in range(S):
                yr[i] = (xr[i] - mc) * ac + bc


cdef void _forward(const floating* x, floating* y, const floating* w, const floating* b,
                   const floating* rm, const floating* rv, floating* nrm, floating* nrv,
                   double* ws, floating* fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                   bint train, double momentum, double eps) noexcept nogil:
    cdef double* mean = ws
    cdef double* m2 = ws + C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef floating* fb = fws + 2 * C
    cdef Py_ssize_t c
    cdef double cnt = <double>N * S, var, inv
    if train:
        _stats(x, N, C, S, mean, m2)
        for c in range(C):
            var = m2[c] / cnt
            inv = 1.0 / sqrt(var + eps)
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
    _normalise(x, y, fm, fa, fb, N, C, S)


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
    cdef Py_ssize_t n, c, i
    cdef double inv, d, dy, v, g, cnt, f, rmx, rmy, rm2, rc, invstd, a, k
    cdef const floating* xr
    cdef const floating* gr
    cdef floating* ir
    cdef floating mc, ac, bc, dc
    for c in range(C):
        mx[c] = 0
        my[c] = 0
        m2[c] = 0
        cxy[c] = 0
    # pass 1: per-channel mean/var of x, mean of go, co-moment sum (x - mx) go
    if S == 1:
        for n in range(N):
            inv = 1.0 / (n + 1)
            xr = x + n * C
            gr = go + n * C
            for c in range(C):
                v = xr[c]
                g = gr[c]
                d = v - mx[c]
                mx[c] += d * inv
                dy = g - my[c]
                my[c] += dy * inv
                m2[c] += d * (v - mx[c])
                cxy[c] += d * (g - my[c])
    else:
        for c in range(C):
            cnt = 0
            for n in range(N):
                xr = x + (n * C + c) * S
                gr = go + (n * C + c) * S
                _row_comoments(xr, gr, S, &rmx, &rmy, &rm2, &rc)
                d = rmx - mx[c]
                dy = rmy - my[c]
                f = S / (cnt + S)
                mx[c] += d * f
                my[c] += dy * f
                m2[c] += rm2 + d * d * cnt * f
                cxy[c] += rc + d * dy * cnt * f
                cnt += S
    cnt = <double>N * S
    for c in range(C):
        invstd = 1.0 / sqrt(m2[c] / cnt + eps)
        a = invstd * (w[c] if w != NULL else 1.0)
        k = cxy[c] * invstd * invstd / cnt
        # gi = (go - mean(go) - (x - mean) k) a
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
            xr = x + n * C
            gr = go + n * C
            ir = gi + n * C
            for c in range(C):
                ir[c] = gr[c] * fa[c] + (xr[c] - fm[c]) * fb[c] + fd[c]
        return
    for n in range(N):
        for c in range(C):
            xr = x + (n * C + c) * S
            gr = go + (n * C + c) * S
            ir = gi + (n * C + c) * S
            mc = fm[c]
            ac = fa[c]
            bc = fb[c]
            dc = fd[c]
            for i in range(S):
                ir[i] = gr[i] * ac + (xr[i] - mc) * bc + dc


cdef void _backward_eval(const floating* x, const floating* go, floating* gi,
                         floating* gw, floating* gb, const floating* w, const floating* rm,
                         const floating* rv, double* ws, floating* fws, Py_ssize_t N,
                         Py_ssize_t C, Py_ssize_t S, double eps) noexcept nogil:
    # gi = go a; gw = sum(go (x - rm)) / sqrt(rv + eps); gb = sum(go)
    cdef double* sg = ws
    cdef double* sxg = ws + C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef Py_ssize_t n, c, i, j, S8 = S - S % 8
    cdef double p[8]
    cdef double q[8]
    cdef double s1, s2
    cdef const floating* xr
    cdef const floating* gr
    cdef floating* ir
    cdef floating mc, ac, g
    for c in range(C):
        sg[c] = 0
        sxg[c] = 0
        fm[c] = rm[c]
        fa[c] = <floating>((w[c] if w != NULL else 1.0) / sqrt(<double>rv[c] + eps))
    if S == 1:
        for n in range(N):
            xr = x + n * C
            gr = go + n * C
            ir = gi + n * C
            for c in range(C):
                g = gr[c]
                ir[c] = g * fa[c]
                sg[c] += g
                sxg[c] += g * (xr[c] - fm[c])
    else:
        for c in range(C):
            mc = fm[c]
            ac = fa[c]
            for n in range(N):
                xr = x + (n * C + c) * S
                gr = go + (n * C + c) * S
                ir = gi + (n * C + c) * S
                for j in range(8):
                    p[j] = 0
                    q[j] = 0
                for i in range(0, S8, 8):
                    for j in range(8):
                        g = gr[i + j]
                        ir[i + j] = g * ac
                        p[j] += g
                        q[j] += g * (xr[i + j] - mc)
                s1 = lanes_sum(p)
                s2 = lanes_sum(q)
                for i in range(S8, S):
                    g = gr[i]
                    ir[i] = g * ac
                    s1 += g
                    s2 += g * (xr[i] - mc)
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

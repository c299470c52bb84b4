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
from nnfunc._cpu._parallel cimport parallel_for

cnp.import_array()


cdef void _stats(const floating* x, const floating* go, Py_ssize_t N, Py_ssize_t C,
                 Py_ssize_t S, Py_ssize_t ld, double* mx, double* my, double* m2,
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
            welford(x + n * ld, go + n * ld if go != NULL else NULL, mx, my, m2, cxy, C,
                    1.0 / (n + 1))
        return
    for c in range(C):
        cnt = 0
        for n in range(N):
            if go != NULL:
                gr = go + n * ld + c * S
            moments(x + n * ld + c * S, gr, S, &rmx, &rmy, &rm2, &rc)
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
                   Py_ssize_t ld, bint train, double momentum, double eps) noexcept nogil:
    cdef double* mean = ws
    cdef double* m2 = ws + C
    cdef floating* fm = fws
    cdef floating* fa = fws + C
    cdef floating* fb = fws + 2 * C
    cdef Py_ssize_t n, c
    cdef double cnt = <double>N * S, inv
    if train:
        _stats(x, <const floating*>NULL, N, C, S, ld, mean, ws + 2 * C, m2, ws + 3 * C)
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
            caxpb(x + n * ld, y + n * ld, fm, fa, fb, C)
        return
    for n in range(N):
        for c in range(C):
            axpb(x + n * ld + c * S, y + n * ld + c * S, S, fm[c], fa[c], fb[c])


cdef void _backward_train(const floating* x, const floating* go, floating* gi,
                          floating* gw, floating* gb, const floating* w, double* ws,
                          floating* fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                          Py_ssize_t ld, double eps) noexcept nogil:
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
    _stats(x, go, N, C, S, ld, mx, my, m2, cxy)
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
            cbngi(go + n * ld, x + n * ld, gi + n * ld, fa, fm, fb, fd, C)
        return
    for n in range(N):
        for c in range(C):
            bngi(go + n * ld + c * S, x + n * ld + c * S, gi + n * ld + c * S, S,
                 fa[c], fm[c], fb[c], fd[c])


cdef void _backward_eval(const floating* x, const floating* go, floating* gi,
                         floating* gw, floating* gb, const floating* w, const floating* rm,
                         const floating* rv, double* ws, floating* fws, Py_ssize_t N,
                         Py_ssize_t C, Py_ssize_t S, Py_ssize_t ld, double eps) noexcept nogil:
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
            cscalesums(go + n * ld, x + n * ld, gi + n * ld, fa, fm, sg, sxg, C)
    else:
        for n in range(N):
            for c in range(C):
                scalesums(go + n * ld + c * S, x + n * ld + c * S, gi + n * ld + c * S,
                          S, fa[c], fm[c], &s1, &s2)
                sg[c] += s1
                sxg[c] += s2
    for c in range(C):
        if gw != NULL:
            gw[c] = <floating>(sxg[c] / sqrt(<double>rv[c] + eps))
        if gb != NULL:
            gb[c] = <floating>sg[c]


# -- the thread pool: a task is a range of channels [c0, c1), its own slices of
# every per-channel array and of the workspaces (ws: 6 doubles a channel, fws:
# 4 values a channel), rows of stride ld = C*S; per-channel arithmetic does
# not depend on the split, so neither do the bits

ctypedef struct _Job:
    bint dbl
    bint train
    bint grad
    const char* x
    const char* go
    char* y
    const char* w
    const char* b
    const char* rm
    const char* rv
    char* nrm
    char* nrv
    char* gw
    char* gb
    double* ws
    char* fws
    Py_ssize_t N
    Py_ssize_t C
    Py_ssize_t S
    double momentum
    double eps


cdef inline const float* _cf(const char* p, Py_ssize_t k) noexcept nogil:
    return NULL if p == NULL else <const float*>p + k


cdef inline const double* _cd(const char* p, Py_ssize_t k) noexcept nogil:
    return NULL if p == NULL else <const double*>p + k


cdef inline float* _f(char* p, Py_ssize_t k) noexcept nogil:
    return NULL if p == NULL else <float*>p + k


cdef inline double* _d(char* p, Py_ssize_t k) noexcept nogil:
    return NULL if p == NULL else <double*>p + k


cdef void _task(void* ctx, Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t S = j.S, ld = j.C * j.S, C = c1 - c0, o = c0 * S
    cdef double* ws = j.ws + 6 * c0
    if not j.grad:
        if j.dbl:
            _forward(_cd(j.x, o), _d(j.y, o), _cd(j.w, c0), _cd(j.b, c0), _cd(j.rm, c0),
                     _cd(j.rv, c0), _d(j.nrm, c0), _d(j.nrv, c0), ws, _d(j.fws, 4 * c0),
                     j.N, C, S, ld, j.train, j.momentum, j.eps)
        else:
            _forward(_cf(j.x, o), _f(j.y, o), _cf(j.w, c0), _cf(j.b, c0), _cf(j.rm, c0),
                     _cf(j.rv, c0), _f(j.nrm, c0), _f(j.nrv, c0), ws, _f(j.fws, 4 * c0),
                     j.N, C, S, ld, j.train, j.momentum, j.eps)
    elif j.train:
        if j.dbl:
            _backward_train(_cd(j.x, o), _cd(j.go, o), _d(j.y, o), _d(j.gw, c0),
                            _d(j.gb, c0), _cd(j.w, c0), ws, _d(j.fws, 4 * c0), j.N, C, S,
                            ld, j.eps)
        else:
            _backward_train(_cf(j.x, o), _cf(j.go, o), _f(j.y, o), _f(j.gw, c0),
                            _f(j.gb, c0), _cf(j.w, c0), ws, _f(j.fws, 4 * c0), j.N, C, S,
                            ld, j.eps)
    else:
        if j.dbl:
            _backward_eval(_cd(j.x, o), _cd(j.go, o), _d(j.y, o), _d(j.gw, c0),
                           _d(j.gb, c0), _cd(j.w, c0), _cd(j.rm, c0), _cd(j.rv, c0), ws,
                           _d(j.fws, 4 * c0), j.N, C, S, ld, j.eps)
        else:
            _backward_eval(_cf(j.x, o), _cf(j.go, o), _f(j.y, o), _f(j.gw, c0),
                           _f(j.gb, c0), _cf(j.w, c0), _cf(j.rm, c0), _cf(j.rv, c0), ws,
                           _f(j.fws, 4 * c0), j.N, C, S, ld, j.eps)


#: elements per pool part
cdef Py_ssize_t _GRAIN = 32768


cdef void _run(_Job* j) noexcept nogil:
    # channel ranges of about _GRAIN elements, multiples of 16 channels (the
    # vector lanes of the S = 1 kernels)
    cdef Py_ssize_t per = j.N * j.S
    parallel_for(_task, j, j.C, max(<Py_ssize_t>1, _GRAIN // max(per, <Py_ssize_t>1)),
                 16 if j.S == 1 else 1)


cdef inline const char* _cp(object a):
    return NULL if a is None else <const char*>cnp.PyArray_DATA(<cnp.ndarray>a)


cdef inline char* _mp(object a):
    return NULL if a is None else <char*>cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray y, w, b, rm, rv, new_rm, new_rv,
                  cnp.ndarray ws, cnp.ndarray fws, Py_ssize_t N, Py_ssize_t C,
                  Py_ssize_t S, bint train, double momentum, double eps):
    """y = batch-normalised x (see the module docstring)."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.train = train
    j.grad = False
    j.x = _cp(x)
    j.go = NULL
    j.y = _mp(y)
    j.w, j.b, j.rm, j.rv = _cp(w), _cp(b), _cp(rm), _cp(rv)
    j.nrm, j.nrv, j.gw, j.gb = _mp(new_rm), _mp(new_rv), NULL, NULL
    j.ws = <double*>cnp.PyArray_DATA(ws)
    j.fws = _mp(fws)
    j.N, j.C, j.S = N, C, S
    j.momentum, j.eps = momentum, eps
    with nogil:
        _run(&j)


def update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, gw, gb, w, rm, rv,
                cnp.ndarray ws, cnp.ndarray fws, Py_ssize_t N, Py_ssize_t C, Py_ssize_t S,
                bint train, double eps):
    """gradInput, gradWeight, gradBias (written over; see the module docstring)."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.train = train
    j.grad = True
    j.x = _cp(x)
    j.go = _cp(go)
    j.y = _mp(gi)
    j.w, j.b, j.rm, j.rv = _cp(w), NULL, _cp(rm), _cp(rv)
    j.nrm, j.nrv, j.gw, j.gb = NULL, NULL, _mp(gw), _mp(gb)
    j.ws = <double*>cnp.PyArray_DATA(ws)
    j.fws = _mp(fws)
    j.N, j.C, j.S = N, C, S
    j.momentum, j.eps = 0.0, eps
    with nogil:
        _run(&j)

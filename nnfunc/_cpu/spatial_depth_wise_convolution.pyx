"""SpatialDepthWiseConvolution kernels: direct loops over each plane's taps.

Each output plane reads one input plane, so the GEMM of the unfold method
would have M = depth multiplier rows (usually 1): a matrix-vector product
after a kH*kW times larger copy. The plane kernels (``_depthwise.h``) instead
copy the plane into a zero-bordered scratch image and sum every tap of an
output chunk in a vector register (forward; gradInput as the correlation of
the bordered gradOutput with the flipped kernel for stride 1, a scatter for
larger strides; gradWeight as lane sums of gradOutput * input per tap).

Planes (n, i) are independent, so both calls split them over the thread
pool. gradWeight / gradBias are first summed per plane into a scratch array
and then added over the batch in order n = 0, 1, ..., so the results do not
depend on the number of threads.

Layout: input (N, C, H, W); weight (M, C*kH*kW), w[j, i*kH*kW + ky*kW + kx];
bias (M, C), b[j, i]; output (N, C*M, oH, oW), channel i*M + j.
"""

cimport numpy as cnp
import numpy as np

from nnfunc._cpu._parallel cimport parallel_for

cnp.import_array()


cdef extern from "_depthwise.h" nogil:
    ctypedef struct nnf_dw_job:
        const void* x
        const void* w
        const void* b
        const void* go
        void* y
        void* gi
        void* part
        Py_ssize_t N, C, H, W, M, oh, ow, kh, kw, sh, sw, ph, pw
        int failed
    int nnf_dw_forward_f(const nnf_dw_job* j, Py_ssize_t p0, Py_ssize_t p1)
    int nnf_dw_forward_d(const nnf_dw_job* j, Py_ssize_t p0, Py_ssize_t p1)
    int nnf_dw_backward_f(const nnf_dw_job* j, Py_ssize_t p0, Py_ssize_t p1)
    int nnf_dw_backward_d(const nnf_dw_job* j, Py_ssize_t p0, Py_ssize_t p1)
    void nnf_dw_reduce_f(const nnf_dw_job* j, float* gw, float* gb)
    void nnf_dw_reduce_d(const nnf_dw_job* j, double* gw, double* gb)


cdef struct _Ctx:
    nnf_dw_job job
    bint dbl


cdef void _fwd_task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Ctx* c = <_Ctx*>ctx
    cdef int r = (nnf_dw_forward_d(&c.job, p0, p1) if c.dbl
                  else nnf_dw_forward_f(&c.job, p0, p1))
    if r != 0:
        c.job.failed = 1


cdef void _bwd_task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Ctx* c = <_Ctx*>ctx
    cdef int r = (nnf_dw_backward_d(&c.job, p0, p1) if c.dbl
                  else nnf_dw_backward_f(&c.job, p0, p1))
    if r != 0:
        c.job.failed = 1


cdef inline Py_ssize_t _grain(Py_ssize_t plane_work) noexcept nogil:
    """planes per thread-pool part: about 64K multiply-adds, so a part
    outweighs the hand-off to a worker"""
    return max(<Py_ssize_t>1, <Py_ssize_t>65536 // max(<Py_ssize_t>1, plane_work))


cdef inline const void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


cdef void _setup(_Ctx* c, cnp.ndarray x, cnp.ndarray w, object b,
                 Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                 Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                 Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    c.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    c.job.x = cnp.PyArray_DATA(x)
    c.job.w = cnp.PyArray_DATA(w)
    c.job.b = _ptr(b)
    c.job.go = NULL
    c.job.y = NULL
    c.job.gi = NULL
    c.job.part = NULL
    c.job.N = N
    c.job.C = C
    c.job.H = H
    c.job.W = W
    c.job.M = M
    c.job.oh = oH
    c.job.ow = oW
    c.job.kh = kH
    c.job.kw = kW
    c.job.sh = dH
    c.job.sw = dW
    c.job.ph = padH
    c.job.pw = padW
    c.job.failed = 0


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                  Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    """y = depthwise conv(x, w) + b (b (M, C) or None), written over."""
    cdef _Ctx c
    _setup(&c, x, w, b, N, C, H, W, M, oH, oW, kH, kW, dH, dW, padH, padW)
    c.job.y = cnp.PyArray_DATA(y)
    cdef Py_ssize_t grain = _grain(M * oH * oW * kH * kW + H * W)
    with nogil:
        parallel_for(_fwd_task, &c, N * C, grain, 1)
    if c.job.failed:
        raise MemoryError()


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb,
                Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    """gradInput, gradWeight and (gb not None) gradBias, written over."""
    cdef _Ctx c
    # the kernels read b only as "has a bias": gradBias is summed with gradWeight
    _setup(&c, x, w, gb, N, C, H, W, M, oH, oW, kH, kW, dH, dW, padH, padW)
    cdef cnp.ndarray part = np.empty(max(N * C * M * (kH * kW + 1), 1), dtype=x.dtype)
    c.job.go = cnp.PyArray_DATA(go)
    c.job.gi = cnp.PyArray_DATA(gi)
    c.job.part = cnp.PyArray_DATA(part)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = <void*>_ptr(gb)
    cdef Py_ssize_t grain = _grain(2 * M * oH * oW * kH * kW + H * W)
    with nogil:
        parallel_for(_bwd_task, &c, N * C, grain, 1)
    if c.job.failed:
        raise MemoryError()
    with nogil:
        if c.dbl:
            nnf_dw_reduce_d(&c.job, <double*>pgw, <double*>pgb)
        else:
            nnf_dw_reduce_f(&c.job, <float*>pgw, <float*>pgb)

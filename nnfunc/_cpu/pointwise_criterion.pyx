"""Kernels of the elementwise criterions: loss = norm * sum_i w_i f(x_i, t_i),
gradInput_i = coef * w_i f'(x_i, t_i), one pass over memory per phase.

One kernel serves AbsCriterion, SmoothL1Criterion, BCECriterion,
SoftMarginCriterion, DistKLDivCriterion, L1Cost, MarginCriterion,
HingeEmbeddingCriterion and MultiLabelSoftMarginCriterion: ``op`` picks the
term (the table is in _criterion.h, mirrored by ``OPS`` below). ``t`` is the
target (None: the op has none), ``w`` None or ``cols`` weights repeated
over the ``rows`` rows (weight of element i = w[i % cols]); ``a`` is the
margin. Sums are carried in double.
"""

cimport numpy as cnp

cnp.import_array()

cdef extern from "_criterion.h" nogil:
    double nnf_pw_forward_f(int op, const float* x, const float* t, const float* w,
                            Py_ssize_t rows, Py_ssize_t cols, double a) noexcept
    double nnf_pw_forward_d(int op, const double* x, const double* t, const double* w,
                            Py_ssize_t rows, Py_ssize_t cols, double a) noexcept
    void nnf_pw_backward_f(int op, const float* x, const float* t, const float* w,
                           float* gi, Py_ssize_t rows, Py_ssize_t cols, double a,
                           double coef) noexcept
    void nnf_pw_backward_d(int op, const double* x, const double* t, const double* w,
                           double* gi, Py_ssize_t rows, Py_ssize_t cols, double a,
                           double coef) noexcept
    enum: NNF_PW_NOPS

#: operation codes (the enum of _criterion.h)
OPS = {"abs": 0, "smooth_l1": 1, "bce": 2, "soft_margin": 3, "kl_div": 4, "l1_cost": 5,
       "margin": 6, "hinge": 7, "ml_soft_margin": 8}


def update_output(int op, cnp.ndarray x, t, w, cnp.ndarray y, Py_ssize_t rows,
                  Py_ssize_t cols, double a, double norm):
    """y[()] = norm * sum(w * f(x, t)). x, t C-contiguous, same dtype, rows*cols
    elements; w None or (cols,) of that dtype; y 0-d (caller checks)."""
    if not 0 <= op < NNF_PW_NOPS:
        raise ValueError(f"unknown op {op}")
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pt = px if t is None else cnp.PyArray_DATA(<cnp.ndarray>t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef double s
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            s = nnf_pw_forward_f(op, <const float*>px, <const float*>pt, <const float*>pw,
                                 rows, cols, a)
            (<float*>py)[0] = <float>(s * norm)
    else:
        with nogil:
            s = nnf_pw_forward_d(op, <const double*>px, <const double*>pt,
                                 <const double*>pw, rows, cols, a)
            (<double*>py)[0] = s * norm


def update_grad_input(int op, cnp.ndarray x, t, w, cnp.ndarray gi, Py_ssize_t rows,
                      Py_ssize_t cols, double a, double coef):
    """gi = coef * w * f'(x, t) (coef = norm * gradOutput); layout as update_output."""
    if not 0 <= op < NNF_PW_NOPS:
        raise ValueError(f"unknown op {op}")
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pt = px if t is None else cnp.PyArray_DATA(<cnp.ndarray>t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            nnf_pw_backward_f(op, <const float*>px, <const float*>pt, <const float*>pw,
                              <float*>pgi, rows, cols, a, coef)
    else:
        with nogil:
            nnf_pw_backward_d(op, <const double*>px, <const double*>pt, <const double*>pw,
                              <double*>pgi, rows, cols, a, coef)

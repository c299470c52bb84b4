"""Compiled CPU kernels (Cython over scipy.linalg.cython_blas).

One extension module per nnfunc module, named by its snake_case basename.
Kernels take validated, C-contiguous NumPy arrays (float32 or float64) and
write into preallocated outputs; they never check sizes themselves.
"""

/* Shared definitions of the nnfunc CUDA kernels (included by every .cu).
 *
 * The kernels are templates on the storage type T: float, double, or
 * nnf_half (IEEE binary16 kept as its 16 raw bits). Arithmetic runs in
 * nnf_acc<T>::type: float for float and nnf_half (so float16 data is
 * loaded, computed and summed in float32 and rounded once when stored),
 * double for double. nnf_ld / nnf_st convert between the two.
 *
 * No header is included: the sources compile the same under nvcc and under
 * NVRTC (CuPy's RawModule) without a CUDA include path. The float16
 * conversions are the PTX cvt instructions (every architecture CuPy
 * supports has them), so cuda_fp16.h is not needed either.
 *
 * Sizes and indices are 64-bit (idx_t). Element loops are grid-stride
 * loops (NNF_LOOP), so any grid size is correct; the launcher picks it.
 */
#ifndef NNF_COMMON_CUH
#define NNF_COMMON_CUH

typedef long long idx_t;

/* binary16 storage: 2 bytes, 2-byte aligned, like numpy.float16 */
struct nnf_half {
    unsigned short bits;
};

#ifdef NNF_CPU_EMU
/* the CPU emulator of the tests (tests/cuda_emu/emu.h): the same conversions
 * (round to nearest even) in C++, as the host compiler has no PTX */
__device__ __forceinline__ float nnf_h2f(unsigned short h) { return nnf_emu::half_to_float(h); }
__device__ __forceinline__ unsigned short nnf_f2h(float f) { return nnf_emu::float_to_half(f); }
#else
__device__ __forceinline__ float nnf_h2f(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ unsigned short nnf_f2h(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
#endif

template <typename T> struct nnf_acc { typedef T type; };
template <> struct nnf_acc<nnf_half> { typedef float type; };

template <typename T>
__device__ __forceinline__ typename nnf_acc<T>::type nnf_ld(const T* p) { return *p; }
template <>
__device__ __forceinline__ float nnf_ld<nnf_half>(const nnf_half* p) { return nnf_h2f(p->bits); }

template <typename T>
__device__ __forceinline__ void nnf_st(T* p, typename nnf_acc<T>::type v) { *p = v; }
template <>
__device__ __forceinline__ void nnf_st<nnf_half>(nnf_half* p, float v) { p->bits = nnf_f2h(v); }

#define NNF_LOOP(i, n)                                                        \
    for (idx_t i = (idx_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);     \
         i += (idx_t)blockDim.x * gridDim.x)

/* ---- math by type (float or double overloads of the device builtins) ---- */
__device__ __forceinline__ float nnf_exp(float v) { return expf(v); }
__device__ __forceinline__ double nnf_exp(double v) { return exp(v); }
__device__ __forceinline__ float nnf_expm1(float v) { return expm1f(v); }
__device__ __forceinline__ double nnf_expm1(double v) { return expm1(v); }
__device__ __forceinline__ float nnf_log(float v) { return logf(v); }
__device__ __forceinline__ double nnf_log(double v) { return log(v); }
__device__ __forceinline__ float nnf_log1p(float v) { return log1pf(v); }
__device__ __forceinline__ double nnf_log1p(double v) { return log1p(v); }
__device__ __forceinline__ float nnf_tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double nnf_tanh(double v) { return tanh(v); }
__device__ __forceinline__ float nnf_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double nnf_sqrt(double v) { return sqrt(v); }
__device__ __forceinline__ float nnf_pow(float v, float p) { return powf(v, p); }
__device__ __forceinline__ double nnf_pow(double v, double p) { return pow(v, p); }
__device__ __forceinline__ float nnf_abs(float v) { return fabsf(v); }
__device__ __forceinline__ double nnf_abs(double v) { return fabs(v); }
__device__ __forceinline__ bool nnf_isnan(float v) { return v != v; }
__device__ __forceinline__ bool nnf_isnan(double v) { return v != v; }

template <typename C> __device__ __forceinline__ C nnf_inf();
template <> __device__ __forceinline__ float nnf_inf<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double nnf_inf<double>() {
    return __longlong_as_double(0x7ff0000000000000LL);
}

/* 1 / (1 + exp(-z)) and log(1 + exp(z)) without overflow */
template <typename C> __device__ __forceinline__ C nnf_sigmoid(C z) {
    const C e = nnf_exp(-nnf_abs(z));
    const C r = (C)1 / ((C)1 + e);
    return z >= 0 ? r : e * r;
}
template <typename C> __device__ __forceinline__ C nnf_softplus(C z) {
    return (z > 0 ? z : (C)0) + nnf_log1p(nnf_exp(-nnf_abs(z)));
}

/* ---- reductions ----------------------------------------------------------
 * Block-wide sum / max of one value per thread; every thread gets the
 * result. blockDim.x must be a multiple of 32 (at most 1024); shm is a
 * __shared__ array of 32 C. The call must be reached by the whole block. */
template <typename C> __device__ __forceinline__ C nnf_warp_sum(C v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
template <typename C> __device__ __forceinline__ C nnf_warp_max(C v) {
    for (int o = 16; o > 0; o >>= 1) {
        const C u = __shfl_xor_sync(0xffffffffu, v, o);
        /* NaN wins (as numpy.max / torch.max) */
        v = (u > v || nnf_isnan(u)) ? u : v;
    }
    return v;
}
template <typename C> __device__ C nnf_block_sum(C v, C* shm) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int nwarps = (blockDim.x + 31) >> 5;
    v = nnf_warp_sum(v);
    __syncthreads();                 /* shm may still be read by a previous call */
    if (lane == 0) shm[warp] = v;
    __syncthreads();
    v = lane < nwarps ? shm[lane] : (C)0;
    return nnf_warp_sum(v);
}
template <typename C> __device__ C nnf_block_max(C v, C* shm) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int nwarps = (blockDim.x + 31) >> 5;
    v = nnf_warp_max(v);
    __syncthreads();
    if (lane == 0) shm[warp] = v;
    __syncthreads();
    v = lane < nwarps ? shm[lane] : -nnf_inf<C>();
    return nnf_warp_max(v);
}

/* ---- arg-extremum ----------------------------------------------------------
 * v beats the running extremum m of a scan by increasing index: strictly
 * beyond, or a NaN over a number (the first extremum and the first NaN stay:
 * NumPy's argmax / argmin). */
template <typename C, bool MAX> __device__ __forceinline__ bool nnf_wins(C v, C m) {
    return (MAX ? v > m : v < m) || (nnf_isnan(v) && !nnf_isnan(m));
}
/* (v, j) beats (m, k) whatever the order they were found in */
template <typename C, bool MAX>
__device__ __forceinline__ bool nnf_beats(C v, long long j, C m, long long k) {
    if (nnf_wins<C, MAX>(v, m)) return true;
    if (nnf_wins<C, MAX>(m, v)) return false;
    return j < k;       /* equal, or both NaN: the lower index */
}
/* Block-wide arg-extremum of one (value, index) per thread (index < 0: no
 * value); every thread gets the winner. blockDim.x must be a power of two,
 * at most 1024; sv / sj are __shared__ arrays of blockDim.x entries. The
 * call must be reached by the whole block. */
template <typename C, bool MAX>
__device__ void nnf_block_arg(C* v, long long* j, C* sv, long long* sj) {
    __syncthreads();                 /* sv / sj may still be read by a previous call */
    sv[threadIdx.x] = *v;
    sj[threadIdx.x] = *j;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            const C u = sv[threadIdx.x + s];
            const long long k = sj[threadIdx.x + s];
            if (k >= 0 && (sj[threadIdx.x] < 0 ||
                           nnf_beats<C, MAX>(u, k, sv[threadIdx.x], sj[threadIdx.x]))) {
                sv[threadIdx.x] = u;
                sj[threadIdx.x] = k;
            }
        }
        __syncthreads();
    }
    *v = sv[0];
    *j = sj[0];
}

#endif /* NNF_COMMON_CUH */

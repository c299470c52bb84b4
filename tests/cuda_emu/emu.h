/* A CPU emulator of the subset of CUDA that nnfunc's kernels use (tests only).
 *
 * tests/_cuda_emu.py compiles a kernel source (the same text CuPy compiles,
 * nnf_common.cuh pasted in) with the host C++ compiler after this header and
 * -DNNF_CPU_EMU, plus one extern "C" launcher per template instantiation.
 * See that module's docstring for the design and what is not modelled.
 *
 * Execution model: blocks run one after another on the calling OS thread;
 * the threads of a block run as fibers (a small mmap'd stack each, guard
 * page below, allocated once and reused by later threads, blocks and
 * launches). A fiber runs one thread after another until a thread waits at
 * a barrier (__syncthreads, or a warp shuffle); then the scheduler starts
 * the remaining threads on another fiber. So a kernel without barriers costs
 * one fiber switch per block, not one per thread. When every thread has
 * either finished or waits, the scheduler releases the barriers whose
 * participants have all arrived (the whole block at the same __syncthreads;
 * the lanes of the shuffle's mask at the same shuffle), resumes those
 * threads in thread order, and repeats (other legal orders on request:
 * see `schedule`). Waiting threads that can never be
 * released (a thread exited or waits at another barrier) are a deadlock:
 * the launch stops and returns an error with a message saying where.
 * Switches are _setjmp/_longjmp (no signal-mask system call); ucontext only
 * enters a new fiber's stack the first time.
 */
#ifndef NNF_CUDA_EMU_H
#define NNF_CUDA_EMU_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

/* ---- CUDA keywords ------------------------------------------------------ */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
/* one copy per block: blocks run one after another, so a function-local
 * static is that copy (its contents carry over between blocks, as
 * uninitialised shared memory may on a GPU) */
#define __shared__ static
/* __restrict__ is a g++/clang++ keyword already */

namespace nnf_emu {
struct uint3 {
    unsigned int x, y, z;
};
}  // namespace nnf_emu
typedef nnf_emu::uint3 dim3;

static nnf_emu::uint3 threadIdx, blockIdx;
static dim3 blockDim, gridDim;
static const int warpSize = 32;

static inline float __int_as_float(int i) {
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}
static inline double __longlong_as_double(long long i) {
    double d;
    memcpy(&d, &i, sizeof d);
    return d;
}

namespace nnf_emu {

/* ---- IEEE binary16 <-> binary32, round to nearest even (cvt.rn.f16.f32) -- */
static inline float half_to_float(unsigned short h) {
    const uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    uint32_t bits;
    if (e == 0) {
        /* zero or subnormal: m * 2^-24, exact in float */
        float f = (float)m * 5.9604644775390625e-8f;
        memcpy(&bits, &f, 4);
        bits |= s;
    } else if (e == 31) {
        bits = s | 0x7f800000u | (m << 13);
    } else {
        bits = s | ((e + 112) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline unsigned short float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf, NaN (quiet, payload kept) */
        return (unsigned short)(sign | 0x7c00u |
                                (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
    if (ax >= 0x47800000u) return (unsigned short)(sign | 0x7c00u); /* >= 65536: inf */
    if (ax < 0x38800000u) {                                           /* < 2^-14: subnormal */
        const uint32_t e = ax >> 23;
        if (e < 102) return (unsigned short)sign; /* < 2^-25: 0 */
        const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e; /* 14 .. 24 */
        uint32_t hm = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1u))) hm++;
        return (unsigned short)(sign | hm); /* a carry gives the smallest normal */
    }
    uint32_t hb = (ax - 0x38000000u) >> 13; /* exponent rebiased 127 -> 15 */
    const uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (hb & 1u))) hb++; /* a carry may give inf */
    return (unsigned short)(sign | hb);
}

/* ---- fibers and the block scheduler ------------------------------------- */
enum { RUNNING = 0, WAIT_BLOCK = 1, WAIT_WARP = 2, READY = 3, DONE = 4 };

struct Fiber {
    jmp_buf ctx;
    ucontext_t uc;
    bool started;
    int tid; /* linear thread id it runs now */
};

struct Thread {
    int state;
    const char* file;
    int line;
    unsigned mask;    /* shuffle: the lanes that take part */
    unsigned phase;   /* shuffles done (double-buffered exchange slots) */
    Fiber* fiber;
};

static const size_t STACK = 128 * 1024;
static std::mutex launch_mutex;        /* one launch at a time per library */
static jmp_buf sched;
static Fiber* cur;
static std::vector<Fiber*> pool;       /* fibers free to start threads */
static std::vector<Thread> th;         /* the threads of the running block */
static int nthreads, next_start, ndone;
static void (*body)(void*);
static void* body_ctx;
static uint64_t slots[2][1024];        /* shuffle exchange, per phase parity */
/* schedule (nnf_emu_set_schedule): which legal CUDA interleaving to run.
 * REVERSE: threads start and resume in descending thread order; AHEAD:
 * one warp at a time moves on from a barrier, through its shuffles, to its
 * next __syncthreads (or its end) before the next warp moves. A missing
 * barrier that the default order (ascending, warps in lockstep) happens to
 * hide can show under another. */
enum { REVERSE = 1, AHEAD = 2 };
static int schedule;
static std::vector<int> order;         /* thread ids in start order */
static char error[1024];
static bool aborted;                  /* a thread hit an error: stop the launch */

static inline void set_thread(int t) {
    threadIdx.x = (unsigned)t % blockDim.x;
    threadIdx.y = ((unsigned)t / blockDim.x) % blockDim.y;
    threadIdx.z = (unsigned)t / (blockDim.x * blockDim.y);
}

/* entry of every fiber: start threads until none is left, then park free */
static void trampoline() {
    for (;;) {
        while (next_start < nthreads) {
            const int t = order[next_start++];
            cur->tid = t;
            th[t].fiber = cur;
            set_thread(t);
            body(body_ctx);
            th[t].state = DONE;
            ndone++;
        }
        Fiber* f = cur;
        pool.push_back(f);
        if (!_setjmp(f->ctx)) _longjmp(sched, 1);
    }
}

static Fiber* new_fiber() {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char* mem = (char*)mmap(nullptr, STACK + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return nullptr;
    mprotect(mem, page, PROT_NONE); /* an overflow faults instead of corrupting */
    Fiber* f = new Fiber();
    f->started = false;
    f->tid = -1;
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = mem + page;
    f->uc.uc_stack.ss_size = STACK;
    f->uc.uc_link = nullptr;
    makecontext(&f->uc, trampoline, 0);
    return f;
}

__attribute__((noinline)) static void resume(Fiber* f) {
    cur = f;
    if (f->tid >= 0) set_thread(f->tid);
    if (!_setjmp(sched)) {
        if (!f->started) {
            f->started = true;
            setcontext(&f->uc);
        }
        _longjmp(f->ctx, 1);
    }
}

/* the running thread waits at a barrier until the scheduler releases it */
__attribute__((noinline)) static void wait_here(int kind, const char* file, int line,
                                                unsigned mask) {
    Fiber* f = cur;
    Thread& t = th[f->tid];
    t.state = kind;
    t.file = file;
    t.line = line;
    t.mask = mask;
    if (!_setjmp(f->ctx)) _longjmp(sched, 1);
}

static void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char* fmt, ...) {
    if (error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, sizeof error, fmt, ap);
    va_end(ap);
}

/* an error inside a thread: record it and stop the launch (the fiber is
 * abandoned, never resumed) */
__attribute__((noinline)) static void abort_launch() {
    aborted = true;
    _longjmp(sched, 1);
}

static const char* where(const Thread& t) {
    static char buf[2][256];
    static int k = 0;
    k ^= 1;
    if (t.state == DONE) return "exited";
    snprintf(buf[k], sizeof buf[k], "%s at %s:%d",
             t.state == WAIT_BLOCK ? "__syncthreads" : "warp shuffle", t.file, t.line);
    return buf[k];
}

/* the whole block waits at one __syncthreads: mark every thread READY */
static bool release_block() {
    for (int t = 0; t < nthreads; t++)
        if (th[t].state != WAIT_BLOCK || th[t].line != th[0].line ||
            strcmp(th[t].file, th[0].file))
            return false;
    for (int t = 0; t < nthreads; t++) th[t].state = READY;
    return true;
}

/* the lanes of warp w's shuffle all wait there: mark them READY */
static bool release_warp(int w) {
    const int lo = w * 32, hi = lo + 32 < nthreads ? lo + 32 : nthreads;
    int lead = -1;
    for (int t = lo; t < hi && lead < 0; t++)
        if (th[t].state == WAIT_WARP) lead = t;
    if (lead < 0) return false;
    const unsigned mask = th[lead].mask;
    for (int l = 0; l < 32; l++) {
        if (!(mask >> l & 1u)) continue;
        const int t = lo + l;
        if (t >= hi || th[t].state != WAIT_WARP || th[t].mask != mask ||
            th[t].line != th[lead].line || strcmp(th[t].file, th[lead].file))
            return false;
    }
    for (int l = 0; l < 32; l++)
        if (mask >> l & 1u) th[lo + l].state = READY;
    return true;
}

static void describe_deadlock() {
    /* name two threads that disagree: the first waiting one and the first
     * one elsewhere (exited or at another barrier) */
    int a = -1, b = -1;
    for (int t = 0; t < nthreads; t++)
        if (th[t].state != DONE) {
            a = t;
            break;
        }
    for (int t = 0; t < nthreads && a >= 0; t++)
        if (th[t].state != th[a].state || th[t].line != th[a].line ||
            strcmp(th[t].file, th[a].file)) {
            b = t;
            break;
        }
    if (b < 0) b = a;
    fail("deadlock in block (%u,%u,%u) of %d threads: thread %d waits (%s) while thread %d %s; "
         "%d threads exited",
         blockIdx.x, blockIdx.y, blockIdx.z, nthreads, a, where(th[a]), b,
         th[b].state == DONE ? "exited" : where(th[b]), ndone);
}

/* resume the READY threads (of warp w only, if w >= 0) in schedule order */
static bool resume_ready(int w) {
    for (int i = 0; i < nthreads; i++) {
        const int t = order[i];
        if (th[t].state != READY || (w >= 0 && t / 32 != w)) continue;
        th[t].state = RUNNING;
        resume(th[t].fiber);
        if (aborted) return false;
    }
    return true;
}

/* run the current block; false on a deadlock or an error (its waiting
 * fibers are abandoned, never resumed) */
static bool run_block() {
    next_start = 0;
    ndone = 0;
    order.resize(nthreads);
    for (int t = 0; t < nthreads; t++) order[t] = schedule & REVERSE ? nthreads - 1 - t : t;
    th.assign(nthreads, Thread{RUNNING, "", 0, 0, 0, nullptr});
    const int nwarps = (nthreads + 31) / 32;
    for (;;) {
        while (next_start < nthreads) {
            Fiber* f;
            if (!pool.empty()) {
                f = pool.back();
                pool.pop_back();
            } else {
                f = new_fiber();
                if (!f) {
                    fail("cannot allocate a fiber stack");
                    return false;
                }
            }
            resume(f); /* runs threads from next_start until one waits or all started */
            if (aborted) return false;
        }
        if (ndone == nthreads) return true;
        bool any = release_block();
        if (!(schedule & AHEAD)) {
            /* default: every warp whose shuffle is complete moves, in lockstep */
            for (int w = 0; w < nwarps; w++) any |= release_warp(w);
            if (!any) break;
            if (!resume_ready(-1)) return false;
            continue;
        }
        /* AHEAD: the first warp (last, reversed) that can move runs alone,
         * through its shuffles, until it waits at a __syncthreads or ends */
        int pick = -1;
        for (int k = 0; k < nwarps && pick < 0; k++) {
            const int w = schedule & REVERSE ? nwarps - 1 - k : k;
            bool ready = false;
            for (int t = w * 32; t < nthreads && t < w * 32 + 32 && !ready; t++)
                ready = th[t].state == READY;
            if (ready || release_warp(w)) pick = w;
        }
        if (pick < 0) break;
        if (!resume_ready(pick)) return false;
    }
    describe_deadlock();
    return false;
}

static int launch(const unsigned* grid, const unsigned* block, void (*fn)(void*), void* ctx) {
    std::lock_guard<std::mutex> lock(launch_mutex);
    error[0] = 0;
    aborted = false;
    const unsigned long long nt = (unsigned long long)block[0] * block[1] * block[2];
    if (nt < 1 || nt > 1024 || !grid[0] || !grid[1] || !grid[2]) {
        fail("bad launch: grid (%u,%u,%u), block (%u,%u,%u)", grid[0], grid[1], grid[2],
             block[0], block[1], block[2]);
        return -1;
    }
    gridDim = dim3{grid[0], grid[1], grid[2]};
    blockDim = dim3{block[0], block[1], block[2]};
    nthreads = (int)nt;
    body = fn;
    body_ctx = ctx;
    for (unsigned z = 0; z < grid[2]; z++)
        for (unsigned y = 0; y < grid[1]; y++)
            for (unsigned x = 0; x < grid[0]; x++) {
                blockIdx = nnf_emu::uint3{x, y, z};
                if (!run_block()) return -1;
            }
    return 0;
}

/* ---- barriers ----------------------------------------------------------- */
static inline void syncthreads(const char* file, int line) {
    wait_here(WAIT_BLOCK, file, line, 0);
}

/* a warp barrier of the lanes in mask (a lane outside it is an error) */
static inline void syncwarp(const char* file, int line, unsigned mask = 0xffffffffu) {
    const int lane = cur->tid & 31;
    if (!(mask >> lane & 1u)) {
        fail("%s:%d: lane %d calls __syncwarp with a mask 0x%08x that leaves it out", file, line,
             lane, mask);
        abort_launch();
    }
    wait_here(WAIT_WARP, file, line, mask);
}

template <typename V>
static V shfl_xor(const char* file, int line, unsigned mask, V v, int lane_mask,
                  int width = 32) {
    static_assert(sizeof(V) <= 8 && std::is_trivially_copyable<V>::value, "shuffle type");
    const int t = cur->tid, lane = t & 31;
    Thread& me = th[t];
    if (!(mask >> lane & 1u)) {
        fail("%s:%d: lane %d calls a shuffle whose mask 0x%08x leaves it out", file, line, lane,
             mask);
        abort_launch();
    }
    uint64_t* slot = slots[me.phase & 1u];
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof v);
    slot[t] = bits;
    /* a lane writes the other parity's slot next, and only after every lane
     * has passed this barrier: one barrier per shuffle is enough */
    wait_here(WAIT_WARP, file, line, mask);
    me.phase++;
    int src = lane ^ lane_mask;
    if (src >= (lane / width + 1) * width) src = lane; /* outside the segment: own value */
    if (!(mask >> src & 1u)) {
        fail("%s:%d: lane %d reads lane %d, not in mask 0x%08x", file, line, lane, src, mask);
        abort_launch();
    }
    V r;
    memcpy(&r, &slot[(t & ~31) + src], sizeof r);
    return r;
}

/* ---- launchers: unpack cuLaunchKernel-style arguments by the kernel's type - */
template <typename... A, size_t... I>
static int call_impl(void (*fn)(A...), const unsigned* grid, const unsigned* block,
                     void** args, std::index_sequence<I...>) {
    auto run = [&]() { fn(*static_cast<std::remove_reference_t<A>*>(args[I])...); };
    typedef decltype(run) F;
    return launch(grid, block, [](void* p) { (*static_cast<F*>(p))(); }, &run);
}

template <typename... A>
static int call(void (*fn)(A...), const unsigned* grid, const unsigned* block, void** args) {
    return call_impl(fn, grid, block, args, std::index_sequence_for<A...>{});
}

/* sizes of the parameters, for the Python side to check its packing */
template <typename... A>
static int arg_sizes(void (*)(A...), int* out) {
    const int s[] = {(int)sizeof(A)..., 0};
    for (size_t i = 0; i < sizeof...(A); i++) out[i] = s[i];
    return (int)sizeof...(A);
}

}  // namespace nnf_emu

/* ---- atomics: threads never interleave inside one (one OS thread, switches
 * only at barriers), so a plain read-modify-write is atomic; their order
 * across threads follows the schedule (REVERSE changes it) ------------------ */
template <typename V, typename U> static inline V atomicAdd(V* p, U v) {
    const V o = *p;
    *p = (V)(o + (V)v);
    return o;
}
template <typename V, typename U> static inline V atomicSub(V* p, U v) {
    const V o = *p;
    *p = (V)(o - (V)v);
    return o;
}
template <typename V, typename U> static inline V atomicMax(V* p, U v) {
    const V o = *p;
    if ((V)v > o) *p = (V)v;
    return o;
}
template <typename V, typename U> static inline V atomicMin(V* p, U v) {
    const V o = *p;
    if ((V)v < o) *p = (V)v;
    return o;
}
template <typename V, typename U> static inline V atomicExch(V* p, U v) {
    const V o = *p;
    *p = (V)v;
    return o;
}
template <typename V, typename U, typename W> static inline V atomicCAS(V* p, U cmp, W v) {
    const V o = *p;
    if (o == (V)cmp) *p = (V)v;
    return o;
}
template <typename V, typename U> static inline V atomicAnd(V* p, U v) {
    const V o = *p;
    *p = o & (V)v;
    return o;
}
template <typename V, typename U> static inline V atomicOr(V* p, U v) {
    const V o = *p;
    *p = o | (V)v;
    return o;
}
static inline void __threadfence() {}
static inline void __threadfence_block() {}

#define __syncthreads() nnf_emu::syncthreads(__FILE__, __LINE__)
#define __syncwarp(...) nnf_emu::syncwarp(__FILE__, __LINE__ __VA_OPT__(, ) __VA_ARGS__)
#define __shfl_xor_sync(...) nnf_emu::shfl_xor(__FILE__, __LINE__, __VA_ARGS__)

extern "C" const char* nnf_emu_error() { return nnf_emu::error; }

extern "C" int nnf_emu_set_schedule(int s) {
    std::lock_guard<std::mutex> lock(nnf_emu::launch_mutex);
    const int old = nnf_emu::schedule;
    nnf_emu::schedule = s;
    return old;
}

extern "C" void nnf_emu_f2h(const float* x, unsigned short* y, long long n) {
    for (long long i = 0; i < n; i++) y[i] = nnf_emu::float_to_half(x[i]);
}

extern "C" void nnf_emu_h2f(const unsigned short* x, float* y, long long n) {
    for (long long i = 0; i < n; i++) y[i] = nnf_emu::half_to_float(x[i]);
}

#endif /* NNF_CUDA_EMU_H */

/* A small fork-join thread pool for the large elementwise kernels.
 *
 * nnf_parallel_for(fn, ctx, n, grain, align) runs fn(ctx, begin, end) over
 * contiguous parts of [0, n) that cover it exactly once, and returns when
 * all are done. The parts are fixed by n, grain, align and the thread
 * limit only (not by timing): part k of T is [b_k, b_{k+1}) with
 * b_k = (n k / T) rounded down to a multiple of align. Kernels that split
 * a map over parts give the same bits as one call over [0, n); kernels
 * that reduce keep one result per element / row and combine them in a
 * fixed order (never per part), so their results do not depend on the
 * number of threads either.
 *
 * Small work never touches the pool: n < 2 * grain (or a limit of one
 * thread) is one direct call fn(ctx, 0, n) on the calling thread.
 *
 * The calling thread takes parts too; the workers (limit - 1 threads,
 * started on first use) take the others. Between calls a worker first
 * spins for about NNF_SPIN_NS (watching the job counter, no lock, with the
 * CPU's pause hint) and only then sleeps on a condition variable: the
 * kernels of one network come back to back (a forward, then its gradient,
 * then the next layer), and waking a sleeping thread costs tens of
 * microseconds on a virtual machine, more than a mid-sized map takes. The
 * caller likewise spins briefly for the last part before it sleeps. Parts are handed out by a counter, so a worker that is
 * slow to wake on a busy machine simply gets fewer of them. One caller at
 * a time owns the pool: a second thread that finds it busy (two Python
 * threads in kernels at once, the GIL being released) runs its parts
 * itself, serially. After fork() the child starts with a fresh, unstarted
 * pool (the parent's workers do not exist there).
 *
 * Thread limit: the environment variable NNFUNC_NUM_THREADS (read at the
 * first parallel call; 1 disables threading) or nnf_set_num_threads();
 * default min(number of CPUs this process may run on, 4). Plain POSIX
 * threads (no OpenMP); other platforms get the serial fallback.
 */
#ifndef NNFUNC_PARALLEL_H
#define NNFUNC_PARALLEL_H

#include <stddef.h>
#include <stdlib.h>

typedef void (*nnf_task_fn)(void* ctx, ptrdiff_t begin, ptrdiff_t end);

#define NNF_MAX_THREADS 64
#define NNF_DEFAULT_THREADS 4
/* how long an idle worker (and a waiting caller) spins before it sleeps */
#ifndef NNF_SPIN_NS
#define NNF_SPIN_NS 200000L
#endif

#if defined(__unix__) || defined(__APPLE__)
#define NNF_PTHREADS 1
#endif

#ifdef NNF_PTHREADS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* the limit is read without the lock by every parallel call */
#if defined(__GNUC__)
#define NNF_LOAD(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)
#define NNF_STORE(v, x) __atomic_store_n(&(v), (x), __ATOMIC_RELAXED)
#define NNF_LOAD_ACQ(v) __atomic_load_n(&(v), __ATOMIC_ACQUIRE)
#define NNF_ADD(v, x) __atomic_add_fetch(&(v), (x), __ATOMIC_ACQ_REL)
#else
#define NNF_LOAD(v) (v)
#define NNF_STORE(v, x) ((v) = (x))
#define NNF_LOAD_ACQ(v) (v)
#define NNF_ADD(v, x) ((v) += (x))
#endif

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define NNF_RELAX() __builtin_ia32_pause()
#elif defined(__GNUC__) && defined(__aarch64__)
#define NNF_RELAX() __asm__ __volatile__("yield")
#else
#define NNF_RELAX() ((void)0)
#endif

static long nnf_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* spin (no lock held) while *p == v, for at most NNF_SPIN_NS; the clock is
   read every 64 pauses */
static void nnf_spin_while_ul(const unsigned long* p, unsigned long v) {
    long until = nnf_now_ns() + NNF_SPIN_NS;
    for (;;) {
        for (int k = 0; k < 64; k++) {
            if (NNF_LOAD_ACQ(*p) != v) return;
            NNF_RELAX();
        }
        if (nnf_now_ns() > until) return;
    }
}
static void nnf_spin_while_pos(const int* p) {
    long until = nnf_now_ns() + NNF_SPIN_NS;
    for (;;) {
        for (int k = 0; k < 64; k++) {
            if (NNF_LOAD_ACQ(*p) <= 0) return;
            NNF_RELAX();
        }
        if (nnf_now_ns() > until) return;
    }
}

static struct {
    pthread_mutex_t owner;      /* held by the caller that uses the pool */
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t wake, done;
    int limit;                  /* threads per call, caller included; 0: unread */
    int nworkers;               /* workers started */
    int sleepers;               /* workers waiting on `wake` */
    unsigned long gen;          /* bumped once per job (read unlocked by spinners) */
    nnf_task_fn fn;
    void* ctx;
    ptrdiff_t n, align;
    int nparts, next, left;
    int atfork;
} nnf_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
              PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
              0, 0, 0, 0, NULL, NULL, 0, 1, 0, 0, 0, 0};

static void nnf_pool_child(void) {
    pthread_mutex_init(&nnf_pool.owner, NULL);
    pthread_mutex_init(&nnf_pool.lock, NULL);
    pthread_cond_init(&nnf_pool.wake, NULL);
    pthread_cond_init(&nnf_pool.done, NULL);
    nnf_pool.nworkers = 0;
    nnf_pool.sleepers = 0;
    nnf_pool.left = 0;
    nnf_pool.next = nnf_pool.nparts = 0;
}

static ptrdiff_t nnf_part_start(ptrdiff_t n, int k, int parts, ptrdiff_t align) {
    if (k >= parts) return n;
    ptrdiff_t b = (ptrdiff_t)((double)n * k / parts);
    return b - b % align;
}

/* take parts until none is left; called with the lock held, returns with it */
static void nnf_pool_take(void) {
    while (nnf_pool.next < nnf_pool.nparts) {
        int k = nnf_pool.next++;
        nnf_task_fn fn = nnf_pool.fn;
        void* ctx = nnf_pool.ctx;
        ptrdiff_t n = nnf_pool.n, al = nnf_pool.align;
        int parts = nnf_pool.nparts;
        pthread_mutex_unlock(&nnf_pool.lock);
        ptrdiff_t b = nnf_part_start(n, k, parts, al), e = nnf_part_start(n, k + 1, parts, al);
        if (e > b) fn(ctx, b, e);
        pthread_mutex_lock(&nnf_pool.lock);
        if (NNF_ADD(nnf_pool.left, -1) == 0) pthread_cond_signal(&nnf_pool.done);
    }
}

static void* nnf_pool_worker(void* arg) {
    (void)arg;
    pthread_mutex_lock(&nnf_pool.lock);
    unsigned long seen = nnf_pool.gen;
    for (;;) {
        if (nnf_pool.gen == seen) {
            pthread_mutex_unlock(&nnf_pool.lock);
            nnf_spin_while_ul(&nnf_pool.gen, seen);
            pthread_mutex_lock(&nnf_pool.lock);
            while (nnf_pool.gen == seen) {
                nnf_pool.sleepers++;
                pthread_cond_wait(&nnf_pool.wake, &nnf_pool.lock);
                nnf_pool.sleepers--;
            }
        }
        seen = nnf_pool.gen;
        nnf_pool_take();
    }
    return NULL;
}

static int nnf_cpu_count(void) {
#ifdef CPU_COUNT
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof(s), &s) == 0) {
        int c = CPU_COUNT(&s);
        if (c > 0) return c;
    }
#endif
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

static int nnf_clamp_threads(long t) {
    return t < 1 ? 1 : (t > NNF_MAX_THREADS ? NNF_MAX_THREADS : (int)t);
}

/* the limit, read from the environment on first use (lock held) */
static int nnf_pool_limit(void) {
    if (nnf_pool.limit == 0) {
        const char* s = getenv("NNFUNC_NUM_THREADS");
        long t = 0;
        if (s != NULL && *s != '\0') {
            char* end;
            t = strtol(s, &end, 10);
            if (*end != '\0') t = 0;
        }
        if (t <= 0) {
            t = nnf_cpu_count();
            t = t < NNF_DEFAULT_THREADS ? t : NNF_DEFAULT_THREADS;
        }
        NNF_STORE(nnf_pool.limit, nnf_clamp_threads(t));
    }
    return nnf_pool.limit;
}

static int nnf_get_num_threads(void) {
    pthread_mutex_lock(&nnf_pool.lock);
    int t = nnf_pool_limit();
    pthread_mutex_unlock(&nnf_pool.lock);
    return t;
}

static void nnf_set_num_threads(int t) {
    pthread_mutex_lock(&nnf_pool.lock);
    NNF_STORE(nnf_pool.limit, nnf_clamp_threads(t));
    pthread_mutex_unlock(&nnf_pool.lock);
}

static void nnf_parallel_for(nnf_task_fn fn, void* ctx, ptrdiff_t n, ptrdiff_t grain,
                             ptrdiff_t align) {
    if (grain < 1) grain = 1;
    if (align < 1) align = 1;
    if (n < 2 * grain) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    int limit = NNF_LOAD(nnf_pool.limit);
    if (limit == 0) limit = nnf_get_num_threads();
    ptrdiff_t want = n / grain;
    int parts = want < limit ? (int)want : limit;
    if (parts < 2 || pthread_mutex_trylock(&nnf_pool.owner) != 0) {
        /* one thread, or the pool is in use by another caller: the same
           parts, in order, here */
        for (int k = 0; k < parts; k++) {
            ptrdiff_t b = nnf_part_start(n, k, parts, align);
            ptrdiff_t e = nnf_part_start(n, k + 1, parts, align);
            if (e > b) fn(ctx, b, e);
        }
        return;
    }
    pthread_mutex_lock(&nnf_pool.lock);
    if (!nnf_pool.atfork) {
        pthread_atfork(NULL, NULL, nnf_pool_child);
        nnf_pool.atfork = 1;
    }
    /* workers start with every signal blocked (they go to the Python thread) */
    sigset_t all, old;
    sigfillset(&all);
    int masked = nnf_pool.nworkers < parts - 1
                 && pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    while (nnf_pool.nworkers < parts - 1) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 256 * 1024);
        int err = pthread_create(&th, &at, nnf_pool_worker, NULL);
        pthread_attr_destroy(&at);
        if (err != 0) break;           /* fewer helpers: the caller does more */
        nnf_pool.nworkers++;
    }
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
    nnf_pool.fn = fn;
    nnf_pool.ctx = ctx;
    nnf_pool.n = n;
    nnf_pool.align = align;
    nnf_pool.nparts = parts;
    nnf_pool.next = 0;
    nnf_pool.left = parts;
    NNF_ADD(nnf_pool.gen, 1);
    if (nnf_pool.sleepers > 0) pthread_cond_broadcast(&nnf_pool.wake);
    nnf_pool_take();
    if (nnf_pool.left > 0) {
        pthread_mutex_unlock(&nnf_pool.lock);
        nnf_spin_while_pos(&nnf_pool.left);
        pthread_mutex_lock(&nnf_pool.lock);
    }
    while (nnf_pool.left > 0) pthread_cond_wait(&nnf_pool.done, &nnf_pool.lock);
    nnf_pool.nparts = 0;
    pthread_mutex_unlock(&nnf_pool.lock);
    pthread_mutex_unlock(&nnf_pool.owner);
}

#else /* no POSIX threads: always serial */

static int nnf_get_num_threads(void) { return 1; }
static void nnf_set_num_threads(int t) { (void)t; }
static void nnf_parallel_for(nnf_task_fn fn, void* ctx, ptrdiff_t n, ptrdiff_t grain,
                             ptrdiff_t align) {
    (void)grain; (void)align;
    if (n > 0) fn(ctx, 0, n);
}

#endif /* NNF_PTHREADS */

#endif /* NNFUNC_PARALLEL_H */

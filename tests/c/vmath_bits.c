/* Prints the bits of every _vmath.h function over a fixed set of inputs
 * (test_vmath_bits.py compiles this for several targets and compares). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "_vmath.h"

/* NaN counts as one value: its sign and payload are not specified (and
   do differ between targets) */
static uint32_t fbits(float v) {
    uint32_t u;
    if (v != v) return 0x7fc00000u;
    memcpy(&u, &v, 4);
    return u;
}
static uint64_t dbits(double v) {
    uint64_t u;
    if (v != v) return 0x7ff8000000000000ull;
    memcpy(&u, &v, 8);
    return u;
}

int main(void) {
    uint64_t h = 1469598103934665603ull;          /* FNV-1a over the outputs */
#define MIX(v) do { h ^= (uint64_t)(v); h *= 1099511628211ull; } while (0)
    uint32_t s = 12345u;
    for (int k = 0; k < 400000; k++) {
        s = s * 1664525u + 1013904223u;
        float xf;
        uint32_t u = s;
        memcpy(&xf, &u, 4);                          /* every bit pattern */
        float xn = -(float)(s >> 8) * (1.0f / 16777216.0f) * 120.0f;  /* (-120, 0] */
        double xd = (double)xf, xdn = (double)xn * 6.0;
        float ax = __builtin_fabsf(xf);
        MIX(fbits(nnf_exp_neg_f(xn)));
        MIX(dbits(nnf_exp_neg_d(xdn)));
        MIX(fbits(nnf_expm1_neg_f(xn)));
        MIX(dbits(nnf_expm1_neg_d(xdn)));
        MIX(fbits(nnf_tanh_f(xn / 20.0f)));
        MIX(dbits(nnf_tanh_d(xdn / 20.0)));
        MIX(fbits(nnf_sigmoid_f(xf)));
        MIX(dbits(nnf_sigmoid_d(xd)));
        MIX(fbits(nnf_softplus_f(xf)));
        MIX(dbits(nnf_softplus_d(xd)));
        MIX(fbits(nnf_log_f(ax)));
        MIX(dbits(nnf_log_d(__builtin_fabs(xd))));
        MIX(dbits(nnf_exp_for_f(xdn / 3.0)));
        MIX(fbits(nnf_pow_f(xf, 2.3f, 0.0f)));
        MIX(fbits(nnf_pow_f(xf, -3.0f, -1.0f)));
        MIX(fbits(nnf_pow_half_f(xf, 2.5f, 0.0f)));
        MIX(fbits(nnf_pow_half_f(xf, -7.0f, -1.0f)));
    }
    printf("%016llx\n", (unsigned long long)h);
    return 0;
}

#include "CKernels.h"
#include <stdint.h>

// Compiled for AVX-512 and AVX2 as well as the x86-64 baseline (SSE2), chosen when the library loads.
#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Clipping by value: a compare-and-select per element with a count of the clipped ones. Swift turns the
// same loop into two branches per element; here it vectorizes. The count is kept in 32 bits within
// blocks of 2^20 elements (a 64-bit lane count halves the vector width). Comparisons with NaN are false,
// so NaN passes through.
#define CLIP_VALUES(T)                                                                                   \
    size_t count = 0;                                                                                    \
    for (size_t start = 0; start < n; start += (size_t)1 << 20) {                                        \
        size_t end = n - start > ((size_t)1 << 20) ? start + ((size_t)1 << 20) : n;                      \
        uint32_t block = 0;                                                                              \
        for (size_t i = start; i < end; i++) {                                                           \
            T v = g[i];                                                                                  \
            uint32_t low = v < -limit, high = v > limit;                                                 \
            block += low + high;                                                                         \
            g[i] = low ? -limit : (high ? limit : v);                                                    \
        }                                                                                                \
        count += block;                                                                                  \
    }                                                                                                    \
    return count;

CLONES size_t circuits_clip_values_f32(float *g, size_t n, float limit) { CLIP_VALUES(float) }
CLONES size_t circuits_clip_values_f64(double *g, size_t n, double limit) { CLIP_VALUES(double) }

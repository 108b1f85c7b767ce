#include "CKernels.h"

// 2×2 stride-2 max pooling, forward and backward. Written in C because the loops need strided loads and
// per-lane selects, which clang vectorizes (interleaved load groups, blends) and Swift's generic SIMD
// types did not: the Swift version ran a scalar loop over lanes, three times slower than PyTorch.
//
// The comparison `v > m || v != v` keeps the earlier pixel on ties and lets a NaN win (PyTorch's rule);
// the index is the pixel's position in its plane (row·w + column).
#define MAXPOOL2X2(T)                                                                                    \
    size_t ho = h / 2, wo = w / 2;                                                                       \
    for (size_t p = 0; p < planes; p++) {                                                                \
        const T *xp = x + p * h * w;                                                                     \
        T *yp = y + p * ho * wo;                                                                         \
        int32_t *ip = indices + p * ho * wo;                                                             \
        for (size_t i = 0; i < ho; i++) {                                                                \
            const T *r0 = xp + 2 * i * w, *r1 = r0 + w;                                                  \
            int32_t base = (int32_t)(2 * i * w);                                                         \
            T *yr = yp + i * wo;                                                                         \
            int32_t *ir = ip + i * wo;                                                                   \
            for (size_t j = 0; j < wo; j++) {                                                            \
                T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];                    \
                T m = a;                                                                                 \
                int32_t k = 0;                                                                           \
                int pb = b > m || b != b; m = pb ? b : m; k = pb ? 1 : k;                                \
                int pc = c > m || c != c; m = pc ? c : m; k = pc ? 2 : k;                                \
                int pd = d > m || d != d; m = pd ? d : m; k = pd ? 3 : k;                                \
                yr[j] = m;                                                                               \
                ir[j] = base + (int32_t)(2 * j) + (k & 1) + (k >> 1) * (int32_t)w;                       \
            }                                                                                            \
        }                                                                                                \
    }

void circuits_maxpool2x2_f32(const float *restrict x, size_t planes, size_t h, size_t w,
                             float *restrict y, int32_t *restrict indices) {
    MAXPOOL2X2(float)
}

void circuits_maxpool2x2_f64(const double *restrict x, size_t planes, size_t h, size_t w,
                             double *restrict y, int32_t *restrict indices) {
    MAXPOOL2X2(double)
}

// Every input pixel is written once: dy where it was its window's argmax, 0 elsewhere (including the
// last row or column that an odd size leaves outside every window), so no zeroing pass and no scatter.
#define MAXPOOL2X2_BACKWARD(T)                                                                           \
    size_t ho = h / 2, wo = w / 2;                                                                       \
    for (size_t p = 0; p < planes; p++) {                                                                \
        const T *dyp = dy + p * ho * wo;                                                                 \
        const int32_t *ip = indices + p * ho * wo;                                                       \
        T *dxp = dx + p * h * w;                                                                         \
        for (size_t i = 0; i < ho; i++) {                                                                \
            T *t = dxp + 2 * i * w, *u = t + w;                                                          \
            int32_t base = (int32_t)(2 * i * w);                                                         \
            for (size_t j = 0; j < wo; j++) {                                                            \
                T d = dyp[i * wo + j];                                                                   \
                int32_t local = ip[i * wo + j] - base - (int32_t)(2 * j);                                \
                t[2 * j] = local == 0 ? d : 0;                                                           \
                t[2 * j + 1] = local == 1 ? d : 0;                                                       \
                u[2 * j] = local == (int32_t)w ? d : 0;                                                  \
                u[2 * j + 1] = local == (int32_t)w + 1 ? d : 0;                                          \
            }                                                                                            \
            if (w % 2) { t[w - 1] = 0; u[w - 1] = 0; }                                                   \
        }                                                                                                \
        if (h % 2) { for (size_t c = 0; c < w; c++) dxp[(h - 1) * w + c] = 0; }                          \
    }

void circuits_maxpool2x2_backward_f32(const float *restrict dy, const int32_t *restrict indices, size_t planes,
                                      size_t h, size_t w, float *restrict dx) {
    MAXPOOL2X2_BACKWARD(float)
}

void circuits_maxpool2x2_backward_f64(const double *restrict dy, const int32_t *restrict indices, size_t planes,
                                      size_t h, size_t w, double *restrict dx) {
    MAXPOOL2X2_BACKWARD(double)
}

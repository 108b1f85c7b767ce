#include "CKernels.h"
#include <string.h>

// 2×2 stride-2 max pooling, forward and backward, optionally fused with a ReLU before the pooling
// (relu(x) then max = max then relu(·), so the fused kernel takes the max and clamps it at 0, and its
// backward routes dy only where that max was positive: the same numbers as the two layers, without the
// passes over the 4× larger map that the ReLU alone would cost).
//
// The comparison `v > m || v != v` keeps the earlier pixel on ties and lets a NaN win (PyTorch's rule);
// the index is the pixel's position in its plane (row·w + column). A NaN maximum stays NaN through the
// fused ReLU (`m < 0 ? 0 : m`), whose backward passes nothing for it (`y > 0` is false), as the ReLU
// layer's does.
//
// Float runs on clang's vector extensions, eight outputs at a time: the window's four pixels come from
// two 16-wide row loads split into even and odd lanes, and the backward builds each pair of input rows
// by interleaving four masked copies of dy. Written out because the plain loop with four scalar selects
// compiled to a branch per select (the vectorizer gave up on the interleaved stores), mispredicted
// about half the time on real activations: 3.2 ms per small-CNN step for the backward. `target_clones`
// builds the loops for AVX-512, AVX2 and the baseline, chosen when the library loads.

typedef float f8 __attribute__((ext_vector_type(8)));
typedef float f16 __attribute__((ext_vector_type(16)));
typedef int32_t i8 __attribute__((ext_vector_type(8)));
typedef int32_t i16 __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Macros rather than functions: a function taking or returning a 256- or 512-bit vector would have a
// different ABI in each clone.
#define LOAD(T, p) ({ T v_; memcpy(&v_, (p), sizeof v_); v_; })
#define STORE(p, v) ({ __typeof__(v) v_ = (v); memcpy((p), &v_, sizeof v_); })
/// mask ? a : b, lane by lane (mask lanes are all ones or all zeros).
#define SELECT8(mask, a, b) ((f8)(((mask) & (i8)(a)) | (~(mask) & (i8)(b))))
#define SELECT8I(mask, a, b) (((mask) & (a)) | (~(mask) & (b)))

CLONES
void circuits_maxpool2x2_f32(const float *restrict x, size_t planes, size_t h, size_t w,
                             float *restrict y, int32_t *restrict indices, int relu) {
    size_t ho = h / 2, wo = w / 2;
    const i8 lanes = {0, 2, 4, 6, 8, 10, 12, 14};
    // Vectors may run past a row's end (a row of 7 or 14 outputs is not a multiple of 8): the extra
    // lanes read the following rows' pixels and write into the following outputs, which are computed
    // (and written) after. Only where a vector would reach past the end of the buffers does the scalar
    // loop take over.
    const float *xend = x + planes * h * w;
    const float *yend = y + planes * ho * wo;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * h * w;
        float *yp = y + p * ho * wo;
        int32_t *ip = indices + p * ho * wo;
        for (size_t i = 0; i < ho; i++) {
            const float *r0 = xp + 2 * i * w, *r1 = r0 + w;
            int32_t base = (int32_t)(2 * i * w);
            float *yr = yp + i * wo;
            int32_t *ir = ip + i * wo;
            size_t j = 0;
            for (; j < wo && r1 + 2 * j + 16 <= xend && yr + j + 8 <= yend; j += 8) {
                f16 top = LOAD(f16, r0 + 2 * j), bottom = LOAD(f16, r1 + 2 * j);
                f8 a = __builtin_shufflevector(top, top, 0, 2, 4, 6, 8, 10, 12, 14);
                f8 b = __builtin_shufflevector(top, top, 1, 3, 5, 7, 9, 11, 13, 15);
                f8 c = __builtin_shufflevector(bottom, bottom, 0, 2, 4, 6, 8, 10, 12, 14);
                f8 d = __builtin_shufflevector(bottom, bottom, 1, 3, 5, 7, 9, 11, 13, 15);
                f8 m = a;
                i8 k = 0;
                i8 pb = (b > m) | (b != b); m = SELECT8(pb, b, m); k = SELECT8I(pb, (i8)1, k);
                i8 pc = (c > m) | (c != c); m = SELECT8(pc, c, m); k = SELECT8I(pc, (i8)(int32_t)w, k);
                i8 pd = (d > m) | (d != d); m = SELECT8(pd, d, m); k = SELECT8I(pd, (i8)(int32_t)(w + 1), k);
                if (relu) m = SELECT8(m < 0, (f8)0, m);
                STORE(yr + j, m);
                STORE(ir + j, (i8)(base + (int32_t)(2 * j)) + lanes + k);
            }
            for (; j < wo; j++) {
                float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
                float m = a;
                int32_t k = 0;
                if (b > m || b != b) { m = b; k = 1; }
                if (c > m || c != c) { m = c; k = (int32_t)w; }
                if (d > m || d != d) { m = d; k = (int32_t)w + 1; }
                yr[j] = relu && m < 0 ? 0 : m;
                ir[j] = base + (int32_t)(2 * j) + k;
            }
        }
    }
}

CLONES
void circuits_maxpool2x2_backward_f32(const float *restrict dy, const int32_t *restrict indices, const float *restrict y,
                                      size_t planes, size_t h, size_t w, float *restrict dx) {
    size_t ho = h / 2, wo = w / 2;
    const i8 lanes = {0, 2, 4, 6, 8, 10, 12, 14};
    // As in the forward, vectors may run past a row's end: the extra lanes write into the following
    // input pixels, which the following passes (or the zeroing of an odd last row or column) write
    // again afterwards: top rows before bottom rows, rows in order.
    const float *dyend = dy + planes * ho * wo;
    const float *dxend = dx + planes * h * w;
    for (size_t p = 0; p < planes; p++) {
        const float *dyp = dy + p * ho * wo;
        const float *yp = y ? y + p * ho * wo : 0;
        const int32_t *ip = indices + p * ho * wo;
        float *dxp = dx + p * h * w;
        for (size_t i = 0; i < ho; i++) {
            const float *dyr = dyp + i * wo, *yr = yp ? yp + i * wo : 0;
            const int32_t *ir = ip + i * wo;
            int32_t base = (int32_t)(2 * i * w);
            // The top row of each window, then the bottom row: the top row's extra lanes land in the
            // bottom row, which the second pass writes whole.
            for (int bottom = 0; bottom < 2; bottom++) {
                float *row = dxp + (2 * i + (size_t)bottom) * w;
                int32_t first = bottom ? (int32_t)w : 0;
                size_t j = 0;
                for (; j < wo && dyr + j + 8 <= dyend && row + 2 * j + 16 <= dxend; j += 8) {
                    f8 d = LOAD(f8, dyr + j);
                    if (yr) d = SELECT8(LOAD(f8, yr + j) > 0, d, (f8)0);
                    i8 local = LOAD(i8, ir + j) - (i8)(base + (int32_t)(2 * j)) - lanes;
                    f8 left = SELECT8(local == first, d, (f8)0), right = SELECT8(local == first + 1, d, (f8)0);
                    STORE(row + 2 * j, __builtin_shufflevector(left, right, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
                }
                for (; j < wo; j++) {
                    float d = dyr[j];
                    if (yr && !(yr[j] > 0)) d = 0;
                    int32_t local = ir[j] - base - (int32_t)(2 * j);
                    row[2 * j] = local == first ? d : 0;
                    row[2 * j + 1] = local == first + 1 ? d : 0;
                }
                // The last column an odd width leaves outside every window.
                if (w % 2) row[w - 1] = 0;
            }
        }
        if (h % 2) { memset(dxp + (h - 1) * w, 0, w * sizeof(float)); }
    }
}

// Double: the same arithmetic as plain loops (gradient checks and reference runs; not a hot path).
void circuits_maxpool2x2_f64(const double *restrict x, size_t planes, size_t h, size_t w,
                             double *restrict y, int32_t *restrict indices, int relu) {
    size_t ho = h / 2, wo = w / 2;
    for (size_t p = 0; p < planes; p++) {
        const double *xp = x + p * h * w;
        for (size_t i = 0; i < ho; i++) {
            const double *r0 = xp + 2 * i * w, *r1 = r0 + w;
            int32_t base = (int32_t)(2 * i * w);
            for (size_t j = 0; j < wo; j++) {
                double a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
                double m = a;
                int32_t k = 0;
                if (b > m || b != b) { m = b; k = 1; }
                if (c > m || c != c) { m = c; k = (int32_t)w; }
                if (d > m || d != d) { m = d; k = (int32_t)w + 1; }
                y[p * ho * wo + i * wo + j] = relu && m < 0 ? 0 : m;
                indices[p * ho * wo + i * wo + j] = base + (int32_t)(2 * j) + k;
            }
        }
    }
}

void circuits_maxpool2x2_backward_f64(const double *restrict dy, const int32_t *restrict indices, const double *restrict y,
                                      size_t planes, size_t h, size_t w, double *restrict dx) {
    size_t ho = h / 2, wo = w / 2;
    memset(dx, 0, planes * h * w * sizeof(double));
    for (size_t p = 0; p < planes; p++) {
        for (size_t o = 0; o < ho * wo; o++) {
            double d = dy[p * ho * wo + o];
            if (y && !(y[p * ho * wo + o] > 0)) d = 0;
            dx[p * h * w + (size_t)indices[p * ho * wo + o]] += d;
        }
    }
}

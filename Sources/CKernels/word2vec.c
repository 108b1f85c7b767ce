#include "CKernels.h"
#include <immintrin.h>
#include <stdint.h>

// The inner loop of word2vec (Mikolov et al. 2013b): one input vector against its output rows.
// For each target t with label l: f = input·row_t, g = (l − σ(f))·alpha, neu1e += g·row_t,
// row_t += g·input, in order (a row drawn twice sees its first update), exactly as word2vec.c does it.
// σ is read from word2vec.c's table (1000 steps over [−6, 6]); past |f| > 6 negative sampling clips σ
// to 0 or 1 and hierarchical softmax (skip_outside) skips the target.
//
// The package builds for the x86-64 baseline (SSE2), so the AVX-512 and AVX2+FMA versions are compiled
// with target attributes and chosen once at run time. With AVX-512 and rows of at most 128 floats,
// the input and neu1e stay in registers across all targets: each target costs one pass over its row.

#define W2V_MAX_EXP 6.0f
#define W2V_SCALE (1000.0f / W2V_MAX_EXP / 2.0f)

static inline float w2v_gradient(float f, float label, float alpha, const float *sigmoid, int skip_outside, int *skip) {
    *skip = 0;
    if (f > W2V_MAX_EXP) { *skip = skip_outside; return (label - 1.0f) * alpha; }
    if (f < -W2V_MAX_EXP) { *skip = skip_outside; return label * alpha; }
    return (label - sigmoid[(int)((f + W2V_MAX_EXP) * W2V_SCALE)]) * alpha;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define W2V_X86 1

__attribute__((target("avx512f"), always_inline))
static inline void update_avx512_n(const int n, const float *input, float *neu1e, float *rows, const int32_t *targets,
                                   const float *labels, size_t count, float alpha, size_t stride,
                                   const float *sigmoid, int skip_outside) {
    __m512 x[8], e[8];
    for (int k = 0; k < n; k++) { x[k] = _mm512_loadu_ps(input + 16 * k); e[k] = _mm512_loadu_ps(neu1e + 16 * k); }
    for (size_t d = 0; d < count; d++) {
        float *row = rows + (size_t)targets[d] * stride;
        __m512 r[8];
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        for (int k = 0; k < n; k++) {
            r[k] = _mm512_loadu_ps(row + 16 * k);
            if (k & 1) s1 = _mm512_fmadd_ps(x[k], r[k], s1); else s0 = _mm512_fmadd_ps(x[k], r[k], s0);
        }
        float f = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
        int skip;
        float g = w2v_gradient(f, labels[d], alpha, sigmoid, skip_outside, &skip);
        if (skip) continue;
        __m512 gv = _mm512_set1_ps(g);
        for (int k = 0; k < n; k++) {
            e[k] = _mm512_fmadd_ps(gv, r[k], e[k]);
            _mm512_storeu_ps(row + 16 * k, _mm512_fmadd_ps(gv, x[k], r[k]));
        }
    }
    for (int k = 0; k < n; k++) _mm512_storeu_ps(neu1e + 16 * k, e[k]);
}

__attribute__((target("avx512f")))
static void update_avx512(const float *input, float *neu1e, float *rows, const int32_t *targets, const float *labels,
                          size_t count, float alpha, size_t stride, const float *sigmoid, int skip_outside) {
    // One copy per row length up to 128 floats, so that every loop above unrolls into registers.
    switch (stride / 16) {
    case 1: update_avx512_n(1, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 2: update_avx512_n(2, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 3: update_avx512_n(3, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 4: update_avx512_n(4, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 5: update_avx512_n(5, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 6: update_avx512_n(6, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 7: update_avx512_n(7, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    case 8: update_avx512_n(8, input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return;
    default: break;
    }
    for (size_t d = 0; d < count; d++) {
        float *row = rows + (size_t)targets[d] * stride;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        for (size_t j = 0; j < stride; j += 32) {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(input + j), _mm512_loadu_ps(row + j), s0);
            if (j + 16 < stride) s1 = _mm512_fmadd_ps(_mm512_loadu_ps(input + j + 16), _mm512_loadu_ps(row + j + 16), s1);
        }
        float f = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
        int skip;
        float g = w2v_gradient(f, labels[d], alpha, sigmoid, skip_outside, &skip);
        if (skip) continue;
        __m512 gv = _mm512_set1_ps(g);
        for (size_t j = 0; j < stride; j += 16) {
            __m512 r = _mm512_loadu_ps(row + j);
            _mm512_storeu_ps(neu1e + j, _mm512_fmadd_ps(gv, r, _mm512_loadu_ps(neu1e + j)));
            _mm512_storeu_ps(row + j, _mm512_fmadd_ps(gv, _mm512_loadu_ps(input + j), r));
        }
    }
}

__attribute__((target("avx2,fma")))
static void update_avx2(const float *input, float *neu1e, float *rows, const int32_t *targets, const float *labels,
                        size_t count, float alpha, size_t stride, const float *sigmoid, int skip_outside) {
    for (size_t d = 0; d < count; d++) {
        float *row = rows + (size_t)targets[d] * stride;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (size_t j = 0; j < stride; j += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(input + j), _mm256_loadu_ps(row + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(input + j + 8), _mm256_loadu_ps(row + j + 8), s1);
        }
        __m256 s = _mm256_add_ps(s0, s1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        float f = _mm_cvtss_f32(h);
        int skip;
        float g = w2v_gradient(f, labels[d], alpha, sigmoid, skip_outside, &skip);
        if (skip) continue;
        __m256 gv = _mm256_set1_ps(g);
        for (size_t j = 0; j < stride; j += 8) {
            __m256 r = _mm256_loadu_ps(row + j);
            _mm256_storeu_ps(neu1e + j, _mm256_fmadd_ps(gv, r, _mm256_loadu_ps(neu1e + j)));
            _mm256_storeu_ps(row + j, _mm256_fmadd_ps(gv, _mm256_loadu_ps(input + j), r));
        }
    }
}
#endif

// Any CPU: four partial sums (the compiler vectorizes the updates with SSE2).
static void update_portable(const float *input, float *neu1e, float *rows, const int32_t *targets, const float *labels,
                            size_t count, float alpha, size_t stride, const float *sigmoid, int skip_outside) {
    for (size_t d = 0; d < count; d++) {
        float *row = rows + (size_t)targets[d] * stride;
        float s[4] = {0, 0, 0, 0};
        for (size_t j = 0; j < stride; j += 4)
            for (int k = 0; k < 4; k++) s[k] += input[j + k] * row[j + k];
        float f = (s[0] + s[1]) + (s[2] + s[3]);
        int skip;
        float g = w2v_gradient(f, labels[d], alpha, sigmoid, skip_outside, &skip);
        if (skip) continue;
        for (size_t j = 0; j < stride; j++) {
            float r = row[j];
            neu1e[j] += g * r;
            row[j] = r + g * input[j];
        }
    }
}

typedef void (*w2v_update_fn)(const float *, float *, float *, const int32_t *, const float *, size_t, float, size_t,
                              const float *, int);

int circuits_w2v_kernel(void) {
#ifdef W2V_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

void circuits_w2v_update(int kernel, const float *input, float *neu1e, float *rows, const int32_t *targets,
                         const float *labels, size_t count, float alpha, size_t stride, const float *sigmoid,
                         int skip_outside) {
#ifdef W2V_X86
    if (kernel == 2) { update_avx512(input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return; }
    if (kernel == 1) { update_avx2(input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside); return; }
#endif
    update_portable(input, neu1e, rows, targets, labels, count, alpha, stride, sigmoid, skip_outside);
}

#include "CKernels.h"
#include <immintrin.h>

// Matrix-vector products for small matrices (a batch of one through a recurrent layer: 25 steps of a
// 100×100 product per chunk, each forward and backward). OpenBLAS's gemv pays its interface and its
// kernel set-up on every call, which at 10⁴ multiply-adds costs about as much as the arithmetic; these
// loops go straight to it. The matrix is row-major with leading dimension ldb; x is contiguous.
//
//   rows:    y[j] = β·y[j] + Σ_p B[j, p]·x[p]     (B n×k: one dot product per row)
//   columns: y[j] = β·y[j] + Σ_p x[p]·B[p, j]     (B k×n: a sum of scaled rows)
//
// β = 0 overwrites y (as BLAS: a NaN already in y does not survive). The package builds for the x86-64
// baseline, so the kernels are compiled for AVX-512 with a target attribute and used only when the CPU
// has it; otherwise the functions return 0 and the caller uses BLAS.

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define GEMV_X86 1

static int gemv_has_avx512(void) {
    static int level = -1;   // -1 unknown, 0 no, 1 yes; racing writers store the same value
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        __builtin_cpu_init();
        l = __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

static inline __mmask16 mask16(size_t remaining) { return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1); }
static inline __mmask8 mask8(size_t remaining) { return remaining >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << remaining) - 1); }

// Four rows at a time share each load of x; the tail of a row is a masked load (zeros beyond it).
#define GEMV_ROWS(T, V, W, LOAD, FMA, ZERO, REDUCE, MASK, MASKT)                                              \
    size_t j = 0;                                                                                             \
    for (; j + 4 <= n; j += 4) {                                                                              \
        const T *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;                            \
        V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();                                                 \
        for (size_t p = 0; p < k; p += W) {                                                                   \
            MASKT m = MASK(k - p);                                                                            \
            V xv = LOAD(m, x + p);                                                                            \
            s0 = FMA(LOAD(m, b0 + p), xv, s0);                                                                \
            s1 = FMA(LOAD(m, b1 + p), xv, s1);                                                                \
            s2 = FMA(LOAD(m, b2 + p), xv, s2);                                                                \
            s3 = FMA(LOAD(m, b3 + p), xv, s3);                                                                \
        }                                                                                                     \
        T d0 = REDUCE(s0), d1 = REDUCE(s1), d2 = REDUCE(s2), d3 = REDUCE(s3);                                 \
        if (beta == 0) { y[j] = d0; y[j + 1] = d1; y[j + 2] = d2; y[j + 3] = d3; }                            \
        else { y[j] = beta * y[j] + d0; y[j + 1] = beta * y[j + 1] + d1; y[j + 2] = beta * y[j + 2] + d2; y[j + 3] = beta * y[j + 3] + d3; } \
    }                                                                                                         \
    for (; j < n; j++) {                                                                                      \
        const T *b0 = b + j * ldb;                                                                            \
        V s0 = ZERO();                                                                                        \
        for (size_t p = 0; p < k; p += W) {                                                                   \
            MASKT m = MASK(k - p);                                                                            \
            s0 = FMA(LOAD(m, b0 + p), LOAD(m, x + p), s0);                                                    \
        }                                                                                                     \
        T d0 = REDUCE(s0);                                                                                    \
        y[j] = beta == 0 ? d0 : beta * y[j] + d0;                                                             \
    }

// Four vectors of y (64 floats, 32 doubles) held in registers while every row of B adds onto them.
#define GEMV_COLUMNS(T, V, W, LOAD, STORE, FMA, ZERO, SET1, MUL, MASK, MASKT)                                 \
    for (size_t j = 0; j < n; j += 4 * W) {                                                                   \
        size_t left = n - j;                                                                                  \
        MASKT m0 = MASK(left), m1 = left > W ? MASK(left - W) : 0, m2 = left > 2 * W ? MASK(left - 2 * W) : 0, \
              m3 = left > 3 * W ? MASK(left - 3 * W) : 0;                                                     \
        V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();                                                 \
        for (size_t p = 0; p < k; p++) {                                                                      \
            const T *row = b + p * ldb + j;                                                                   \
            V xv = SET1(x[p]);                                                                                \
            s0 = FMA(LOAD(m0, row), xv, s0);                                                                  \
            if (m1) s1 = FMA(LOAD(m1, row + W), xv, s1);                                                      \
            if (m2) s2 = FMA(LOAD(m2, row + 2 * W), xv, s2);                                                  \
            if (m3) s3 = FMA(LOAD(m3, row + 3 * W), xv, s3);                                                  \
        }                                                                                                     \
        if (beta != 0) {                                                                                      \
            V bv = SET1(beta);                                                                                \
            s0 = FMA(LOAD(m0, y + j), bv, s0);                                                                \
            if (m1) s1 = FMA(LOAD(m1, y + j + W), bv, s1);                                                    \
            if (m2) s2 = FMA(LOAD(m2, y + j + 2 * W), bv, s2);                                                \
            if (m3) s3 = FMA(LOAD(m3, y + j + 3 * W), bv, s3);                                                \
        }                                                                                                     \
        STORE(y + j, m0, s0);                                                                                 \
        if (m1) STORE(y + j + W, m1, s1);                                                                     \
        if (m2) STORE(y + j + 2 * W, m2, s2);                                                                 \
        if (m3) STORE(y + j + 3 * W, m3, s3);                                                                 \
    }

#define LOAD_PS(m, p) _mm512_maskz_loadu_ps(m, p)
#define LOAD_PD(m, p) _mm512_maskz_loadu_pd(m, p)

__attribute__((target("avx512f")))
static void rows_f32(const float *b, size_t n, size_t k, size_t ldb, const float *x, float beta, float *y) {
    GEMV_ROWS(float, __m512, 16, LOAD_PS, _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_reduce_add_ps, mask16, __mmask16)
}
__attribute__((target("avx512f")))
static void rows_f64(const double *b, size_t n, size_t k, size_t ldb, const double *x, double beta, double *y) {
    GEMV_ROWS(double, __m512d, 8, LOAD_PD, _mm512_fmadd_pd, _mm512_setzero_pd, _mm512_reduce_add_pd, mask8, __mmask8)
}
__attribute__((target("avx512f")))
static void columns_f32(const float *b, size_t k, size_t n, size_t ldb, const float *x, float beta, float *y) {
    GEMV_COLUMNS(float, __m512, 16, LOAD_PS, _mm512_mask_storeu_ps, _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_set1_ps,
                 _mm512_mul_ps, mask16, __mmask16)
}
__attribute__((target("avx512f")))
static void columns_f64(const double *b, size_t k, size_t n, size_t ldb, const double *x, double beta, double *y) {
    GEMV_COLUMNS(double, __m512d, 8, LOAD_PD, _mm512_mask_storeu_pd, _mm512_fmadd_pd, _mm512_setzero_pd, _mm512_set1_pd,
                 _mm512_mul_pd, mask8, __mmask8)
}

// B = Aᵀ for a row-major A rows×cols (leading dimension lda) into B cols×rows (ldb): 8×8 blocks through
// registers (unpack, shuffle, lane swap), the edges element by element.
__attribute__((target("avx512f")))
static void transpose_f32(const float *a, size_t rows, size_t cols, size_t lda, float *b, size_t ldb) {
    size_t r8 = rows & ~(size_t)7, c8 = cols & ~(size_t)7;
    for (size_t i = 0; i < r8; i += 8) {
        for (size_t j = 0; j < c8; j += 8) {
            const float *p = a + i * lda + j;
            __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + lda), r2 = _mm256_loadu_ps(p + 2 * lda),
                   r3 = _mm256_loadu_ps(p + 3 * lda), r4 = _mm256_loadu_ps(p + 4 * lda), r5 = _mm256_loadu_ps(p + 5 * lda),
                   r6 = _mm256_loadu_ps(p + 6 * lda), r7 = _mm256_loadu_ps(p + 7 * lda);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
                   t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                   t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                   u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                   u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                   u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *q = b + j * ldb + i;
            _mm256_storeu_ps(q, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(q + ldb, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(q + 2 * ldb, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(q + 3 * ldb, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(q + 4 * ldb, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(q + 5 * ldb, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(q + 6 * ldb, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(q + 7 * ldb, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (size_t j = c8; j < cols; j++)
            for (size_t k = i; k < i + 8; k++) b[j * ldb + k] = a[k * lda + j];
    }
    for (size_t i = r8; i < rows; i++)
        for (size_t j = 0; j < cols; j++) b[j * ldb + i] = a[i * lda + j];
}
#endif

int circuits_gemv_rows_f32(const float *b, size_t n, size_t k, size_t ldb, const float *x, float beta, float *y) {
#ifdef GEMV_X86
    if (gemv_has_avx512()) { rows_f32(b, n, k, ldb, x, beta, y); return 1; }
#endif
    return 0;
}
int circuits_gemv_rows_f64(const double *b, size_t n, size_t k, size_t ldb, const double *x, double beta, double *y) {
#ifdef GEMV_X86
    if (gemv_has_avx512()) { rows_f64(b, n, k, ldb, x, beta, y); return 1; }
#endif
    return 0;
}
int circuits_gemv_columns_f32(const float *b, size_t k, size_t n, size_t ldb, const float *x, float beta, float *y) {
#ifdef GEMV_X86
    if (gemv_has_avx512()) { columns_f32(b, k, n, ldb, x, beta, y); return 1; }
#endif
    return 0;
}
int circuits_gemv_columns_f64(const double *b, size_t k, size_t n, size_t ldb, const double *x, double beta, double *y) {
#ifdef GEMV_X86
    if (gemv_has_avx512()) { columns_f64(b, k, n, ldb, x, beta, y); return 1; }
#endif
    return 0;
}
int circuits_transpose_f32(const float *a, size_t rows, size_t cols, size_t lda, float *b, size_t ldb) {
#ifdef GEMV_X86
    if (gemv_has_avx512()) { transpose_f32(a, rows, cols, lda, b, ldb); return 1; }
#endif
    return 0;
}

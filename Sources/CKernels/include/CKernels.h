// Elementwise kernels that Swift cannot vectorize by itself (and, for σ and tanh, that libm's scalar
// expf/tanhf cannot). Swift's `squareRoot()` keeps a libm call for
// negative inputs (errno), which stops LLVM from vectorizing any loop that contains it, and the standard
// library's SIMD `squareRoot()` is a loop over lanes. In C, `__builtin_elementwise_sqrt` is a plain IEEE
// square root, so these loops compile to packed sqrt/div instructions.
#ifndef CIRCUITS_CKERNELS_H
#define CIRCUITS_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// One Adam step over n parameters, in place (buffers must not overlap):
///   m ← b1·m + (1−b1)·g,  v ← b2·v + (1−b2)·g²,  w ← w − stepSize·m / (√v·rootCorrection + epsilon).
/// Both bias corrections are folded into stepSize = η/(1−β₁ᵗ) and rootCorrection = 1/√(1−β₂ᵗ).
void circuits_adam_update_f32(float *w, float *m, float *v, const float *g, size_t n,
                              float b1, float b2, float stepSize, float rootCorrection, float epsilon);
void circuits_adam_update_f64(double *w, double *m, double *v, const double *g, size_t n,
                              double b1, double b2, double stepSize, double rootCorrection, double epsilon);

/// One Adagrad step over n parameters, in place (buffers must not overlap), each g[i] first clipped to
/// [−limit, limit] (NaN kept; limit = +∞: no clipping; g itself is not written):
///   s ← s + g²,  w ← w − rate·g / (√s + epsilon), or w ← w − rate·g / √(s + epsilon) when epsilonInside.
void circuits_adagrad_update_f32(float *w, float *s, const float *g, size_t n, float rate, float epsilon, int epsilonInside,
                                 float limit);
void circuits_adagrad_update_f64(double *w, double *s, const double *g, size_t n, double rate, double epsilon,
                                 int epsilonInside, double limit);

/// Clips g[i] to [−limit, limit] in place (NaN kept); returns how many elements were clipped.
size_t circuits_clip_values_f32(float *g, size_t n, float limit);
size_t circuits_clip_values_f64(double *g, size_t n, double limit);

/// y = σ(x) = 1/(1 + e^−x) elementwise in float, within 3 ulp of the exact value (results below the
/// smallest normal float, x < −87.3365, come out as 0); NaN stays NaN. x and y must not overlap.
void circuits_sigmoid_f32(const float *x, float *y, size_t n);
/// y = tanh(x) elementwise in float, within 2 ulp of the exact value; NaN stays NaN. No overlap.
void circuits_tanh_f32(const float *x, float *y, size_t n);
/// y = e^(x − shift) elementwise in float, within 1 ulp (results below the smallest normal float come out
/// as 0); NaN stays NaN. No overlap. Softmax's exponentials, shift being the row maximum. Returns Σ y,
/// summed as eight partial sums in a fixed order (the same total on every CPU).
float circuits_exp_shifted_f32(const float *x, float shift, float *y, size_t n);
/// The same in double (Sources/CKernels/exp64.c), within about one ulp of e^(x − shift); x − shift < −708
/// gives 0, above 709.78 +inf. Returns Σ y as the float version does.
double circuits_exp_shifted_f64(const double *x, double shift, double *y, size_t n);
/// y = tanh(x) elementwise in double, within a few ulp of the exact value (Sources/CKernels/tanh64.c); NaN
/// stays NaN. No overlap.
void circuits_tanh_f64(const double *x, double *y, size_t n);

/// 2×2 stride-2 max pooling of `planes` planes of h × w (NCHW, N·C planes): y is planes × ⌊h/2⌋ × ⌊w/2⌋,
/// `indices` the argmax of each window as row·w + column within its plane (ties: the first pixel in
/// row-major order; a NaN wins). With `relu` non-zero, y = max(0, window max): a ReLU before the pooling,
/// fused. No overlap between buffers.
void circuits_maxpool2x2_f32(const float *x, size_t planes, size_t h, size_t w, float *y, int32_t *indices, int relu);
void circuits_maxpool2x2_f64(const double *x, size_t planes, size_t h, size_t w, double *y, int32_t *indices, int relu);
/// The backward of circuits_maxpool2x2: dx (planes × h × w) is overwritten with dy at each window's argmax
/// and 0 everywhere else. `y` is the forward's output when it fused a ReLU (dy passes only where y > 0),
/// else NULL.
void circuits_maxpool2x2_backward_f32(const float *dy, const int32_t *indices, const float *y, size_t planes, size_t h, size_t w, float *dx);
void circuits_maxpool2x2_backward_f64(const double *dy, const int32_t *indices, const double *y, size_t planes, size_t h, size_t w, double *dx);

/// One image's column matrix for a stride-1 window whose output is as wide as the input (Wout = W):
/// row (c·kh + p)·kw + q, column i·W + j holds x[c, i + p·dh − top, j + q·dw − left], or 0 outside the
/// image; rows are `rowStride` apart. `hout` is the output's height.
void circuits_im2col_shifted_f32(const float *x, size_t channels, size_t h, size_t w, size_t hout, size_t kh, size_t kw,
                                 size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left, float *col, ptrdiff_t rowStride);
void circuits_im2col_shifted_f64(const double *x, size_t channels, size_t h, size_t w, size_t hout, size_t kh, size_t kw,
                                 size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left, double *col, ptrdiff_t rowStride);
/// The adjoint: adds each column entry onto the pixel it was read from (rows hout·W apart); `col` is
/// scratch (its entries outside the image are overwritten with zeros).
void circuits_col2im_shifted_f32(float *col, size_t channels, size_t h, size_t w, size_t hout, size_t kh, size_t kw,
                                 size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left, float *dx);
void circuits_col2im_shifted_f64(double *col, size_t channels, size_t h, size_t w, size_t hout, size_t kh, size_t kw,
                                 size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left, double *dx);

/// y += x over n scalars (no overlap).
void circuits_add_f32(float *y, const float *x, size_t n);
void circuits_add_f64(double *y, const double *x, size_t n);
/// Σ x over n scalars, in a fixed order (sixteen lanes for float, eight for double, then pairwise).
float circuits_sum_f32(const float *x, size_t n);
double circuits_sum_f64(const double *x, size_t n);

/// word2vec's inner loop (Sources/CKernels/word2vec.c): one input vector against `count` rows of `rows`
/// (row i at rows + targets[i]·stride) with labels 0/1; accumulates the input's step into neu1e and
/// updates the rows in place. `stride` is a multiple of 16 (rows zero-padded). `kernel` is what
/// circuits_w2v_kernel() returned: 2 AVX-512, 1 AVX2+FMA, 0 portable (any value may be forced, lower only).
int circuits_w2v_kernel(void);
void circuits_w2v_update(int kernel, const float *input, float *neu1e, float *rows, const int32_t *targets,
                         const float *labels, size_t count, float alpha, size_t stride, const float *sigmoid,
                         int skip_outside);

/// y = β·y + B·x for a row-major B n×k (leading dimension ldb, x contiguous, k entries), or y = β·y + Bᵀ·x
/// for a row-major B k×n (the `columns` form, x of k entries): matrix-vector products for matrices small
/// enough to stay in cache (Sources/CKernels/gemv.c). β = 0 overwrites y. No overlap between y and the
/// others. Returns 0, having done nothing, on a CPU without AVX-512 (the caller then uses BLAS).
int circuits_gemv_rows_f32(const float *b, size_t n, size_t k, size_t ldb, const float *x, float beta, float *y);
int circuits_gemv_rows_f64(const double *b, size_t n, size_t k, size_t ldb, const double *x, double beta, double *y);
int circuits_gemv_columns_f32(const float *b, size_t k, size_t n, size_t ldb, const float *x, float beta, float *y);
int circuits_gemv_columns_f64(const double *b, size_t k, size_t n, size_t ldb, const double *x, double beta, double *y);

/// B = Aᵀ: A row-major rows×cols (leading dimension lda) into B cols×rows (ldb), no overlap. Returns 0,
/// having done nothing, on a CPU without AVX-512.
int circuits_transpose_f32(const float *a, size_t rows, size_t cols, size_t lda, float *b, size_t ldb);

#endif

#include "CKernels.h"
#include <string.h>

// im2col and col2im of a stride-1 window whose output has the input's width (`same` padding across,
// the common case of a CNN): each kernel tap's block of the column matrix is the image plane shifted
// by a constant, col[i·W + j] = x[i·W + j + delta], so the block is one long copy (or, for col2im, one
// long add) plus zeros where the shift leaves the image — rows above and below, and the columns that
// wrap around to the neighbouring row. The geometry follows Tensor+Conv2D.swift (Conv2DShape), which
// calls these for `rowsAreShifts` shapes. In C for the widest vectors the CPU has, inline (a library
// memcpy per block cost more than the copy for the short blocks of 14×14 maps).

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

static inline ptrdiff_t clamp(ptrdiff_t v, ptrdiff_t lo, ptrdiff_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/// The output rows i whose input row i + offset lies in [0, h), clamped to [0, hout): [*lo, *hi).
static inline void valid_range(ptrdiff_t offset, ptrdiff_t h, ptrdiff_t hout, ptrdiff_t *lo, ptrdiff_t *hi) {
    ptrdiff_t l = offset >= 0 ? 0 : -offset;
    ptrdiff_t u = offset >= h ? 0 : h - offset;
    l = clamp(l, 0, hout);
    u = clamp(u, l, hout);
    *lo = l;
    *hi = u;
}

#define IM2COL_SHIFTED(T)                                                                                \
    ptrdiff_t hw = (ptrdiff_t)(hout * w), plane = (ptrdiff_t)(h * w);                                    \
    T *row = col;                                                                                        \
    for (size_t c = 0; c < channels; c++) {                                                              \
        const T *xp = x + c * h * w;                                                                     \
        for (size_t p = 0; p < kh; p++) {                                                                \
            ptrdiff_t rowOffset = (ptrdiff_t)(p * dh) - top, iLo, iHi;                                   \
            valid_range(rowOffset, (ptrdiff_t)h, (ptrdiff_t)hout, &iLo, &iHi);                           \
            for (size_t q = 0; q < kw; q++) {                                                            \
                ptrdiff_t xoff = (ptrdiff_t)(q * dw) - left, lo, hi;                                     \
                valid_range(xoff, (ptrdiff_t)w, (ptrdiff_t)w, &lo, &hi);                                 \
                ptrdiff_t delta = rowOffset * (ptrdiff_t)w + xoff;                                       \
                ptrdiff_t dLo = iLo * (ptrdiff_t)w, dHi = iHi * (ptrdiff_t)w;                            \
                ptrdiff_t cLo = clamp(-delta, dLo, dHi), cHi = clamp(plane - delta, cLo, dHi);           \
                for (ptrdiff_t d = 0; d < cLo; d++) row[d] = 0;                                          \
                for (ptrdiff_t d = cLo; d < cHi; d++) row[d] = xp[d + delta];                            \
                for (ptrdiff_t d = cHi; d < hw; d++) row[d] = 0;                                         \
                if (lo > 0 || hi < (ptrdiff_t)w) {                                                       \
                    for (ptrdiff_t i = iLo; i < iHi; i++) {                                              \
                        for (ptrdiff_t j = 0; j < lo; j++) row[i * (ptrdiff_t)w + j] = 0;                \
                        for (ptrdiff_t j = hi; j < (ptrdiff_t)w; j++) row[i * (ptrdiff_t)w + j] = 0;     \
                    }                                                                                    \
                }                                                                                        \
                row += rowStride;                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

#define COL2IM_SHIFTED(T)                                                                                \
    ptrdiff_t hw = (ptrdiff_t)(hout * w), plane = (ptrdiff_t)(h * w);                                    \
    T *row = col;                                                                                        \
    for (size_t c = 0; c < channels; c++) {                                                              \
        T *dxp = dx + c * h * w;                                                                         \
        for (size_t p = 0; p < kh; p++) {                                                                \
            ptrdiff_t rowOffset = (ptrdiff_t)(p * dh) - top, iLo, iHi;                                   \
            valid_range(rowOffset, (ptrdiff_t)h, (ptrdiff_t)hout, &iLo, &iHi);                           \
            for (size_t q = 0; q < kw; q++) {                                                            \
                ptrdiff_t xoff = (ptrdiff_t)(q * dw) - left, lo, hi;                                     \
                valid_range(xoff, (ptrdiff_t)w, (ptrdiff_t)w, &lo, &hi);                                 \
                ptrdiff_t delta = rowOffset * (ptrdiff_t)w + xoff;                                       \
                ptrdiff_t dLo = iLo * (ptrdiff_t)w, dHi = iHi * (ptrdiff_t)w;                            \
                ptrdiff_t cLo = clamp(-delta, dLo, dHi), cHi = clamp(plane - delta, cLo, dHi);           \
                if (lo > 0 || hi < (ptrdiff_t)w) {                                                       \
                    for (ptrdiff_t i = iLo; i < iHi; i++) {                                              \
                        for (ptrdiff_t j = 0; j < lo; j++) row[i * (ptrdiff_t)w + j] = 0;                \
                        for (ptrdiff_t j = hi; j < (ptrdiff_t)w; j++) row[i * (ptrdiff_t)w + j] = 0;     \
                    }                                                                                    \
                }                                                                                        \
                for (ptrdiff_t d = cLo; d < cHi; d++) dxp[d + delta] += row[d];                          \
                row += hw;                                                                               \
            }                                                                                            \
        }                                                                                                \
    }

CLONES
void circuits_im2col_shifted_f32(const float *restrict x, size_t channels, size_t h, size_t w, size_t hout,
                                 size_t kh, size_t kw, size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left,
                                 float *restrict col, ptrdiff_t rowStride) {
    IM2COL_SHIFTED(float)
}

CLONES
void circuits_im2col_shifted_f64(const double *restrict x, size_t channels, size_t h, size_t w, size_t hout,
                                 size_t kh, size_t kw, size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left,
                                 double *restrict col, ptrdiff_t rowStride) {
    IM2COL_SHIFTED(double)
}

CLONES
void circuits_col2im_shifted_f32(float *restrict col, size_t channels, size_t h, size_t w, size_t hout,
                                 size_t kh, size_t kw, size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left,
                                 float *restrict dx) {
    COL2IM_SHIFTED(float)
}

CLONES
void circuits_col2im_shifted_f64(double *restrict col, size_t channels, size_t h, size_t w, size_t hout,
                                 size_t kh, size_t kw, size_t dh, size_t dw, ptrdiff_t top, ptrdiff_t left,
                                 double *restrict dx) {
    COL2IM_SHIFTED(double)
}

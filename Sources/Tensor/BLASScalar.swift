import CBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scalar types a `Tensor` can hold: `Float` and `Double`.
///
/// This protocol is the one place where the two precisions differ. Each requirement names the single-
/// (`s`) or double-precision (`d`) BLAS/LAPACK routine, or the C math function, that implements it.
/// Matrices are row-major; leading dimensions are row strides. Sizes are `Int32` because Debian's
/// OpenBLAS uses a 32-bit `blasint`; callers check sizes first (`blasInt(_:op:)`).
public protocol BLASScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, CustomStringConvertible, LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
    /// Name used in files and messages: `"F32"` or `"F64"` (safetensors' dtype names).
    static var dtypeName: String { get }

    // MARK: BLAS

    /// C ← alpha·op(A)·op(B) + beta·C (`sgemm` / `dgemm`), row-major.
    static func gemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Self,
        a: UnsafePointer<Self>, lda: Int32, b: UnsafePointer<Self>, ldb: Int32,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int32)
    /// y ← alpha·op(A)·x + beta·y (`sgemv` / `dgemv`), A is m×n row-major.
    static func gemv(
        transA: Bool, m: Int32, n: Int32, alpha: Self, a: UnsafePointer<Self>, lda: Int32,
        x: UnsafePointer<Self>, incx: Int32, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int32)
    /// y ← alpha·x + y (`saxpy` / `daxpy`).
    static func axpy(n: Int32, alpha: Self, x: UnsafePointer<Self>, incx: Int32, y: UnsafeMutablePointer<Self>, incy: Int32)
    /// x ← alpha·x (`sscal` / `dscal`).
    static func scal(n: Int32, alpha: Self, x: UnsafeMutablePointer<Self>, incx: Int32)
    /// xᵀy (`sdot` / `ddot`).
    static func dot(n: Int32, x: UnsafePointer<Self>, incx: Int32, y: UnsafePointer<Self>, incy: Int32) -> Self
    /// A ← alpha·x·yᵀ + A (`sger` / `dger`).
    static func ger(m: Int32, n: Int32, alpha: Self, x: UnsafePointer<Self>, incx: Int32,
                    y: UnsafePointer<Self>, incy: Int32, a: UnsafeMutablePointer<Self>, lda: Int32)

    // MARK: LAPACK (row-major LAPACKE); each returns LAPACK's info code

    /// Solves A·X = B by LU with partial pivoting (`sgesv` / `dgesv`).
    static func gesv(n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Self>, lda: Int32,
                     ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int32) -> Int32
    /// Least squares min‖A·X − B‖ by QR (`sgels` / `dgels`); A is m×n with m ≥ n or minimum-norm if m < n.
    static func gels(m: Int32, n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Self>, lda: Int32,
                     b: UnsafeMutablePointer<Self>, ldb: Int32) -> Int32
    /// Cholesky factor (`spotrf` / `dpotrf`), `lower` selects L·Lᵀ.
    static func potrf(lower: Bool, n: Int32, a: UnsafeMutablePointer<Self>, lda: Int32) -> Int32
    /// QR factorization in Householder form (`sgeqrf` / `dgeqrf`).
    static func geqrf(m: Int32, n: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, tau: UnsafeMutablePointer<Self>) -> Int32
    /// Forms the explicit Q of `geqrf` (`sorgqr` / `dorgqr`).
    static func orgqr(m: Int32, n: Int32, k: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, tau: UnsafePointer<Self>) -> Int32
    /// Thin SVD by divide and conquer (`sgesdd` / `dgesdd`, jobz = "S").
    static func gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, s: UnsafeMutablePointer<Self>,
                      u: UnsafeMutablePointer<Self>, ldu: Int32, vt: UnsafeMutablePointer<Self>, ldvt: Int32) -> Int32
    /// Symmetric eigendecomposition by divide and conquer (`ssyevd` / `dsyevd`, jobz = "V", upper).
    static func syevd(n: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, w: UnsafeMutablePointer<Self>) -> Int32

    // MARK: Elementary functions (C math library)

    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

@inline(__always) @usableFromInline
func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    public static var dtypeName: String { "F32" }

    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Float,
        a: UnsafePointer<Float>, lda: Int32, b: UnsafePointer<Float>, ldb: Int32,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int32
    ) {
        cblas_sgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    @inlinable public static func gemv(
        transA: Bool, m: Int32, n: Int32, alpha: Float, a: UnsafePointer<Float>, lda: Int32,
        x: UnsafePointer<Float>, incx: Int32, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int32
    ) {
        cblas_sgemv(CblasRowMajor, cblasTranspose(transA), m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    @inlinable public static func axpy(n: Int32, alpha: Float, x: UnsafePointer<Float>, incx: Int32, y: UnsafeMutablePointer<Float>, incy: Int32) {
        cblas_saxpy(n, alpha, x, incx, y, incy)
    }
    @inlinable public static func scal(n: Int32, alpha: Float, x: UnsafeMutablePointer<Float>, incx: Int32) {
        cblas_sscal(n, alpha, x, incx)
    }
    @inlinable public static func dot(n: Int32, x: UnsafePointer<Float>, incx: Int32, y: UnsafePointer<Float>, incy: Int32) -> Float {
        cblas_sdot(n, x, incx, y, incy)
    }
    @inlinable public static func ger(m: Int32, n: Int32, alpha: Float, x: UnsafePointer<Float>, incx: Int32,
                                      y: UnsafePointer<Float>, incy: Int32, a: UnsafeMutablePointer<Float>, lda: Int32) {
        cblas_sger(CblasRowMajor, m, n, alpha, x, incx, y, incy, a, lda)
    }
    public static func gesv(n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Float>, lda: Int32,
                            ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Float>, ldb: Int32) -> Int32 {
        LAPACKE_sgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, ipiv, b, ldb)
    }
    public static func gels(m: Int32, n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Float>, lda: Int32,
                            b: UnsafeMutablePointer<Float>, ldb: Int32) -> Int32 {
        LAPACKE_sgels(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), m, n, nrhs, a, lda, b, ldb)
    }
    public static func potrf(lower: Bool, n: Int32, a: UnsafeMutablePointer<Float>, lda: Int32) -> Int32 {
        LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: lower ? "L" : "U")), n, a, lda)
    }
    public static func geqrf(m: Int32, n: Int32, a: UnsafeMutablePointer<Float>, lda: Int32, tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, a, lda, tau)
    }
    public static func orgqr(m: Int32, n: Int32, k: Int32, a: UnsafeMutablePointer<Float>, lda: Int32, tau: UnsafePointer<Float>) -> Int32 {
        LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, n, k, a, lda, tau)
    }
    public static func gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Float>, lda: Int32, s: UnsafeMutablePointer<Float>,
                             u: UnsafeMutablePointer<Float>, ldu: Int32, vt: UnsafeMutablePointer<Float>, ldvt: Int32) -> Int32 {
        LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func syevd(n: Int32, a: UnsafeMutablePointer<Float>, lda: Int32, w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), n, a, lda, w)
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: BLASScalar {
    public static var dtypeName: String { "F64" }

    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Double,
        a: UnsafePointer<Double>, lda: Int32, b: UnsafePointer<Double>, ldb: Int32,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int32
    ) {
        cblas_dgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    @inlinable public static func gemv(
        transA: Bool, m: Int32, n: Int32, alpha: Double, a: UnsafePointer<Double>, lda: Int32,
        x: UnsafePointer<Double>, incx: Int32, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int32
    ) {
        cblas_dgemv(CblasRowMajor, cblasTranspose(transA), m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    @inlinable public static func axpy(n: Int32, alpha: Double, x: UnsafePointer<Double>, incx: Int32, y: UnsafeMutablePointer<Double>, incy: Int32) {
        cblas_daxpy(n, alpha, x, incx, y, incy)
    }
    @inlinable public static func scal(n: Int32, alpha: Double, x: UnsafeMutablePointer<Double>, incx: Int32) {
        cblas_dscal(n, alpha, x, incx)
    }
    @inlinable public static func dot(n: Int32, x: UnsafePointer<Double>, incx: Int32, y: UnsafePointer<Double>, incy: Int32) -> Double {
        cblas_ddot(n, x, incx, y, incy)
    }
    @inlinable public static func ger(m: Int32, n: Int32, alpha: Double, x: UnsafePointer<Double>, incx: Int32,
                                      y: UnsafePointer<Double>, incy: Int32, a: UnsafeMutablePointer<Double>, lda: Int32) {
        cblas_dger(CblasRowMajor, m, n, alpha, x, incx, y, incy, a, lda)
    }
    public static func gesv(n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Double>, lda: Int32,
                            ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Double>, ldb: Int32) -> Int32 {
        LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, ipiv, b, ldb)
    }
    public static func gels(m: Int32, n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Double>, lda: Int32,
                            b: UnsafeMutablePointer<Double>, ldb: Int32) -> Int32 {
        LAPACKE_dgels(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), m, n, nrhs, a, lda, b, ldb)
    }
    public static func potrf(lower: Bool, n: Int32, a: UnsafeMutablePointer<Double>, lda: Int32) -> Int32 {
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: lower ? "L" : "U")), n, a, lda)
    }
    public static func geqrf(m: Int32, n: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, a, lda, tau)
    }
    public static func orgqr(m: Int32, n: Int32, k: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, tau: UnsafePointer<Double>) -> Int32 {
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, n, k, a, lda, tau)
    }
    public static func gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, s: UnsafeMutablePointer<Double>,
                             u: UnsafeMutablePointer<Double>, ldu: Int32, vt: UnsafeMutablePointer<Double>, ldvt: Int32) -> Int32 {
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func syevd(n: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), n, a, lda, w)
    }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

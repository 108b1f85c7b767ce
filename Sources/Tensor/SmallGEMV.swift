import CKernels

// The matrix-vector products of a batch of one (`Tensor.stridedGEMM` with m = 1) on matrices that stay
// in cache: CKernels' gemv.c, which skips OpenBLAS's per-call set-up. At min-char-rnn's 100×100 that
// set-up cost about as much as the 10⁴ multiply-adds.

/// Matrices up to this many elements (256 KiB of Float, 512 KiB of Double: within L2) take the C kernel;
/// larger ones are bound by memory, where BLAS is as fast and may use several threads.
@usableFromInline let smallGEMVLimit = 1 << 16

/// y = β·y + B·x (`rows`: B n×k, one dot product per row) or y = β·y + Bᵀ·x (B k×n), row-major with
/// leading dimension `ldb`, x contiguous; β = 0 overwrites y. Returns false, having done nothing, when
/// the CPU lacks the kernel's instructions (AVX-512) or the scalar is neither Float nor Double.
@inlinable @inline(__always)
func smallGEMV<S: BLASScalar>(rows: Bool, b: UnsafePointer<S>, n: Int, k: Int, ldb: Int, x: UnsafePointer<S>, beta: S,
                              y: UnsafeMutablePointer<S>) -> Bool {
    if S.self == Float.self {
        let b = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), x = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
        let y = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), beta = beta as! Float
        return (rows ? circuits_gemv_rows_f32(b, n, k, ldb, x, beta, y) : circuits_gemv_columns_f32(b, k, n, ldb, x, beta, y)) != 0
    } else if S.self == Double.self {
        let b = UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), x = UnsafeRawPointer(x).assumingMemoryBound(to: Double.self)
        let y = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), beta = beta as! Double
        return (rows ? circuits_gemv_rows_f64(b, n, k, ldb, x, beta, y) : circuits_gemv_columns_f64(b, k, n, ldb, x, beta, y)) != 0
    }
    return false
}

/// B = Aᵀ for a row-major A rows×columns into B columns×rows (both contiguous) through CKernels' 8×8
/// register transpose. Returns false, having done nothing, when the CPU lacks AVX-512 or the scalar is
/// not Float.
@inlinable @inline(__always)
func smallTranspose<S: BLASScalar>(_ a: UnsafePointer<S>, rows: Int, columns: Int, into b: UnsafeMutablePointer<S>) -> Bool {
    guard S.self == Float.self else { return false }
    return circuits_transpose_f32(UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), rows, columns, columns,
                                  UnsafeMutableRawPointer(b).assumingMemoryBound(to: Float.self), rows) != 0
}

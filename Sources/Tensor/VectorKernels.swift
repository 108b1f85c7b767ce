import CKernels

// Generic entry points to the C vector loops of CKernels (vector.c): compiled for AVX-512 and AVX2 as
// well as the baseline, which Swift code of this package is not.

/// y += x over `count` scalars (the buffers must not overlap).
@inlinable @inline(__always)
func vectorAdd<S: BLASScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count: Int) {
    if S.self == Float.self {
        circuits_add_f32(UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count)
    } else {
        circuits_add_f64(UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), count)
    }
}

/// Σ x over `count` scalars in a fixed order (the same buffer always gives the same sum).
@inlinable @inline(__always)
func vectorSum<S: BLASScalar>(_ x: UnsafePointer<S>, count: Int) -> S {
    if S.self == Float.self {
        return S(circuits_sum_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count))
    }
    return S(circuits_sum_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), count))
}

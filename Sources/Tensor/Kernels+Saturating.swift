import CKernels

// σ and tanh over a buffer. For Float they run the C kernels (CKernels.h), which vectorize their own
// e^x; libm's expf/tanhf are scalar calls, and a tanh layer spent more time in them than in its GEMMs.
// Double keeps libm: it is the precision gradient checks and reference runs use.

@inlinable @inline(__always)
func sigmoidKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    if S.self == Float.self {
        circuits_sigmoid_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                             UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    } else {
        for i in 0..<n { y[i] = Tensor<S>.sigmoid(x[i]) }
    }
}

@inlinable @inline(__always)
func tanhKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    if S.self == Float.self {
        circuits_tanh_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                          UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    } else {
        for i in 0..<n { y[i] = S.tanh(x[i]) }
    }
}

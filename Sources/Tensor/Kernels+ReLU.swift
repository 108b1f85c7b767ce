// Vectorized ReLU kernels for the training step. The scalar loops with a select per element compiled
// to branches; explicit SIMD8 loads keep the step's elementwise work at memory speed.
//
// NaN propagates through the forward (`x < 0 ? 0 : x`), so a diverged layer shows up in the loss and
// stops training instead of being silently zeroed.

@inlinable @inline(__always)
func reluForwardKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y), step = MemoryLayout<S>.stride
    var i = 0
    while i + 8 <= n {
        let v = rx.loadUnaligned(fromByteOffset: i * step, as: SIMD8<S>.self)
        ry.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * step, as: SIMD8<S>.self)
        i += 8
    }
    while i < n { y[i] = x[i] < 0 ? 0 : x[i]; i += 1 }
}

/// g ← (add ? g : 0) + (x > 0 ? dy : 0).
@inlinable @inline(__always)
func reluBackwardKernel<S: BLASScalar>(_ dy: UnsafePointer<S>, input x: UnsafePointer<S>, into g: UnsafeMutablePointer<S>,
                                       count n: Int, add: Bool) {
    let rd = UnsafeRawPointer(dy), rx = UnsafeRawPointer(x), rg = UnsafeMutableRawPointer(g), step = MemoryLayout<S>.stride
    var i = 0
    while i + 8 <= n {
        let o = i * step
        let d = rd.loadUnaligned(fromByteOffset: o, as: SIMD8<S>.self)
        let v = rx.loadUnaligned(fromByteOffset: o, as: SIMD8<S>.self)
        var r = d.replacing(with: 0, where: .!(v .> 0))
        if add { r += rg.loadUnaligned(fromByteOffset: o, as: SIMD8<S>.self) }
        rg.storeBytes(of: r, toByteOffset: o, as: SIMD8<S>.self)
        i += 8
    }
    while i < n {
        let r: S = x[i] > 0 ? dy[i] : 0
        g[i] = add ? g[i] + r : r
        i += 1
    }
}

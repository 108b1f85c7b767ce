import CKernels

/// Clips every gradient element to [−limit, limit] in place — min-char-rnn's `np.clip(d, -5, 5)` and
/// PyTorch's `clip_grad_value_`: unlike `clipGradients(_:maxNorm:)` it bounds each element on its own,
/// changing the gradient's direction. NaN stays NaN, so a diverged step is still caught by the trainer's
/// finiteness check. Returns how many elements were clipped.
/// - Throws: `TrainingError.invalidConfiguration` for a limit that is not a positive finite number.
@discardableResult
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func clipGradientValues<Scalar>(_ parameters: [Parameter<Scalar>], limit: Double) throws -> Int {
    guard limit > 0, limit.isFinite else { throw TrainingError.invalidConfiguration("gradient clip value \(limit) must be positive") }
    var clipped = 0
    for p in parameters where p.variable.grad != nil {
        let n = p.variable.value.count
        p.variable.accumulateGrad { g, _ in clipped += clipValues(g, count: n, limit: limit) }
    }
    return clipped
}

/// The clip through the C kernel (Swift compiles the compare-and-select into branches), with a scalar
/// loop for any other scalar type.
@inlinable @inline(__always)
func clipValues<S: BLASScalar>(_ g: UnsafeMutablePointer<S>, count n: Int, limit: Double) -> Int {
    if S.self == Float.self {
        return circuits_clip_values_f32(UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self), n, Float(limit))
    } else if S.self == Double.self {
        return circuits_clip_values_f64(UnsafeMutableRawPointer(g).assumingMemoryBound(to: Double.self), n, limit)
    }
    let c = S(limit)
    var count = 0
    for i in 0..<n {
        let v = g[i], low = v < -c, high = v > c
        count += low || high ? 1 : 0
        g[i] = low ? -c : (high ? c : v)
    }
    return count
}

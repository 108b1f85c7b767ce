// Reductions overall and along an axis of a matrix, with backward kernels.

extension Tensor {
    /// Sum of all scalars.
    @inlinable public func sum() -> Scalar {
        withUnsafeBufferPointer { p in var s: Scalar = 0; for v in p { s += v }; return s }
    }
    /// Mean of all scalars (NaN for an empty tensor).
    @inlinable public func mean() -> Scalar { sum() / Scalar(count) }
    /// Largest scalar (nil when empty).
    public func max() -> Scalar? { withUnsafeBufferPointer { $0.max() } }
    /// Smallest scalar (nil when empty).
    public func min() -> Scalar? { withUnsafeBufferPointer { $0.min() } }

    /// Validates `axis` for a matrix reduction.
    @inlinable
    func reductionShape(_ op: String, axis: Int, keepingDimensions: Bool) throws -> [Int] {
        let (m, n) = try matrixShape(op)
        switch axis {
        case 0: return keepingDimensions ? [1, n] : [n]
        case 1: return keepingDimensions ? [m, 1] : [m]
        default: throw TensorError.invalidArgument(op: op, reason: "axis \(axis) is not 0 or 1")
        }
    }

    /// Reduces a matrix along `axis` (0: down the columns, giving one value per column; 1: across each
    /// row) with `combine`, starting from `initial`.
    @inlinable
    func reduce(_ op: String, axis: Int, keepingDimensions: Bool, initial: Scalar, _ combine: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        let outShape = try reductionShape(op, axis: axis, keepingDimensions: keepingDimensions)
        let (m, n) = (shape[0], shape[1])
        let out = Tensor(repeating: initial, shape: outShape)
        let o = out.unsafeWritePointer, p = unsafeReadPointer
        if axis == 0 {
            for r in 0..<m { for c in 0..<n { o[c] = combine(o[c], p[r * n + c]) } }
        } else {
            for r in 0..<m {
                var acc = initial
                for c in 0..<n { acc = combine(acc, p[r * n + c]) }
                o[r] = acc
            }
        }
        return out
    }

    /// Sum along `axis` of a matrix.
    public func sum(axis: Int, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce("sum", axis: axis, keepingDimensions: keepingDimensions, initial: 0, +)
    }
    /// Mean along `axis` of a matrix.
    public func mean(axis: Int, keepingDimensions: Bool = false) throws -> Tensor {
        let s = try sum(axis: axis, keepingDimensions: keepingDimensions)
        return s / Scalar(axis == 0 ? shape[0] : shape[1])
    }
    /// Maximum along `axis` of a matrix.
    public func max(axis: Int, keepingDimensions: Bool = false) throws -> Tensor {
        guard count > 0 else { throw TensorError.invalidShape(op: "max", shape: shape, expected: "a non-empty matrix") }
        return try reduce("max", axis: axis, keepingDimensions: keepingDimensions, initial: -.infinity) { Swift.max($0, $1) }
    }
    /// Minimum along `axis` of a matrix.
    public func min(axis: Int, keepingDimensions: Bool = false) throws -> Tensor {
        guard count > 0 else { throw TensorError.invalidShape(op: "min", shape: shape, expected: "a non-empty matrix") }
        return try reduce("min", axis: axis, keepingDimensions: keepingDimensions, initial: .infinity) { Swift.min($0, $1) }
    }

    /// Index of the largest value in each row (`axis: 1`, the predicted class) or column (`axis: 0`).
    /// Ties go to the lowest index.
    public func argmax(axis: Int = 1) throws -> [Int] {
        _ = try reductionShape("argmax", axis: axis, keepingDimensions: false)
        let (m, n) = (shape[0], shape[1])
        guard m > 0, n > 0 else { throw TensorError.invalidShape(op: "argmax", shape: shape, expected: "a non-empty matrix") }
        let p = unsafeReadPointer
        if axis == 1 {
            return (0..<m).map { r in
                var best = 0
                for c in 1..<n where p[r * n + c] > p[r * n + best] { best = c }
                return best
            }
        }
        return (0..<n).map { c in
            var best = 0
            for r in 1..<m where p[r * n + c] > p[best * n + c] { best = r }
            return best
        }
    }

    /// log Σ exp along `axis`, stable for large values: the maximum is subtracted first.
    public func logSumExp(axis: Int = 1, keepingDimensions: Bool = false) throws -> Tensor {
        let mx = try max(axis: axis, keepingDimensions: true)
        let shifted = try (self - mx).exp()
        let s = try shifted.sum(axis: axis, keepingDimensions: keepingDimensions)
        let mxFlat = try mx.reshaped(s.shape)
        return try s.log() + mxFlat
    }

    /// Backward of `sum(axis:)`: every input element receives the gradient of its row or column sum.
    public static func sumBackward(_ dy: Tensor, inputShape: [Int], axis: Int) throws -> Tensor {
        let (m, n) = (inputShape[0], inputShape[1])
        let expected = axis == 0 ? n : m
        guard dy.count == expected else { throw TensorError.shapeMismatch(op: "sum backward", lhs: dy.shape, rhs: inputShape) }
        return Tensor(shape: inputShape) { i in dy[flat: axis == 0 ? i % n : i / n] }
    }

    /// Backward of `logSumExp(axis: 1)`: dx = dy ⊙ softmax(x) along the row.
    public static func logSumExpBackward(_ dy: Tensor, input x: Tensor, output y: Tensor, axis: Int) throws -> Tensor {
        let (m, n) = try x.matrixShape("logSumExp backward")
        guard dy.count == (axis == 1 ? m : n), y.count == dy.count else {
            throw TensorError.shapeMismatch(op: "logSumExp backward", lhs: dy.shape, rhs: x.shape)
        }
        return Tensor(shape: x.shape) { i in
            let k = axis == 1 ? i / n : i % n
            return dy[flat: k] * Scalar.exp(x[flat: i] - y[flat: k])
        }
    }
}

extension Variable {
    /// Σ of all scalars, as a 1-element tensor of shape [].
    public func sum() -> Variable {
        let x = self
        let y = try! Tensor([x.value.sum()], shape: [])
        return Variable.record(y, inputs: [x]) { dy in
            let g = dy[flat: 0], n = x.value.count
            x.accumulateGrad { p, add in
                if add { for i in 0..<n { p[i] += g } } else { p.update(repeating: g, count: n) }
            }
        }
    }
    /// Mean of all scalars, as a tensor of shape [].
    public func mean() -> Variable { sum() * (1 / Scalar(value.count)) }

    /// Sum along `axis` of a matrix.
    public func sum(axis: Int, keepingDimensions: Bool = false) throws -> Variable {
        let x = self
        let y = try x.value.sum(axis: axis, keepingDimensions: keepingDimensions)
        return Variable.record(y, inputs: [x]) { dy in
            try x.accumulate(try Tensor.sumBackward(dy, inputShape: x.value.shape, axis: axis))
        }
    }
    /// log Σ exp along `axis`, stable.
    public func logSumExp(axis: Int = 1, keepingDimensions: Bool = false) throws -> Variable {
        let x = self
        let y = try x.value.logSumExp(axis: axis, keepingDimensions: keepingDimensions)
        return Variable.record(y, inputs: [x]) { dy in
            try x.accumulate(try Tensor.logSumExpBackward(dy, input: x.value, output: y, axis: axis))
        }
    }
}

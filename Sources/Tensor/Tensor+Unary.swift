// Unary elementwise math, each forward with its backward kernel.

extension Tensor {
    /// Applies `f` to every scalar. Specialized at the call site (`@inlinable`), so a loop over a
    /// concrete `Float` tensor runs at memory speed.
    @inlinable
    public func map(_ f: (Scalar) -> Scalar) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let o = out.unsafeWritePointer, p = unsafeReadPointer
        for i in 0..<count { o[i] = f(p[i]) }
        return out
    }

    /// Applies `f` to every scalar in place.
    @inlinable
    public mutating func mapInPlace(_ f: (Scalar) -> Scalar) {
        withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = f(p[i]) } }
    }

    /// Combines two tensors of the same shape elementwise (no broadcasting).
    @inlinable
    public func zipMap(_ other: Tensor, op: String = "zipMap", _ f: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        guard other.shape == shape else { throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: other.shape) }
        let out = Tensor.uninitialized(shape)
        let o = out.unsafeWritePointer, a = unsafeReadPointer, b = other.unsafeReadPointer
        for i in 0..<count { o[i] = f(a[i], b[i]) }
        return out
    }

    /// eˣ.
    @inlinable public func exp() -> Tensor { map { Scalar.exp($0) } }
    /// Backward of exp: ∂eˣ/∂x = eˣ, so dx = dy ⊙ y (reuses the forward output).
    @inlinable public static func expBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
        try dy.zipMap(y, op: "exp backward", *)
    }

    /// Natural logarithm.
    @inlinable public func log() -> Tensor { map { Scalar.log($0) } }
    /// Backward of log: dx = dy / x.
    @inlinable public static func logBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        try dy.zipMap(x, op: "log backward", /)
    }

    /// Hyperbolic tangent.
    @inlinable public func tanh() -> Tensor {
        let out = Tensor.uninitialized(shape)
        tanhKernel(unsafeReadPointer, out.unsafeWritePointer, count: count)
        return out
    }
    /// Backward of tanh: dx = dy ⊙ (1 − y²).
    @inlinable public static func tanhBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
        try dy.zipMap(y, op: "tanh backward") { g, t in g * (1 - t * t) }
    }

    /// σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
    @inlinable public func sigmoid() -> Tensor {
        let out = Tensor.uninitialized(shape)
        sigmoidKernel(unsafeReadPointer, out.unsafeWritePointer, count: count)
        return out
    }
    @inlinable @inline(__always)
    static func sigmoid(_ x: Scalar) -> Scalar {
        if x >= 0 { return 1 / (1 + Scalar.exp(-x)) }
        let e = Scalar.exp(x)
        return e / (1 + e)
    }
    /// Backward of sigmoid: dx = dy ⊙ σ(x)(1 − σ(x)) — the guide's sigmoid gate, written with the output.
    @inlinable public static func sigmoidBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
        try dy.zipMap(y, op: "sigmoid backward") { g, s in g * s * (1 - s) }
    }

    /// max(0, x): the rectified linear unit (also "max with 0"). NaN stays NaN.
    @inlinable public func relu() -> Tensor {
        let out = Tensor.uninitialized(shape)
        reluForwardKernel(unsafeReadPointer, out.unsafeWritePointer, count: count)
        return out
    }
    /// Backward of ReLU: the upstream gradient passes where the input was positive (the guide's switch).
    @inlinable public static func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        try dy.zipMap(x, op: "relu backward") { g, v in v > 0 ? g : 0 }
    }

    /// x for x > 0, slope·x otherwise.
    @inlinable public func leakyRelu(slope: Scalar) -> Tensor { map { $0 > 0 ? $0 : slope * $0 } }
    /// Backward of leaky ReLU: dx = dy where x > 0, slope·dy elsewhere.
    @inlinable public static func leakyReluBackward(_ dy: Tensor, input x: Tensor, slope: Scalar) throws -> Tensor {
        try dy.zipMap(x, op: "leakyRelu backward") { g, v in v > 0 ? g : slope * g }
    }

    /// Elementwise maximum with a constant (`max(x, 0)` is ReLU).
    @inlinable public func maximum(_ c: Scalar) -> Tensor { map { Swift.max($0, c) } }
    /// Backward of max(x, c): dx = dy where x > c.
    @inlinable public static func maximumBackward(_ dy: Tensor, input x: Tensor, constant c: Scalar) throws -> Tensor {
        try dy.zipMap(x, op: "maximum backward") { g, v in v > c ? g : 0 }
    }

    /// |x|.
    @inlinable public func abs() -> Tensor { map { Swift.abs($0) } }
    /// Backward of |x|: dx = dy·sign(x) (0 at 0, the subgradient L1 uses).
    @inlinable public static func absBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        try dy.zipMap(x, op: "abs backward") { g, v in v > 0 ? g : (v < 0 ? -g : 0) }
    }

    /// √x.
    @inlinable public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// Backward of √x: dx = dy / (2√x).
    @inlinable public static func sqrtBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
        try dy.zipMap(y, op: "sqrt backward") { g, r in g / (2 * r) }
    }

    /// xᵖ.
    @inlinable public func pow(_ p: Scalar) -> Tensor {
        if p == 2 { return map { $0 * $0 } }
        return map { Scalar.pow($0, p) }
    }
    /// Backward of xᵖ: dx = dy·p·xᵖ⁻¹.
    @inlinable public static func powBackward(_ dy: Tensor, input x: Tensor, exponent p: Scalar) throws -> Tensor {
        try dy.zipMap(x, op: "pow backward") { g, v in g * p * Scalar.pow(v, p - 1) }
    }
}

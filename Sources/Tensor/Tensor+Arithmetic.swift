// Elementwise arithmetic with broadcasting, and the backward kernels of + − × ÷.

extension Tensor {
    /// Elementwise sum with broadcasting. - Throws: `TensorError.shapeMismatch` naming both shapes.
    @inlinable public static func + (a: Tensor, b: Tensor) throws -> Tensor { try zip("add", a, b, +) }
    /// Elementwise difference with broadcasting.
    @inlinable public static func - (a: Tensor, b: Tensor) throws -> Tensor { try zip("subtract", a, b, -) }
    /// Elementwise (Hadamard) product with broadcasting.
    @inlinable public static func * (a: Tensor, b: Tensor) throws -> Tensor { try zip("multiply", a, b, *) }
    /// Elementwise quotient with broadcasting.
    @inlinable public static func / (a: Tensor, b: Tensor) throws -> Tensor { try zip("divide", a, b, /) }

    @inlinable public static func + (a: Tensor, s: Scalar) -> Tensor { a.map { $0 + s } }
    @inlinable public static func - (a: Tensor, s: Scalar) -> Tensor { a.map { $0 - s } }
    @inlinable public static func * (a: Tensor, s: Scalar) -> Tensor { a.map { $0 * s } }
    @inlinable public static func / (a: Tensor, s: Scalar) -> Tensor { a.map { $0 / s } }
    @inlinable public static func + (s: Scalar, a: Tensor) -> Tensor { a.map { s + $0 } }
    @inlinable public static func - (s: Scalar, a: Tensor) -> Tensor { a.map { s - $0 } }
    @inlinable public static func * (s: Scalar, a: Tensor) -> Tensor { a.map { s * $0 } }
    @inlinable public static func / (s: Scalar, a: Tensor) -> Tensor { a.map { s / $0 } }
    @inlinable public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// Backward of `a + b`: each side receives the upstream gradient, summed over the axes it was
    /// broadcast along.
    @inlinable
    public static func addBackward(_ dy: Tensor, lhsShape: [Int], rhsShape: [Int]) throws -> (Tensor, Tensor) {
        let (_, ma, mb) = try broadcastShapes("add backward", lhsShape, rhsShape)
        return (reduce(dy, to: ma, shape: lhsShape), reduce(dy, to: mb, shape: rhsShape))
    }

    /// Backward of `a − b`: ∂/∂a = 1, ∂/∂b = −1.
    @inlinable
    public static func subtractBackward(_ dy: Tensor, lhsShape: [Int], rhsShape: [Int]) throws -> (Tensor, Tensor) {
        let (_, ma, mb) = try broadcastShapes("subtract backward", lhsShape, rhsShape)
        return (reduce(dy, to: ma, shape: lhsShape), reduce(-dy, to: mb, shape: rhsShape))
    }

    /// Backward of `a ⊙ b`: ∂/∂a = b, ∂/∂b = a (the guide's multiply gate: each input's gradient is the
    /// other input times the output's gradient).
    @inlinable
    public static func multiplyBackward(_ dy: Tensor, lhs a: Tensor, rhs b: Tensor) throws -> (Tensor, Tensor) {
        let (_, ma, mb) = try broadcastShapes("multiply backward", a.shape, b.shape)
        return (reduce(try dy * b, to: ma, shape: a.shape), reduce(try dy * a, to: mb, shape: b.shape))
    }

    /// Backward of `a / b`: ∂/∂a = 1/b, ∂/∂b = −a/b².
    @inlinable
    public static func divideBackward(_ dy: Tensor, lhs a: Tensor, rhs b: Tensor) throws -> (Tensor, Tensor) {
        let (_, ma, mb) = try broadcastShapes("divide backward", a.shape, b.shape)
        let da = try dy / b
        let db = try zip("divide backward", try dy * a, b) { g, bv in -g / (bv * bv) }
        return (reduce(da, to: ma, shape: a.shape), reduce(db, to: mb, shape: b.shape))
    }

    // MARK: In place (optimizers and training loops reuse their buffers)

    /// `self += other` with broadcasting of `other`; writes in place.
    @inlinable
    public static func += (a: inout Tensor, b: Tensor) throws {
        guard let mode = broadcast(b.shape, against: a.shape) else {
            throw TensorError.shapeMismatch(op: "add in place", lhs: a.shape, rhs: b.shape)
        }
        if mode == .same, a.count > 0 {
            let n = try blasInt(a.count, op: "add in place")
            let src = b.unsafeReadPointer
            a.withUnsafeMutableBufferPointer { Scalar.axpy(n: n, alpha: 1, x: src, incx: 1, y: $0.baseAddress!, incy: 1) }
            return
        }
        let pb = b.unsafeReadPointer, cols = a.columns, rows = a.rows
        a.withUnsafeMutableBufferPointer { p in
            var i = 0
            for r in 0..<rows { for c in 0..<cols { p[i] += element(pb, mode, i, r, c); i += 1 } }
        }
    }

    /// `self -= other` with broadcasting of `other`.
    @inlinable
    public static func -= (a: inout Tensor, b: Tensor) throws { try a += -b }

    /// `self *= s`, in place through `scal`.
    @inlinable
    public static func *= (a: inout Tensor, s: Scalar) {
        guard a.count > 0 else { return }
        let n = Int32(a.count)
        a.withUnsafeMutableBufferPointer { Scalar.scal(n: n, alpha: s, x: $0.baseAddress!, incx: 1) }
    }

    /// `self ← self + alpha·x` (BLAS `axpy`). - Throws: `TensorError.shapeMismatch` unless shapes are equal.
    @inlinable
    public mutating func axpy(_ alpha: Scalar, _ x: Tensor) throws {
        guard x.shape == shape else { throw TensorError.shapeMismatch(op: "axpy", lhs: shape, rhs: x.shape) }
        guard count > 0 else { return }
        let n = try blasInt(count, op: "axpy")
        let src = x.unsafeReadPointer
        withUnsafeMutableBufferPointer { Scalar.axpy(n: n, alpha: alpha, x: src, incx: 1, y: $0.baseAddress!, incy: 1) }
    }

    /// `self ← alpha·self` (BLAS `scal`).
    @inlinable
    public mutating func scale(by alpha: Scalar) { self *= alpha }

    /// Sets every scalar to `value`, keeping the buffer.
    @inlinable
    public mutating func fill(_ value: Scalar) {
        withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }
}

extension Variable {
    // Recorded ops: the forward above, the backward kernels above, accumulated into the operands' gradients.

    public static func + (a: Variable, b: Variable) throws -> Variable {
        let y = try a.value + b.value
        let (sa, sb) = (a.value.shape, b.value.shape)
        return record(y, inputs: [a, b]) { dy in
            let (da, db) = try Tensor.addBackward(dy, lhsShape: sa, rhsShape: sb)
            try a.accumulate(da); try b.accumulate(db)
        }
    }
    public static func - (a: Variable, b: Variable) throws -> Variable {
        let y = try a.value - b.value
        let (sa, sb) = (a.value.shape, b.value.shape)
        return record(y, inputs: [a, b]) { dy in
            let (da, db) = try Tensor.subtractBackward(dy, lhsShape: sa, rhsShape: sb)
            try a.accumulate(da); try b.accumulate(db)
        }
    }
    public static func * (a: Variable, b: Variable) throws -> Variable {
        if a.value.shape == b.value.shape { return sameShapeProduct(a, b) }
        let y = try a.value * b.value
        return record(y, inputs: [a, b]) { dy in
            let (da, db) = try Tensor.multiplyBackward(dy, lhs: a.value, rhs: b.value)
            try a.accumulate(da); try b.accumulate(db)
        }
    }
    public static func / (a: Variable, b: Variable) throws -> Variable {
        let y = try a.value / b.value
        return record(y, inputs: [a, b]) { dy in
            let (da, db) = try Tensor.divideBackward(dy, lhs: a.value, rhs: b.value)
            try a.accumulate(da); try b.accumulate(db)
        }
    }
    /// a ⊙ b for equal shapes (a dropout mask, a gate): output and gradients in arena and gradient
    /// buffers, no temporaries; da = dy ⊙ b, db = dy ⊙ a.
    @inlinable
    static func sameShapeProduct(_ a: Variable, _ b: Variable) -> Variable {
        let y = outputBuffer(a.value.shape, a, b)
        let n = y.count
        let ap = a.value.unsafeReadPointer, bp = b.value.unsafeReadPointer, yp = y.unsafeWritePointer
        for i in 0..<n { yp[i] = ap[i] * bp[i] }
        return record(y, inputs: [a, b]) { dy in
            let d = dy.unsafeReadPointer
            func pass(into target: Variable, times other: Variable) {
                let o = other.value.unsafeReadPointer
                target.accumulateGrad { g, add in
                    if add { for i in 0..<n { g[i] += d[i] * o[i] } } else { for i in 0..<n { g[i] = d[i] * o[i] } }
                }
            }
            pass(into: a, times: b)
            pass(into: b, times: a)
        }
    }

    /// `a · s` for a constant s: the guide's constant-scaling gate (dx = s·dy).
    @inlinable
    public static func * (a: Variable, s: Scalar) -> Variable {
        a.elementwise({ $0 * s }, gradient: { d, _, _ in d * s })
    }
    /// `a + s` for a constant s (dx = dy).
    @inlinable
    public static func + (a: Variable, s: Scalar) -> Variable {
        a.elementwise({ $0 + s }, gradient: { d, _, _ in d })
    }
    public static prefix func - (a: Variable) -> Variable { a * -1 }
}

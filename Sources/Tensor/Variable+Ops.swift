// Operations on variables: each runs its forward kernel and records its backward kernel on the tape.
// The kernels themselves live beside their forwards in the Tensor+… files.

extension Variable {
    /// Wraps a forward result; if any input needs a gradient and a tape is present, records `backward`,
    /// which receives the output's gradient (only called when the output's gradient was reached).
    @inlinable
    public static func record(_ value: Tensor<Scalar>, inputs: [Variable],
                              backward: @escaping (_ dy: Tensor<Scalar>) throws -> Void) -> Variable {
        var tape: Tape<Scalar>? = nil
        var needs = false
        for v in inputs {
            if tape == nil { tape = v.tape }
            needs = needs || v.requiresGrad
        }
        let out = Variable(value, requiresGrad: needs && tape != nil, tape: tape)
        if needs, let tape {
            tape.record { [out] in
                guard let dy = out.grad else { return }
                try backward(dy)
            }
        }
        return out
    }

    /// A fresh output buffer from the tape's arena of any operand (or the heap without a tape).
    @inlinable
    static func outputBuffer(_ shape: [Int], _ operands: Variable...) -> Tensor<Scalar> {
        for v in operands { if let t = v.tape { return t.allocate(shape) } }
        return Tensor.uninitialized(shape)
    }

    /// An elementwise op y = f(x) whose output and gradient live in the tape's arena and the input's
    /// gradient buffer, so a warm training step allocates nothing for it: the forward writes f(x) into an
    /// arena buffer, the backward adds `gradient(dy, x, y)` (dy·f′, or a select on dy) into x's gradient.
    /// Both loops are plain pointer loops, specialized with the caller; every operand is loaded before
    /// `gradient` looks at it, so selects vectorize instead of branching (see Kernels+ReLU).
    @inlinable @inline(__always)
    func elementwise(_ f: (Scalar) -> Scalar,
                     gradient: @escaping (_ dy: Scalar, _ x: Scalar, _ y: Scalar) -> Scalar) -> Variable {
        elementwise(kernel: { xp, yp, n in for i in 0..<n { yp[i] = f(xp[i]) } }, gradient: gradient)
    }

    /// `elementwise` with the forward given as a whole-buffer kernel (x, y, count).
    @inlinable @inline(__always)
    func elementwise(kernel: (UnsafePointer<Scalar>, UnsafeMutablePointer<Scalar>, Int) -> Void,
                     gradient: @escaping (_ dy: Scalar, _ x: Scalar, _ y: Scalar) -> Scalar) -> Variable {
        let x = self
        let y = Variable.outputBuffer(x.value.shape, x)
        let n = x.value.count
        kernel(x.value.unsafeReadPointer, y.unsafeWritePointer, n)
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer, xs = x.value.unsafeReadPointer, ys = y.unsafeReadPointer
            x.accumulateGrad { g, add in
                if add {
                    for i in 0..<n { g[i] += gradient(d[i], xs[i], ys[i]) }
                } else {
                    for i in 0..<n { g[i] = gradient(d[i], xs[i], ys[i]) }
                }
            }
        }
    }

    // MARK: Arithmetic

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
    public static func * (a: Variable, s: Scalar) -> Variable {
        a.elementwise({ $0 * s }, gradient: { d, _, _ in d * s })
    }
    /// `a + s` for a constant s (dx = dy).
    public static func + (a: Variable, s: Scalar) -> Variable {
        a.elementwise({ $0 + s }, gradient: { d, _, _ in d })
    }
    public static prefix func - (a: Variable) -> Variable { a * -1 }

    /// op(a)·op(b) through gemm; backward is two gemms with transpose flags.
    @inlinable
    public func matmul(_ b: Variable, transposeLeft: Bool = false, transposeRight: Bool = false) throws -> Variable {
        let a = self
        let (m, n, k) = try Tensor.productShape("matmul", a.value, b.value, transposeLeft: transposeLeft, transposeRight: transposeRight)
        let y = Variable.outputBuffer([m, n], a, b)
        try Tensor.gemmKernel(a.value, b.value, transposeLeft: transposeLeft, transposeRight: transposeRight,
                              m: m, n: n, k: k, alpha: 1, beta: 0, c: y.unsafeWritePointer)
        return Variable.record(y, inputs: [a, b]) { dy in
            if a.requiresGrad {
                let (ar, ac) = (a.value.shape[0], a.value.shape[1])
                try a.accumulateGrad { g, add in
                    // dA = dY·op(B)ᵀ (or its transpose when A entered transposed).
                    if transposeLeft {
                        try Tensor.gemmKernel(b.value, dy, transposeLeft: transposeRight, transposeRight: true,
                                              m: ar, n: ac, k: n, alpha: 1, beta: add ? 1 : 0, c: g)
                    } else {
                        try Tensor.gemmKernel(dy, b.value, transposeLeft: false, transposeRight: !transposeRight,
                                              m: ar, n: ac, k: n, alpha: 1, beta: add ? 1 : 0, c: g)
                    }
                }
            }
            if b.requiresGrad {
                let (br, bc) = (b.value.shape[0], b.value.shape[1])
                try b.accumulateGrad { g, add in
                    // dB = op(A)ᵀ·dY (or its transpose when B entered transposed).
                    if transposeRight {
                        try Tensor.gemmKernel(dy, a.value, transposeLeft: true, transposeRight: transposeLeft,
                                              m: br, n: bc, k: m, alpha: 1, beta: add ? 1 : 0, c: g)
                    } else {
                        try Tensor.gemmKernel(a.value, dy, transposeLeft: !transposeLeft, transposeRight: false,
                                              m: br, n: bc, k: m, alpha: 1, beta: add ? 1 : 0, c: g)
                    }
                }
            }
        }
    }

    // MARK: Nonlinearities

    /// max(0, x), forward and backward straight into arena buffers with SIMD kernels (the training
    /// step's hot path). NaN propagates.
    @inlinable
    public func relu() -> Variable {
        let x = self
        let y = Variable.outputBuffer(x.value.shape, x)
        let n = x.value.count
        reluForwardKernel(x.value.unsafeReadPointer, y.unsafeWritePointer, count: n)
        return Variable.record(y, inputs: [x]) { dy in
            let gp = dy.unsafeReadPointer, src = x.value.unsafeReadPointer
            x.accumulateGrad { g, add in reluBackwardKernel(gp, input: src, into: g, count: n, add: add) }
        }
    }
    /// x for x > 0, slope·x otherwise.
    @inlinable
    public func leakyRelu(slope: Scalar = 0.01) -> Variable {
        elementwise({ $0 > 0 ? $0 : slope * $0 }, gradient: { d, x, _ in x > 0 ? d : slope * d })
    }
    /// σ(x), stable for large |x|; dσ = σ(1 − σ), from the output.
    @inlinable
    public func sigmoid() -> Variable {
        elementwise(kernel: { sigmoidKernel($0, $1, count: $2) }, gradient: { d, _, s in d * s * (1 - s) })
    }
    /// tanh(x); d tanh = 1 − y², from the output.
    @inlinable
    public func tanh() -> Variable {
        elementwise(kernel: { tanhKernel($0, $1, count: $2) }, gradient: { d, _, t in d * (1 - t * t) })
    }
    @inlinable
    public func exp() -> Variable {
        elementwise({ Scalar.exp($0) }, gradient: { d, _, y in d * y })
    }
    /// ln x; d = 1/x.
    @inlinable
    public func log() -> Variable {
        elementwise({ Scalar.log($0) }, gradient: { d, x, _ in d / x })
    }
    /// |x|; d = sign(x), 0 at 0 (the subgradient L1 uses).
    @inlinable
    public func abs() -> Variable {
        elementwise({ Swift.abs($0) }, gradient: { d, x, _ in x > 0 ? d : (x < 0 ? -d : 0) })
    }
    /// √x; d = 1/(2√x), from the output.
    @inlinable
    public func sqrt() -> Variable {
        elementwise({ $0.squareRoot() }, gradient: { d, _, r in d / (2 * r) })
    }
    /// xᵖ; d = p·xᵖ⁻¹.
    @inlinable
    public func pow(_ p: Scalar) -> Variable {
        if p == 2 { return elementwise({ $0 * $0 }, gradient: { d, x, _ in d * 2 * x }) }
        return elementwise({ Scalar.pow($0, p) }, gradient: { d, x, _ in d * p * Scalar.pow(x, p - 1) })
    }
    /// max(x, c) elementwise for a constant c (the guide's max gate against a constant); d = 1 where x > c.
    @inlinable
    public func maximum(_ c: Scalar) -> Variable {
        elementwise({ Swift.max($0, c) }, gradient: { d, x, _ in x > c ? d : 0 })
    }

    // MARK: Reductions and indexing

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
    /// The rows at `indices`; backward scatter-adds into those rows.
    public func gatherRows(_ indices: [Int]) throws -> Variable {
        let x = self
        return Variable.record(try x.value.gatherRows(indices), inputs: [x]) { dy in
            try x.accumulate(Tensor.gatherRowsBackward(dy, indices: indices, inputShape: x.value.shape))
        }
    }
}

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
    /// `a · s` for a constant s: the guide's constant-scaling gate (dx = s·dy).
    public static func * (a: Variable, s: Scalar) -> Variable {
        record(a.value * s, inputs: [a]) { dy in try a.accumulate(dy * s) }
    }
    /// `a + s` for a constant s (dx = dy).
    public static func + (a: Variable, s: Scalar) -> Variable {
        record(a.value + s, inputs: [a]) { dy in try a.accumulate(dy) }
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
    public func leakyRelu(slope: Scalar = 0.01) -> Variable {
        let x = self
        return Variable.record(x.value.leakyRelu(slope: slope), inputs: [x]) { dy in
            try x.accumulate(try Tensor.leakyReluBackward(dy, input: x.value, slope: slope))
        }
    }
    public func sigmoid() -> Variable {
        let x = self
        let y = x.value.sigmoid()
        return Variable.record(y, inputs: [x]) { dy in try x.accumulate(try Tensor.sigmoidBackward(dy, output: y)) }
    }
    public func tanh() -> Variable {
        let x = self
        let y = x.value.tanh()
        return Variable.record(y, inputs: [x]) { dy in try x.accumulate(try Tensor.tanhBackward(dy, output: y)) }
    }
    public func exp() -> Variable {
        let x = self
        let y = x.value.exp()
        return Variable.record(y, inputs: [x]) { dy in try x.accumulate(try Tensor.expBackward(dy, output: y)) }
    }
    public func log() -> Variable {
        let x = self
        return Variable.record(x.value.log(), inputs: [x]) { dy in try x.accumulate(try Tensor.logBackward(dy, input: x.value)) }
    }
    public func abs() -> Variable {
        let x = self
        return Variable.record(x.value.abs(), inputs: [x]) { dy in try x.accumulate(try Tensor.absBackward(dy, input: x.value)) }
    }
    public func sqrt() -> Variable {
        let x = self
        let y = x.value.sqrt()
        return Variable.record(y, inputs: [x]) { dy in try x.accumulate(try Tensor.sqrtBackward(dy, output: y)) }
    }
    public func pow(_ p: Scalar) -> Variable {
        let x = self
        return Variable.record(x.value.pow(p), inputs: [x]) { dy in try x.accumulate(try Tensor.powBackward(dy, input: x.value, exponent: p)) }
    }
    /// max(x, c) elementwise for a constant c (the guide's max gate against a constant).
    public func maximum(_ c: Scalar) -> Variable {
        let x = self
        return Variable.record(x.value.maximum(c), inputs: [x]) { dy in
            try x.accumulate(try Tensor.maximumBackward(dy, input: x.value, constant: c))
        }
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

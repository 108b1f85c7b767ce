// The fused affine map y = x·W + b: one gemm plus a bias broadcast, and its backward.
// W is stored in×out (x is a batch of rows), so the forward is a plain gemm and backward uses flags.

extension Tensor {
    /// y = x·W + b for a batch `x` [n, in], weights `w` [in, out] and bias `b` [out].
    /// - Throws: `TensorError.shapeMismatch` naming the shapes that disagree.
    public static func affine(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> Tensor {
        let (n, _, out) = try affineShape(x, w, b)
        let y = Tensor.uninitialized([n, out])
        try affineForward(x, w, b, into: y.unsafeWritePointer)
        return y
    }

    @inlinable
    static func affineShape(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> (Int, Int, Int) {
        let (n, k) = try x.matrixShape("affine")
        let (wk, out) = try w.matrixShape("affine")
        guard k == wk else { throw TensorError.shapeMismatch(op: "affine x·W", lhs: x.shape, rhs: w.shape) }
        guard b.count == out, b.rank <= 2 else { throw TensorError.shapeMismatch(op: "affine bias", lhs: [n, out], rhs: b.shape) }
        return (n, k, out)
    }

    /// Writes x·W + b into `y` (n×out): the bias is copied into each row, then gemm adds x·W (beta = 1),
    /// so no separate pass over y is needed.
    @inlinable
    static func affineForward(_ x: Tensor, _ w: Tensor, _ b: Tensor, into y: UnsafeMutablePointer<Scalar>) throws {
        let (n, k, out) = try affineShape(x, w, b)
        let bias = b.unsafeReadPointer
        for r in 0..<n { (y + r * out).update(from: bias, count: out) }
        try gemmKernel(x, w, transposeLeft: false, transposeRight: false, m: n, n: out, k: k, alpha: 1, beta: 1, c: y)
    }


    /// Adds the column sums of `dy` (n×out) into `g` (out), or overwrites when `add` is false.
    @inlinable
    static func columnSums(_ dy: Tensor, into g: UnsafeMutablePointer<Scalar>, add: Bool) {
        let (n, out) = (dy.shape[0], dy.shape[1])
        let p = dy.unsafeReadPointer
        if !add { g.update(repeating: 0, count: out) }
        for r in 0..<n {
            let row = p + r * out
            for c in 0..<out { g[c] += row[c] }
        }
    }
}

extension Variable {
    /// y = x·W + b recorded as one fused node: forward and backward write straight into the tape's
    /// arena and the parameters' gradient buffers (no temporaries in a warm training loop).
    @inlinable
    public func affine(_ w: Variable, _ b: Variable) throws -> Variable {
        let x = self
        let (n, k, out) = try Tensor.affineShape(x.value, w.value, b.value)
        let y = Variable.outputBuffer([n, out], x, w, b)
        try Tensor.affineForward(x.value, w.value, b.value, into: y.unsafeWritePointer)
        return Variable.record(y, inputs: [x, w, b]) { dy in
            if x.requiresGrad {
                try x.accumulateGrad { g, add in
                    try Tensor.gemmKernel(dy, w.value, transposeLeft: false, transposeRight: true,
                                          m: n, n: k, k: out, alpha: 1, beta: add ? 1 : 0, c: g)
                }
            }
            if w.requiresGrad {
                try w.accumulateGradGEMM { g, alpha, beta in
                    try Tensor.gemmKernel(x.value, dy, transposeLeft: true, transposeRight: false,
                                          m: k, n: out, k: n, alpha: alpha, beta: beta, c: g)
                }
            }
            if b.requiresGrad {
                b.accumulateGrad { g, add in Tensor.columnSums(dy, into: g, add: add) }
            }
        }
    }
}

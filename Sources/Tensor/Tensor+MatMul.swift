// Matrix products through BLAS gemm/gemv. Transposes are flags to BLAS, never copies.

extension Tensor {
    /// Checks the operands of op(A)·op(B) and returns (m, n, k).
    @inlinable
    static func productShape(_ op: String, _ a: Tensor, _ b: Tensor, transposeLeft: Bool, transposeRight: Bool) throws -> (Int, Int, Int) {
        let (ar, ac) = try a.matrixShape(op)
        let (br, bc) = try b.matrixShape(op)
        let (m, k) = transposeLeft ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeRight ? (bc, br) : (br, bc)
        guard k == k2 else {
            throw TensorError.shapeMismatch(op: op + (transposeLeft ? " (lhs transposed)" : "") + (transposeRight ? " (rhs transposed)" : ""), lhs: a.shape, rhs: b.shape)
        }
        return (m, n, k)
    }

    /// `C ← alpha·op(A)·op(B) + beta·C` into an existing buffer: the training loop's allocation-free product.
    /// - Throws: `TensorError.shapeMismatch` when the inner dimensions differ or `c` has the wrong shape.
    @inlinable
    public static func gemm(_ a: Tensor, _ b: Tensor, transposeLeft: Bool = false, transposeRight: Bool = false,
                            alpha: Scalar = 1, beta: Scalar = 0, into c: inout Tensor) throws {
        let (m, n, k) = try productShape("gemm", a, b, transposeLeft: transposeLeft, transposeRight: transposeRight)
        guard c.shape == [m, n] else { throw TensorError.shapeMismatch(op: "gemm output", lhs: c.shape, rhs: [m, n]) }
        let pc = c.withUnsafeMutableBufferPointer { $0.baseAddress! }
        try gemmKernel(a, b, transposeLeft: transposeLeft, transposeRight: transposeRight, m: m, n: n, k: k, alpha: alpha, beta: beta, c: pc)
    }

    /// The raw call: C (m×n, row stride n) ← alpha·op(A)·op(B) + beta·C.
    @inlinable
    package static func gemmKernel(_ a: Tensor, _ b: Tensor, transposeLeft: Bool, transposeRight: Bool,
                                   m: Int, n: Int, k: Int, alpha: Scalar, beta: Scalar, c: UnsafeMutablePointer<Scalar>) throws {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched when k = 0 only if beta = 1; make the empty sum explicit.
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        let op = "matmul"
        Scalar.gemm(
            transA: transposeLeft, transB: transposeRight,
            m: try blasInt(m, op: op), n: try blasInt(n, op: op), k: try blasInt(k, op: op), alpha: alpha,
            a: a.unsafeReadPointer, lda: try blasInt(a.shape[1], op: op),
            b: b.unsafeReadPointer, ldb: try blasInt(b.shape[1], op: op),
            beta: beta, c: c, ldc: try blasInt(n, op: op))
    }

    /// The matrix product op(self)·op(other), one gemm call.
    /// - Throws: `TensorError.shapeMismatch` naming both shapes when the inner dimensions differ.
    @inlinable
    public func matmul(_ other: Tensor, transposeLeft: Bool = false, transposeRight: Bool = false) throws -> Tensor {
        let (m, n, k) = try Tensor.productShape("matmul", self, other, transposeLeft: transposeLeft, transposeRight: transposeRight)
        let out = Tensor.uninitialized([m, n])
        try Tensor.gemmKernel(self, other, transposeLeft: transposeLeft, transposeRight: transposeRight,
                              m: m, n: n, k: k, alpha: 1, beta: 0, c: out.unsafeWritePointer)
        return out
    }


    /// Matrix–vector product op(self)·x through gemv; `x` is a vector (rank 1), the result a vector.
    public func matvec(_ x: Tensor, transpose: Bool = false) throws -> Tensor {
        let (m, n) = try matrixShape("matvec")
        let need = transpose ? m : n
        guard x.rank == 1, x.count == need else { throw TensorError.shapeMismatch(op: "matvec", lhs: shape, rhs: x.shape) }
        let outCount = transpose ? n : m
        let out = Tensor(zeros: [outCount])
        if m > 0 && n > 0 {
            Scalar.gemv(transA: transpose, m: try blasInt(m, op: "matvec"), n: try blasInt(n, op: "matvec"), alpha: 1,
                        a: unsafeReadPointer, lda: try blasInt(n, op: "matvec"), x: x.unsafeReadPointer, incx: 1,
                        beta: 0, y: out.unsafeWritePointer, incy: 1)
        }
        return out
    }

    /// Dot product of two tensors with the same number of scalars.
    public func dot(_ other: Tensor) throws -> Scalar {
        guard count == other.count else { throw TensorError.shapeMismatch(op: "dot", lhs: shape, rhs: other.shape) }
        if count == 0 { return 0 }
        return Scalar.dot(n: try blasInt(count, op: "dot"), x: unsafeReadPointer, incx: 1, y: other.unsafeReadPointer, incy: 1)
    }
}

extension Variable {
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
                try a.accumulateGradGEMM { g, alpha, beta in
                    // dA = dY·op(B)ᵀ (or its transpose when A entered transposed).
                    if transposeLeft {
                        try Tensor.gemmKernel(b.value, dy, transposeLeft: transposeRight, transposeRight: true,
                                              m: ar, n: ac, k: n, alpha: alpha, beta: beta, c: g)
                    } else {
                        try Tensor.gemmKernel(dy, b.value, transposeLeft: false, transposeRight: !transposeRight,
                                              m: ar, n: ac, k: n, alpha: alpha, beta: beta, c: g)
                    }
                }
            }
            if b.requiresGrad {
                let (br, bc) = (b.value.shape[0], b.value.shape[1])
                try b.accumulateGradGEMM { g, alpha, beta in
                    // dB = op(A)ᵀ·dY (or its transpose when B entered transposed).
                    if transposeRight {
                        try Tensor.gemmKernel(dy, a.value, transposeLeft: true, transposeRight: transposeLeft,
                                              m: br, n: bc, k: m, alpha: alpha, beta: beta, c: g)
                    } else {
                        try Tensor.gemmKernel(a.value, dy, transposeLeft: !transposeLeft, transposeRight: false,
                                              m: br, n: bc, k: m, alpha: alpha, beta: beta, c: g)
                    }
                }
            }
        }
    }
}

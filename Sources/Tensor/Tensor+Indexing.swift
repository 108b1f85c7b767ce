// Gathering rows for mini-batches, one-hot labels, concatenation and transpose.

extension Tensor {
    /// The rows at `indices` (any order, repeats allowed), copied into a new matrix — a shuffled
    /// mini-batch. For a contiguous range use the view `rows(_:)` instead, which copies nothing.
    /// - Throws: `TensorError.indexOutOfRange` naming the first bad index.
    public func gatherRows(_ indices: [Int]) throws -> Tensor {
        var out = Tensor.uninitialized([indices.count] + shape.dropFirst())
        try gatherRows(indices, into: &out)
        return out
    }

    /// Gathers rows into an existing buffer of shape `[indices.count, …]` (the training loop's reuse).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gatherRows(_ indices: [Int], into out: inout Tensor) throws {
        guard rank >= 1 else { throw TensorError.invalidShape(op: "gatherRows", shape: shape, expected: "rank ≥ 1") }
        let want = [indices.count] + shape.dropFirst()
        guard out.shape == want else { throw TensorError.shapeMismatch(op: "gatherRows into", lhs: out.shape, rhs: want) }
        let rowLength = shape[0] == 0 ? 0 : count / shape[0]
        let src = unsafeReadPointer
        try out.withUnsafeMutableBufferPointer { dst in
            for (k, i) in indices.enumerated() {
                guard i >= 0, i < shape[0] else { throw TensorError.indexOutOfRange(op: "gatherRows", index: i, bound: shape[0]) }
                (dst.baseAddress! + k * rowLength).update(from: src + i * rowLength, count: rowLength)
            }
        }
    }

    /// Backward of `gatherRows`: scatter-adds each row's gradient back to the row it came from.
    public static func gatherRowsBackward(_ dy: Tensor, indices: [Int], inputShape: [Int]) -> Tensor {
        let out = Tensor(zeros: inputShape)
        let rowLength = inputShape[0] == 0 ? 0 : out.count / inputShape[0]
        let o = out.unsafeWritePointer, g = dy.unsafeReadPointer
        for (k, i) in indices.enumerated() { for j in 0..<rowLength { o[i * rowLength + j] += g[k * rowLength + j] } }
        return out
    }

    /// An `labels.count × classes` matrix with a 1 at each row's label.
    /// - Throws: `TensorError.indexOutOfRange` naming the first label outside `0..<classes`.
    public static func oneHot(_ labels: [Int], classes: Int) throws -> Tensor {
        let out = Tensor(zeros: [labels.count, classes])
        let o = out.unsafeWritePointer
        for (r, y) in labels.enumerated() {
            guard y >= 0, y < classes else { throw TensorError.indexOutOfRange(op: "oneHot row \(r)", index: y, bound: classes) }
            o[r * classes + y] = 1
        }
        return out
    }

    /// Joins matrices along `axis` (0: stack rows, 1: side by side).
    /// - Throws: `TensorError.shapeMismatch` naming the first piece that does not fit.
    public static func concatenate(_ pieces: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = pieces.first else { throw TensorError.invalidArgument(op: "concatenate", reason: "no tensors given") }
        let (_, n0) = try first.matrixShape("concatenate")
        if axis == 0 {
            var total = 0
            for p in pieces {
                let (m, n) = try p.matrixShape("concatenate")
                guard n == n0 else { throw TensorError.shapeMismatch(op: "concatenate axis 0", lhs: first.shape, rhs: p.shape) }
                total += m
            }
            let out = Tensor.uninitialized([total, n0])
            var o = out.unsafeWritePointer
            for p in pieces { o.update(from: p.unsafeReadPointer, count: p.count); o += p.count }
            return out
        }
        guard axis == 1 else { throw TensorError.invalidArgument(op: "concatenate", reason: "axis \(axis) is not 0 or 1") }
        let m0 = first.shape[0]
        var total = 0
        for p in pieces {
            let (m, n) = try p.matrixShape("concatenate")
            guard m == m0 else { throw TensorError.shapeMismatch(op: "concatenate axis 1", lhs: first.shape, rhs: p.shape) }
            total += n
        }
        let out = Tensor.uninitialized([m0, total])
        let o = out.unsafeWritePointer
        var col = 0
        for p in pieces {
            let n = p.shape[1], src = p.unsafeReadPointer
            for r in 0..<m0 { (o + r * total + col).update(from: src + r * n, count: n) }
            col += n
        }
        return out
    }

    /// The transposed matrix, copied. Products never need it: `matmul` takes transpose flags.
    public func transposed() throws -> Tensor {
        let (m, n) = try matrixShape("transpose")
        let out = Tensor.uninitialized([n, m])
        let o = out.unsafeWritePointer, p = unsafeReadPointer
        // Blocked so both reads and writes stay within cache lines.
        let block = 32
        for rb in stride(from: 0, to: m, by: block) {
            for cb in stride(from: 0, to: n, by: block) {
                for r in rb..<Swift.min(rb + block, m) {
                    for c in cb..<Swift.min(cb + block, n) { o[c * m + r] = p[r * n + c] }
                }
            }
        }
        return out
    }
}

extension Variable {
    /// The rows at `indices`; backward scatter-adds into those rows.
    public func gatherRows(_ indices: [Int]) throws -> Variable {
        let x = self
        return Variable.record(try x.value.gatherRows(indices), inputs: [x]) { dy in
            try x.accumulate(Tensor.gatherRowsBackward(dy, indices: indices, inputShape: x.value.shape))
        }
    }
}

extension Variable {
    /// The same scalars in another shape (a view: no copy); the gradient flows back unchanged, in the
    /// input's shape.
    /// - Throws: `TensorError.countMismatch` when the element counts differ.
    @inlinable
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let x = self
        let y = try x.value.reshaped(shape)
        let n = y.count
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer
            x.accumulateGrad { g, add in
                if add { for i in 0..<n { g[i] += d[i] } } else { g.update(from: d, count: n) }
            }
        }
    }
}

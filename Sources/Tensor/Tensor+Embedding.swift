// Embedding lookup: integer ids → rows of a table, and its sparse backward.
//
// y[k] = W[id_k] for a table W [V, D]. The backward adds dy[k] into row id_k of dW and touches no other
// row (a token seen twice gets both gradients; a token not in the batch gets none): the work is
// proportional to the batch, not to the vocabulary, apart from clearing the gradient buffer on the first
// write of a step. The same as `torch.nn.Embedding` (with `padding_idx`), whose gradient is dense too
// unless `sparse=True`.

extension Tensor {
    /// Checks the table and ids of an embedding lookup; returns (V, D).
    @usableFromInline
    static func embeddingShape(_ ids: [Int], shape: [Int], weight: Tensor, paddingIndex: Int?) throws -> (Int, Int) {
        guard weight.rank == 2 else {
            throw TensorError.invalidShape(op: "embedding weight", shape: weight.shape, expected: "a table [vocabulary, dimension]")
        }
        let (v, d) = (weight.shape[0], weight.shape[1])
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == ids.count else {
            throw TensorError.countMismatch(op: "embedding ids", count: ids.count, shape: shape)
        }
        for (k, id) in ids.enumerated() where id < 0 || id >= v {
            throw TensorError.indexOutOfRange(op: "embedding id at position \(position(k, in: shape))", index: id, bound: v)
        }
        if let p = paddingIndex, p < 0 || p >= v {
            throw TensorError.indexOutOfRange(op: "embedding padding index", index: p, bound: v)
        }
        return (v, d)
    }

    /// The multi-index of flat position `k` in `shape`, as "[n, t]".
    static func position(_ k: Int, in shape: [Int]) -> String {
        var rest = k, index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return "[" + index.map(String.init).joined(separator: ", ") + "]"
    }

    /// Copies row ids[k] of `w` (V×D) into row k of `y`.
    @inlinable
    static func embeddingForward(_ ids: [Int], weight w: UnsafePointer<Scalar>, dimension d: Int, into y: UnsafeMutablePointer<Scalar>) {
        for (k, id) in ids.enumerated() { (y + k * d).update(from: w + id * d, count: d) }
    }

    /// dW (V×D) ← (add ? dW : 0) + Σ_k e_{ids[k]}·dy[k]ᵀ, skipping `paddingIndex`: each dy row added into
    /// the row of its id.
    @inlinable
    static func embeddingBackward(_ dy: UnsafePointer<Scalar>, ids: [Int], vocabulary v: Int, dimension d: Int, paddingIndex: Int?,
                                  into g: UnsafeMutablePointer<Scalar>, add: Bool) {
        if !add { g.update(repeating: 0, count: v * d) }
        for (k, id) in ids.enumerated() where id != paddingIndex {
            let src = dy + k * d, dst = g + id * d
            for j in 0..<d { dst[j] += src[j] }
        }
    }

    /// The rows of the table `weight` [V, D] at `ids`, shaped `shape + [D]` (`shape` is the ids' shape,
    /// [N, T] for a batch of sequences; nil: [ids.count]).
    /// - Throws: `TensorError.indexOutOfRange` naming the position of the first id outside `0..<V`;
    ///   `TensorError.countMismatch` when `shape` does not hold `ids.count` ids.
    public static func embedding(_ ids: [Int], shape: [Int]? = nil, weight: Tensor) throws -> Tensor {
        let idsShape = shape ?? [ids.count]
        let (_, d) = try embeddingShape(ids, shape: idsShape, weight: weight, paddingIndex: nil)
        let y = Tensor.uninitialized(idsShape + [d])
        embeddingForward(ids, weight: weight.unsafeReadPointer, dimension: d, into: y.unsafeWritePointer)
        return y
    }
}

extension Variable {
    /// Embedding lookup, recorded: the rows of the table `weight` [V, D] at `ids`, shaped `shape + [D]`
    /// (`shape` is the ids' shape, e.g. [N, T]; nil: [ids.count]). Backward adds each output row's
    /// gradient into its id's row of the table's gradient (sparse accumulation); ids equal to
    /// `paddingIndex` get no gradient, as with PyTorch's `padding_idx`.
    ///
    /// `tape` is the tape to record on: the ids are plain integers and the table is a parameter, which
    /// belongs to no tape, so the op cannot find one from its operands (nil: the table's tape if it has
    /// one, else nothing is recorded — inference).
    /// - Throws: `TensorError.indexOutOfRange` naming the position of the first id outside `0..<V` (or a
    ///   padding index outside it); `TensorError.countMismatch` when `shape` does not hold the ids.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func embedding(_ ids: [Int], shape: [Int]? = nil, weight: Variable, paddingIndex: Int? = nil,
                                 on tape: Tape<Scalar>?) throws -> Variable {
        let idsShape = shape ?? [ids.count]
        let (v, d) = try Tensor.embeddingShape(ids, shape: idsShape, weight: weight.value, paddingIndex: paddingIndex)
        let tape = tape ?? weight.tape
        let y = buffer(idsShape + [d], tape)
        Tensor.embeddingForward(ids, weight: weight.value.unsafeReadPointer, dimension: d, into: y.unsafeWritePointer)
        return recordOutputs([y], inputs: [weight], tape: tape) { gradients in
            guard let dp = gradients[0]?.unsafeReadPointer else { return }
            weight.accumulateGrad { g, add in
                Tensor.embeddingBackward(dp, ids: ids, vocabulary: v, dimension: d, paddingIndex: paddingIndex, into: g, add: add)
            }
        }[0]
    }
}

// The glue around the recurrent cells: a bidirectional layer's two directions side by side, and a
// classifier's mean of the outputs over time. Both on [N, T, F] sequences, outputs from the tape's arena.

extension Variable {
    /// The pieces side by side along their last axis: [N, T, A] and [N, T, B] give [N, T, A + B] (any
    /// rank, all leading dimensions equal) — a bidirectional layer's concatenated directions, as PyTorch's
    /// `bidirectional=True` output. Backward hands each piece its columns of the gradient.
    /// - Throws: `TensorError.invalidArgument` for no pieces; `TensorError.shapeMismatch` naming the first
    ///   piece whose leading dimensions differ from the first's.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func concatenateLastAxis(_ pieces: [Variable]) throws -> Variable {
        guard let first = pieces.first?.value, first.rank >= 1 else {
            throw TensorError.invalidArgument(op: "concatenateLastAxis", reason: "needs at least one piece of rank ≥ 1")
        }
        let leading = Array(first.shape.dropLast())
        for p in pieces where p.value.rank != first.rank || Array(p.value.shape.dropLast()) != leading {
            throw TensorError.shapeMismatch(op: "concatenateLastAxis", lhs: first.shape, rhs: p.value.shape)
        }
        let widths = pieces.map { $0.value.shape.last! }, total = widths.reduce(0, +)
        let rows = leading.reduce(1, *)
        let tape = Variable.tape(among: pieces)
        let y = buffer(leading + [total], tape)
        let yp = y.unsafeWritePointer
        var offset = 0
        for (p, w) in zip(pieces, widths) {
            let src = p.value.unsafeReadPointer
            for r in 0..<rows { (yp + r * total + offset).update(from: src + r * w, count: w) }
            offset += w
        }
        return recordOutputs([y], inputs: pieces, tape: tape) { gradients in
            guard let dy = gradients[0]?.unsafeReadPointer else { return }
            var offset = 0
            for (p, w) in zip(pieces, widths) {
                let start = offset
                p.accumulateGrad { g, add in
                    for r in 0..<rows {
                        let src = dy + r * total + start, dst = g + r * w
                        if add { for j in 0..<w { dst[j] += src[j] } } else { dst.update(from: src, count: w) }
                    }
                }
                offset += w
            }
        }[0]
    }

    /// The mean over time of a sequence [N, T, F]: [N, F], each row averaged over its first `lengths[n]`
    /// steps when given (padded sequences; nil: all T) — a sequence classifier's pooled state.
    /// Backward spreads each row's gradient evenly over the steps it averaged.
    /// - Throws: `TensorError.invalidShape` for a input that is not [N, T, F]; `TensorError.indexOutOfRange`
    ///   naming the batch row of a length outside 1...T (a mean over no step is undefined).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func meanOverTime(lengths: [Int]? = nil) throws -> Variable {
        let x = self
        let s = x.value.shape
        guard s.count == 3 else { throw TensorError.invalidShape(op: "meanOverTime", shape: s, expected: "[batch, time, features]") }
        let (n, t, f) = (s[0], s[1], s[2])
        if let lengths {
            guard lengths.count == n else { throw TensorError.shapeMismatch(op: "meanOverTime lengths", lhs: [n], rhs: [lengths.count]) }
            for (row, length) in lengths.enumerated() where length < 1 || length > t {
                throw TensorError.indexOutOfRange(op: "meanOverTime length of batch row \(row) (expected 1...\(t))", index: length, bound: t + 1)
            }
        } else if t == 0 {
            throw TensorError.invalidShape(op: "meanOverTime", shape: s, expected: "at least one time step")
        }
        let y = Variable.buffer([n, f], x.tape)
        let xp = x.value.unsafeReadPointer, yp = y.unsafeWritePointer
        for row in 0..<n {
            let steps = lengths?[row] ?? t, scale = 1 / Scalar(steps), out = yp + row * f
            out.update(repeating: 0, count: f)
            for step in 0..<steps {
                let src = xp + (row * t + step) * f
                for j in 0..<f { out[j] += src[j] }
            }
            for j in 0..<f { out[j] *= scale }
        }
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer
            x.accumulateGrad { g, add in
                for row in 0..<n {
                    let steps = lengths?[row] ?? t, scale = 1 / Scalar(steps), src = d + row * f
                    for step in 0..<t {
                        let dst = g + (row * t + step) * f
                        if step < steps {
                            if add { for j in 0..<f { dst[j] += scale * src[j] } } else { for j in 0..<f { dst[j] = scale * src[j] } }
                        } else if !add {
                            dst.update(repeating: 0, count: f)
                        }
                    }
                }
            }
        }
    }
}

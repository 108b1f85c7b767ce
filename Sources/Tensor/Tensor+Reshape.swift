// Reshape on the tape: a sequence's outputs [N, T, H] become the rows [N·T, H] an affine map or a loss
// reads, with no copy forward and one copy of the gradient backward.

extension Variable {
    /// The same scalars in another shape: the value is a view of this variable's storage (no copy);
    /// backward passes the gradient through unchanged, in this variable's shape.
    /// - Throws: `TensorError.countMismatch` if the scalar counts differ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let x = self
        let y = try x.value.reshaped(shape)
        let n = x.value.count
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer
            x.accumulateGrad { g, add in
                if add { for i in 0..<n { g[i] += d[i] } } else { g.update(from: d, count: n) }
            }
        }
    }
}

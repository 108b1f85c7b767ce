// Elementwise maps over a tensor's scalars, the building blocks of ops without a kernel of their own.

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
}

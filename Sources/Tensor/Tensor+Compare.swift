// Comparisons produce masks: tensors of 0 and 1, usable as multipliers (the guide's switches).

extension Tensor {
    /// 1 where `self > other` (with broadcasting), else 0.
    @inlinable public func greater(_ other: Tensor) throws -> Tensor { try Tensor.zip("greater", self, other) { $0 > $1 ? 1 : 0 } }
    /// 1 where `self < other`, else 0.
    @inlinable public func less(_ other: Tensor) throws -> Tensor { try Tensor.zip("less", self, other) { $0 < $1 ? 1 : 0 } }
    /// 1 where `self == other`, else 0.
    @inlinable public func equal(_ other: Tensor) throws -> Tensor { try Tensor.zip("equal", self, other) { $0 == $1 ? 1 : 0 } }
    /// 1 where `self > c`, else 0.
    @inlinable public func greater(_ c: Scalar) -> Tensor { map { $0 > c ? 1 : 0 } }
    /// 1 where `self < c`, else 0.
    @inlinable public func less(_ c: Scalar) -> Tensor { map { $0 < c ? 1 : 0 } }
    /// 1 where `self >= c`, else 0.
    @inlinable public func greaterOrEqual(_ c: Scalar) -> Tensor { map { $0 >= c ? 1 : 0 } }

    /// Picks `a` where `mask` is non-zero and `b` elsewhere (all three of the same shape).
    public static func select(_ mask: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard mask.shape == a.shape else { throw TensorError.shapeMismatch(op: "select", lhs: mask.shape, rhs: a.shape) }
        guard a.shape == b.shape else { throw TensorError.shapeMismatch(op: "select", lhs: a.shape, rhs: b.shape) }
        return Tensor(shape: a.shape) { i in mask[flat: i] != 0 ? a[flat: i] : b[flat: i] }
    }

    /// True when every scalar is finite (no NaN, no ±∞).
    @inlinable public var isFinite: Bool {
        withUnsafeBufferPointer { p in
            for v in p where !v.isFinite { return false }
            return true
        }
    }

    /// True when shapes match and every pair of scalars is within `tolerance` (absolute) or relative.
    public func isApproximatelyEqual(to other: Tensor, tolerance: Scalar) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = self[flat: i], b = other[flat: i]
            if Swift.abs(a - b) > tolerance * Swift.max(1, Swift.max(Swift.abs(a), Swift.abs(b))) { return false }
        }
        return true
    }
}

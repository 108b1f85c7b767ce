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
    ///
    /// Accumulates x·0, which is 0 for finite x and NaN for NaN or ±∞: a branch-free loop over SIMD
    /// vectors with independent accumulators, where an early-exit test per element would crawl. The
    /// trainer runs it on every gradient of every step.
    @inlinable public var isFinite: Bool {
        withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return true }
            let n = p.count, raw = UnsafeRawPointer(base), width = MemoryLayout<Scalar>.stride * 8
            var a = SIMD8<Scalar>(), b = SIMD8<Scalar>(), c = SIMD8<Scalar>(), d = SIMD8<Scalar>()
            var i = 0
            while i + 32 <= n {
                let o = i * MemoryLayout<Scalar>.stride
                a += raw.loadUnaligned(fromByteOffset: o, as: SIMD8<Scalar>.self) * 0
                b += raw.loadUnaligned(fromByteOffset: o + width, as: SIMD8<Scalar>.self) * 0
                c += raw.loadUnaligned(fromByteOffset: o + 2 * width, as: SIMD8<Scalar>.self) * 0
                d += raw.loadUnaligned(fromByteOffset: o + 3 * width, as: SIMD8<Scalar>.self) * 0
                i += 32
            }
            var rest: Scalar = ((a + b) + (c + d)).sum()
            while i < n { rest += base[i] * 0; i += 1 }
            return rest.isFinite
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

/// How the two operands of a binary elementwise op line up. Broadcasting follows numpy for the cases a
/// classifier needs: equal shapes, a single scalar, a row vector (`[n]` or `[1, n]`) against an m×n
/// matrix, and a column vector (`[m, 1]`) against an m×n matrix — on either side.
@usableFromInline
enum Broadcast: Sendable {
    case same
    case scalar        // the other operand has one element
    case row           // the other operand is a row of length `columns`
    case column        // the other operand is a column of length `rows`
}

extension Tensor {
    /// Decides the broadcast of `small` against `big` (`big` has the result's shape), or nil.
    @inlinable
    static func broadcast(_ small: [Int], against big: [Int]) -> Broadcast? {
        if small == big { return .same }
        let smallCount = small.reduce(1, *)
        if smallCount == 1 { return .scalar }
        guard big.count == 2 else { return nil }
        if (small.count == 1 && small[0] == big[1]) || (small.count == 2 && small[0] == 1 && small[1] == big[1]) {
            return .row
        }
        if small.count == 2 && small[1] == 1 && small[0] == big[0] { return .column }
        return nil
    }

    /// The result shape of a broadcasting binary op, and how each side broadcasts.
    @inlinable
    static func broadcastShapes(_ op: String, _ a: [Int], _ b: [Int]) throws -> (shape: [Int], a: Broadcast, b: Broadcast) {
        if let mode = broadcast(b, against: a) { return (a, .same, mode) }
        if let mode = broadcast(a, against: b) { return (b, mode, .same) }
        throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b)
    }

    /// Reads operand element for flat output index `i` (row `r`, column `c`).
    @inlinable @inline(__always)
    static func element(_ p: UnsafePointer<Scalar>, _ mode: Broadcast, _ i: Int, _ r: Int, _ c: Int) -> Scalar {
        switch mode {
        case .same: return p[i]
        case .scalar: return p[0]
        case .row: return p[c]
        case .column: return p[r]
        }
    }

    /// Sums a full-shape gradient `g` down to the shape of a broadcast operand (the backward of
    /// broadcasting: a value used in many places receives the sum of their gradients).
    @inlinable
    static func reduce(_ g: Tensor, to mode: Broadcast, shape: [Int]) -> Tensor {
        switch mode {
        case .same: return g
        case .scalar:
            var s: Scalar = 0
            g.withUnsafeBufferPointer { for v in $0 { s += v } }
            return Tensor(repeating: s, shape: shape)
        case .row:
            let (m, n) = (g.rows, g.columns)
            let out = Tensor(zeros: shape)
            let dst = out.unsafeWritePointer, src = g.unsafeReadPointer
            for r in 0..<m { for c in 0..<n { dst[c] += src[r * n + c] } }
            return out
        case .column:
            let (m, n) = (g.rows, g.columns)
            let out = Tensor(zeros: shape)
            let dst = out.unsafeWritePointer, src = g.unsafeReadPointer
            for r in 0..<m {
                var s: Scalar = 0
                for c in 0..<n { s += src[r * n + c] }
                dst[r] = s
            }
            return out
        }
    }

    /// Applies `f` elementwise with broadcasting; the core of `+ - * /`.
    @inlinable
    static func zip(_ op: String, _ a: Tensor, _ b: Tensor, _ f: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        let (shape, ma, mb) = try broadcastShapes(op, a.shape, b.shape)
        let out = Tensor.uninitialized(shape)
        let o = out.unsafeWritePointer, pa = a.unsafeReadPointer, pb = b.unsafeReadPointer
        let n = out.count
        if ma == .same && mb == .same {
            for i in 0..<n { o[i] = f(pa[i], pb[i]) }
        } else if ma == .same && mb == .scalar {
            let s = pb[0]
            for i in 0..<n { o[i] = f(pa[i], s) }
        } else if ma == .same && (mb == .row || mb == .column) {
            // The common broadcasts (bias rows, per-row scales) as plain row loops the compiler vectorizes.
            let cols = out.columns
            for r in 0..<out.rows {
                let ar = pa + r * cols, orow = o + r * cols
                if mb == .row {
                    for c in 0..<cols { orow[c] = f(ar[c], pb[c]) }
                } else {
                    let s = pb[r]
                    for c in 0..<cols { orow[c] = f(ar[c], s) }
                }
            }
        } else {
            let cols = out.columns
            var i = 0
            for r in 0..<out.rows {
                for c in 0..<cols {
                    o[i] = f(element(pa, ma, i, r, c), element(pb, mb, i, r, c))
                    i += 1
                }
            }
        }
        return out
    }
}

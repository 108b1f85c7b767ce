/// Errors thrown by `Tensor` operations. Every case names the operation and what it was given, so a
/// message points at the call that went wrong.
///
/// Where the type must be qualified, use the module selector: `Tensor::TensorError`.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two operands whose shapes do not fit together.
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
    /// A shape that the operation cannot take (wrong rank, zero-sized where it needs data, …).
    case invalidShape(op: String, shape: [Int], expected: String)
    /// A scalar count that does not match the requested shape.
    case countMismatch(op: String, count: Int, shape: [Int])
    /// An index outside `0..<bound`.
    case indexOutOfRange(op: String, index: Int, bound: Int)
    /// An argument outside its domain (negative step, probability above 1, …).
    case invalidArgument(op: String, reason: String)
    /// A dimension too large for Debian's OpenBLAS, whose `blasint` is 32-bit.
    case dimensionTooLarge(op: String, dimension: Int)
    /// LAPACK reported failure. `info` is LAPACK's return code: negative means argument `-info` was
    /// illegal, positive means the matrix is singular / not positive definite / did not converge.
    case lapack(routine: String, info: Int, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs):
            return "\(op): shapes \(lhs) and \(rhs) do not match"
        case let .invalidShape(op, shape, expected):
            return "\(op): shape \(shape) is invalid, expected \(expected)"
        case let .countMismatch(op, count, shape):
            return "\(op): \(count) scalars cannot fill shape \(shape)"
        case let .indexOutOfRange(op, index, bound):
            return "\(op): index \(index) is out of range 0..<\(bound)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .dimensionTooLarge(op, dimension):
            return "\(op): dimension \(dimension) exceeds the 32-bit BLAS integer limit"
        case let .lapack(routine, info, reason):
            return "\(routine) failed (info = \(info)): \(reason)"
        }
    }
}

/// Checks that `n` fits OpenBLAS's 32-bit `blasint` and converts it.
@inlinable
package func blasInt(_ n: Int, op: String) throws -> Int32 {
    guard n >= 0, n <= Int(Int32.max) else { throw TensorError.dimensionTooLarge(op: op, dimension: n) }
    return Int32(n)
}

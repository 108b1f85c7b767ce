/// Errors from `TSNE`: what was wrong with the input or the settings, in words a user can act on.
public enum TSNEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer points than t-SNE needs (4: a point, its neighbours and something to repel).
    case tooFewPoints(count: Int, minimum: Int)
    /// The perplexity cannot be reached with `count` points: it must lie in (0, count − 1).
    case perplexityTooLarge(perplexity: Double, count: Int)
    /// A setting outside its domain (a non-positive learning rate, θ ≥ 1, …).
    case invalidArgument(name: String, reason: String)
    /// A feature that is NaN or infinite, at `row`, `column` (0-based).
    case nonFiniteFeature(row: Int, column: Int)
    /// Arrays whose sizes do not fit together.
    case shapeMismatch(what: String, expected: String, found: String)
    /// The optimisation produced NaN or infinity (a learning rate far too large, say).
    case diverged(iteration: Int)

    public var description: String {
        switch self {
        case let .tooFewPoints(count, minimum):
            return "t-SNE needs at least \(minimum) points, got \(count)"
        case let .perplexityTooLarge(perplexity, count):
            return "perplexity \(perplexity) is too large for \(count) points: it must be below \(count - 1) (the number of neighbours each point has)"
        case let .invalidArgument(name, reason):
            return "\(name): \(reason)"
        case let .nonFiniteFeature(row, column):
            return "the features hold a NaN or infinite value at row \(row), column \(column) (0-based)"
        case let .shapeMismatch(what, expected, found):
            return "\(what): expected \(expected), found \(found)"
        case let .diverged(iteration):
            return "the optimisation diverged at iteration \(iteration) (NaN or infinite positions); try a smaller learning rate"
        }
    }
}

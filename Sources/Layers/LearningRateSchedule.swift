import Foundation

/// How the learning rate changes over epochs.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiplied by `factor` every `every` epochs.
    case step(every: Int, factor: Double)
    /// Multiplied by `factor` each epoch.
    case exponential(factor: Double)
    /// Cosine annealing from the base rate to `minimum` over `epochs` epochs.
    case cosine(epochs: Int, minimum: Double)

    /// The rate for zero-based `epoch` given the base rate.
    public func rate(base: Double, epoch: Int) -> Double {
        switch self {
        case .constant: return base
        case let .step(every, factor): return base * Foundation.pow(factor, Double(epoch / max(every, 1)))
        case let .exponential(factor): return base * Foundation.pow(factor, Double(epoch))
        case let .cosine(epochs, minimum):
            let t = min(Double(epoch) / Double(max(epochs, 1)), 1)
            return minimum + (base - minimum) * (1 + cos(Double.pi * t)) / 2
        }
    }
}

import Foundation

/// How the learning rate changes over a run: a factor of the base rate for each epoch, given the run's
/// length. The base rate and the epoch count live in `TrainingConfiguration` alone, so a schedule means
/// the same whatever rate and length it is combined with (hyperparameter search varies both).
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiplied by `factor` every `every` epochs, whatever the run's length.
    case step(every: Int, factor: Double)
    /// Multiplied by `factor` `count` times over the run: every max(1, epochs / count) epochs.
    case stepsOverRun(count: Int, factor: Double)
    /// Multiplied by `factor` each epoch.
    case exponential(factor: Double)
    /// Cosine annealing over the whole run from the base rate down to `minimumFactor` × the base rate
    /// (Loshchilov & Hutter 2017, without restarts).
    case cosine(minimumFactor: Double)

    /// The factor of the base rate for zero-based `epoch` of a run of `totalEpochs` epochs.
    public func factor(epoch: Int, totalEpochs: Int) -> Double { rate(base: 1, epoch: epoch, totalEpochs: totalEpochs) }

    /// The rate for zero-based `epoch` of a run of `totalEpochs` epochs starting at `base`.
    public func rate(base: Double, epoch: Int, totalEpochs: Int) -> Double {
        switch self {
        case .constant: return base
        case let .step(every, factor): return base * Foundation.pow(factor, Double(epoch / max(every, 1)))
        case let .stepsOverRun(count, factor):
            return base * Foundation.pow(factor, Double(epoch / max(1, totalEpochs / max(count, 1))))
        case let .exponential(factor): return base * Foundation.pow(factor, Double(epoch))
        case let .cosine(minimumFactor):
            let minimum = base * minimumFactor
            let t = min(Double(epoch) / Double(max(totalEpochs, 1)), 1)
            return minimum + (base - minimum) * (1 + cos(Double.pi * t)) / 2
        }
    }

    /// Checks the schedule's own numbers. - Throws: `TrainingError.invalidConfiguration`.
    public func validate() throws {
        switch self {
        case .constant: return
        case let .step(every, factor):
            guard every > 0, factor > 0, factor.isFinite else { throw TrainingError.invalidConfiguration("step schedule needs every > 0 and a factor > 0") }
        case let .stepsOverRun(count, factor):
            guard count > 0, factor > 0, factor.isFinite else { throw TrainingError.invalidConfiguration("step schedule needs a count > 0 and a factor > 0") }
        case let .exponential(factor):
            guard factor > 0, factor.isFinite else { throw TrainingError.invalidConfiguration("exponential schedule needs a factor > 0") }
        case let .cosine(minimumFactor):
            guard minimumFactor >= 0, minimumFactor <= 1 else { throw TrainingError.invalidConfiguration("cosine schedule's minimum factor \(minimumFactor) is not in [0, 1]") }
        }
    }
}

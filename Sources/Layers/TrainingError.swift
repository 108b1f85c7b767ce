/// Why training stopped or could not start.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The loss or a gradient became NaN or infinite.
    case nonFinite(what: String, epoch: Int, step: Int, lastFiniteLoss: Double?)
    /// A label that the loss cannot take, with the row it is on.
    case invalidLabel(row: Int, label: String, expected: String)
    /// Targets of the wrong kind for the loss.
    case invalidTargets(String)
    /// A setting outside its domain.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .nonFinite(what, epoch, step, last):
            let lastText = last.map { "last finite loss \($0)" } ?? "no finite loss before it"
            return "\(what) became non-finite at epoch \(epoch), step \(step) (\(lastText)); try a smaller learning rate or gradient clipping"
        case let .invalidLabel(row, label, expected):
            return "row \(row): label \(label) is invalid, expected \(expected)"
        case let .invalidTargets(reason):
            return "invalid targets: \(reason)"
        case let .invalidConfiguration(reason):
            return "invalid configuration: \(reason)"
        }
    }
}

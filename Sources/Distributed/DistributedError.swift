/// Why a distributed run could not start or go on. Each case names the rank it concerns.
public enum DistributedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An MPI call failed (`rank` nil when MPI could not even say which rank this is).
    case mpi(rank: Int?, operation: String, message: String)
    /// A rank was started with a setting that differs from rank 0's: a different data file, model, seed, ….
    case configurationMismatch(rank: Int, field: String, value: String, rank0Value: String)
    /// A rank's parameters no longer equal rank 0's (the all-reduce did not give every rank the same sum).
    case parametersDiverged(rank: Int, epoch: Int)
    /// A setting data-parallel training cannot honour.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .mpi(rank, operation, message):
            return "\(rank.map { "rank \($0): " } ?? "")\(operation) failed: \(message)"
        case let .configurationMismatch(rank, field, value, rank0Value):
            return "rank \(rank) differs from rank 0 in \(field): \(Self.clip(value)) on rank \(rank), \(Self.clip(rank0Value)) on rank 0; start every rank with the same data, model and settings"
        case let .parametersDiverged(rank, epoch):
            return "rank \(rank)'s parameters differ from rank 0's after epoch \(epoch); the ranks no longer train the same model"
        case let .unsupported(reason):
            return "distributed training: \(reason)"
        }
    }

    /// Long values (paths, layer lists) shortened so the message stays one readable line.
    static func clip(_ s: String) -> String { s.count <= 160 ? "\"\(s)\"" : "\"\(s.prefix(157))…\"" }
}

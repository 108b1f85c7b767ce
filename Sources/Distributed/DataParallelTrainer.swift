import Foundation
import Layers

/// Data-parallel training of one model on every rank of an MPI job.
///
/// Every rank holds the whole training set and draws the same permutation from the same seed, so the
/// ranks agree on each global batch of `batchSize` examples; each trains on its contiguous part of it,
/// the gradients are all-reduced (sum of local means scaled by each part's share of the batch), and every rank
/// takes the same optimizer step — the parameters stay identical everywhere, and equal (up to rounding)
/// to a single process training with the same global batch.
///
/// ```swift
/// let mpi = try MPIContext()
/// defer { mpi.finalize() }
/// let parallel = try DataParallelTrainer(trainer, mpi: mpi)
/// var fingerprint = ConfigurationFingerprint()
/// fingerprint.add("data", ConfigurationFingerprint.file(at: path))
/// try parallel.start(fingerprint: fingerprint, data: train)   // check settings, broadcast rank 0's state
/// let history = try parallel.fit(train)
/// if mpi.rank == 0 { try write(trainer.model) }
/// ```
public final class DataParallelTrainer<Scalar: BLASScalar> {
    /// The wrapped trainer; its hooks (`shard`, `allReduceHook`, `epochTotalsHook`) are set by `init`.
    public let trainer: Trainer<Scalar>
    /// The job this rank belongs to.
    public let mpi: MPIContext
    /// The fused all-reduce the trainer's hook calls; its `statistics` give time and bytes per step.
    public let reducer: GradientAllReducer<Scalar>

    /// Wires `trainer` for data-parallel training on `mpi`: sets its shard, its all-reduce hook and its
    /// epoch-metrics reduction. Dropout layers on ranks other than 0 get a generator of their own (so
    /// ranks draw different masks for their different examples).
    /// - Throws: `DistributedError.unsupported` for L-BFGS, whose full-batch line search is not sharded.
    public init(_ trainer: Trainer<Scalar>, mpi: MPIContext) throws {
        guard trainer.configuration.optimizer != .lbfgs else {
            throw DistributedError.unsupported("L-BFGS trains on the full batch in one process; use sgd, momentum, nesterov or adam")
        }
        self.trainer = trainer
        self.mpi = mpi
        let reducer = GradientAllReducer(mpi: mpi, parameters: trainer.model.parameters)
        self.reducer = reducer
        trainer.shard = (mpi.rank, mpi.size)
        trainer.allReduceHook = { parameters, share in
            try reducer.allReduceGradients(parameters, share: share)
        }
        trainer.epochTotalsHook = { lossSum, correct, seen in
            let total = try mpi.allReduceSum([lossSum, Double(correct), Double(seen)], what: "epoch metrics")
            return (total[0], Int(total[1]), Int(total[2]))
        }
        if mpi.rank > 0 {
            // Rank 0 keeps the single-process stream (so its checkpoints resume exactly); the others
            // derive theirs from it and their rank. With dropout, a resumed job therefore matches an
            // uninterrupted one on rank 0's part only: the other ranks' dropout streams are not saved.
            for case let dropout as Dropout<Scalar> in trainer.model.layers {
                dropout.rng = SeededRNG(seed: dropout.rng.next() &+ UInt64(mpi.rank) &* 0x9E37_79B9_7F4A_7C15)
            }
        }
    }

    /// Checks that every rank was started alike, then gives every rank rank 0's training state.
    ///
    /// `fingerprint` carries what only the caller knows (data file, preprocessing); the trainer's settings
    /// and a digest of `data` are added here. Rank 0's state — parameters (as initialized, or restored
    /// from a checkpoint), optimizer buffers, shuffling generator, epochs completed — is then broadcast,
    /// so a run resumed from a checkpoint that only rank 0 read continues identically on every rank.
    /// - Throws: `DistributedError.configurationMismatch` on every rank, naming the first rank and field
    ///   that differ from rank 0's.
    public func start(fingerprint: ConfigurationFingerprint = ConfigurationFingerprint(), data: TrainingData<Scalar>) throws {
        var f = fingerprint
        f.add(trainer: trainer, data: data)
        f.add("ranks", "\(mpi.size)")
        try f.check(on: mpi)
        try broadcastState()
    }

    /// Broadcasts rank 0's parameters, optimizer state, shuffling generator and epoch count.
    public func broadcastState() throws {
        let parameters = trainer.model.parameters
        try reducer.broadcastParameters(parameters)
        // The small state travels as JSON; the optimizer's buffers follow as raw scalars in a fixed order.
        let state = trainer.optimizer?.state
        let keys = (state?.buffers.keys.sorted()) ?? []
        let header = StateHeader(rng: trainer.rng, completedEpochs: trainer.completedEpochs, steps: state?.steps ?? 0,
                                 buffers: keys.map { key in state!.buffers[key]!.map(\.shape) }, keys: keys)
        let bytes = try mpi.broadcast(bytes: mpi.rank == 0 ? Array(try JSONEncoder().encode(header)) : [], what: "training state broadcast")
        let received = try JSONDecoder().decode(StateHeader.self, from: Data(bytes))
        var buffers: [String: [Tensor<Scalar>]] = [:]
        for (key, shapes) in zip(received.keys, received.buffers) {
            buffers[key] = try shapes.enumerated().map { i, shape in
                var t = mpi.rank == 0 ? state!.buffers[key]![i] : Tensor<Scalar>(zeros: shape)
                try t.withUnsafeMutableBufferPointer { p in
                    try mpi.broadcast(p.baseAddress!, count: p.count, what: "optimizer state broadcast")
                }
                return t
            }
        }
        guard mpi.rank != 0 else { return }
        trainer.rng = received.rng
        trainer.completedEpochs = received.completedEpochs
        try trainer.optimizer?.restore(OptimizerState(buffers: buffers, steps: received.steps))
    }

    private struct StateHeader: Codable {
        var rng: SeededRNG
        var completedEpochs: Int
        var steps: Int
        var buffers: [[[Int]]]
        var keys: [String]
    }

    /// Trains like `Trainer.fit`, with metrics summed over ranks, then checks that every rank ends with
    /// rank 0's parameters.
    ///
    /// `callback` runs on every rank; whatever it returns must be the same on every rank (a rank that
    /// stops alone leaves the others waiting until the collective timeout aborts the job).
    @discardableResult
    public func fit(_ train: TrainingData<Scalar>, validation: TrainingData<Scalar>? = nil,
                    callback: ((TrainingEvent) -> TrainingControl)? = nil) throws -> TrainingHistory {
        let history = try trainer.fit(train, validation: validation, callback: callback)
        try checkParametersAgree(epoch: trainer.completedEpochs)
        return history
    }

    /// Compares a hash of every rank's parameters with rank 0's.
    /// - Throws: `DistributedError.parametersDiverged` on every rank, naming the first rank that differs.
    public func checkParametersAgree(epoch: Int) throws {
        var h = FNV1a()
        for p in trainer.model.parameters { p.variable.value.withUnsafeBufferPointer { h.add(UnsafeRawBufferPointer($0)) } }
        let mine = withUnsafeBytes(of: h.value.littleEndian) { Array($0) }
        let all = try mpi.allGather(bytes: mine, what: "parameter check")
        if let r = all.indices.dropFirst().first(where: { all[$0] != all[0] }) {
            throw DistributedError.parametersDiverged(rank: r, epoch: epoch)
        }
    }
}

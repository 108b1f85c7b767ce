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
    /// The wrapped trainer; `init` sets its `synchronizer`.
    public let trainer: Trainer<Scalar>
    /// The job this rank belongs to.
    public let mpi: MPIContext
    /// The fused all-reduce the synchronizer calls; its `statistics` give time and bytes per step.
    public let reducer: GradientAllReducer<Scalar>
    /// The trainer's synchronizer (its `beforeAllReduce` hook serves fault injection).
    public let synchronizer: MPIGradientSynchronizer<Scalar>

    /// Wires `trainer` for data-parallel training on `mpi`: its synchronizer cuts every global batch
    /// into one part per rank, all-reduces the gradients and sums the epoch metrics. Every layer's
    /// generators on ranks other than 0 are re-seeded from the rank (so ranks draw different dropout
    /// masks for their different examples).
    /// - Throws: `DistributedError.unsupported` for L-BFGS, whose full-batch line search is not sharded.
    public init(_ trainer: Trainer<Scalar>, mpi: MPIContext) throws {
        guard trainer.configuration.optimizer != .lbfgs else {
            throw DistributedError.unsupported("L-BFGS trains on the full batch in one process; use sgd, momentum, nesterov or adam")
        }
        self.trainer = trainer
        self.mpi = mpi
        let reducer = GradientAllReducer(mpi: mpi, parameters: trainer.model.parameters)
        self.reducer = reducer
        synchronizer = MPIGradientSynchronizer(mpi: mpi, reducer: reducer)
        trainer.synchronizer = synchronizer
        if mpi.rank > 0 { try Self.reseedGenerators(of: trainer.model, rank: mpi.rank) }
    }

    /// Gives every layer generator of `model` a stream derived from its own and `rank`. Rank 0 keeps the
    /// single-process streams (so its checkpoints resume exactly); with dropout, a resumed job therefore
    /// matches an uninterrupted one on rank 0's part only: the other ranks' streams are not saved.
    static func reseedGenerators(of model: Sequential<Scalar>, rank: Int) throws {
        var states = model.layerStates
        for i in states.indices {
            for j in states[i].generators.indices {
                states[i].generators[j] = SeededRNG(seed: states[i].generators[j].next() &+ UInt64(rank) &* 0x9E37_79B9_7F4A_7C15)
            }
        }
        try model.restore(layerStates: states)
    }

    /// Checks that every rank was started alike, then gives every rank rank 0's training state.
    ///
    /// `fingerprint` carries what only the caller knows (data file, preprocessing); the trainer's settings
    /// and a digest of `data` are added here. Rank 0's state — parameters (as initialized, or restored
    /// from a checkpoint), optimizer buffers, shuffling generator, epochs completed and their reports —
    /// is then broadcast, so a run resumed from a checkpoint that only rank 0 read continues identically
    /// on every rank.
    /// - Throws: `DistributedError.configurationMismatch` on every rank, naming the first rank and field
    ///   that differ from rank 0's.
    public func start(fingerprint: ConfigurationFingerprint = ConfigurationFingerprint(), data: TrainingData<Scalar>) throws {
        var f = fingerprint
        f.add(trainer: trainer, data: data)
        f.add("ranks", "\(mpi.size)")
        try f.check(on: mpi)
        try broadcastState()
    }

    /// Broadcasts rank 0's `TrainingState` — in the checkpoint format, so there is one encoding of a
    /// training state — and restores it on the other ranks (keeping their own layer generators).
    public func broadcastState() throws {
        var bytes: [UInt8] = []
        if mpi.rank == 0 {
            let file = ModelFile(model: trainer.model, loss: trainer.loss, classNames: [])
            bytes = try Checkpoint(file: file, state: trainer.state, fingerprint: "").encode()
        }
        let received = try mpi.broadcast(bytes: bytes, what: "training state broadcast")
        guard mpi.rank != 0 else { return }
        var state = try Checkpoint<Scalar>.decode(received, fileName: "rank 0's training state").state
        let own = trainer.model.layerStates
        for i in state.layers.indices where i < own.count { state.layers[i].generators = own[i].generators }
        try trainer.restore(state)
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

/// The trainer's `GradientSynchronizer` over MPI: rank r trains on part r of every global batch; after
/// backward one fused `MPI_Allreduce` sums the share-scaled gradients; epoch metrics are summed too.
public final class MPIGradientSynchronizer<Scalar: BLASScalar>: GradientSynchronizer {
    public let mpi: MPIContext
    public let reducer: GradientAllReducer<Scalar>
    /// Called before every all-reduce (fault injection in the tests: a rank that dies or stalls here).
    public var beforeAllReduce: (() -> Void)? = nil

    public init(mpi: MPIContext, reducer: GradientAllReducer<Scalar>) {
        self.mpi = mpi
        self.reducer = reducer
    }

    public var part: (index: Int, count: Int) { (mpi.rank, mpi.size) }

    public func synchronize(_ parameters: [Parameter<Scalar>], share: Double) throws {
        beforeAllReduce?()
        try reducer.allReduceGradients(parameters, share: share)
    }

    public func combine(lossSum: Double, correct: Int, seen: Int) throws -> (lossSum: Double, correct: Int, seen: Int) {
        let total = try mpi.allReduceSum([lossSum, Double(correct), Double(seen)], what: "epoch metrics")
        return (total[0], Int(total[1]), Int(total[2]))
    }
}

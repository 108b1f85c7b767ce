import Foundation

/// Settings of a training run; stored with the model.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var epochs = 10
    public var batchSize = 128
    public var optimizer: OptimizerKind = .momentum
    public var learningRate = 0.05
    /// Momentum for `.momentum` and `.nesterov`.
    public var momentum = 0.9
    public var schedule: LearningRateSchedule = .constant
    public var regularization: Regularization = .none
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Double? = nil
    /// Seed of the shuffling generator (and of initialization when the trainer builds the model).
    public var seed: UInt64 = 42
    /// Stop when validation loss has not improved for this many epochs, restoring the best weights.
    public var earlyStoppingPatience: Int? = nil
    /// Per-class loss weights for unbalanced data (nil: all 1).
    public var classWeights: [Double]? = nil
    /// The iteration budget of `.lbfgs` (full batch; `epochs` is not used by it: the CLI passes
    /// `--max-iter`, or `--epochs` when only that is given).
    public var lbfgsIterations = 200
    /// Random shifts and flips of training images (nil: none). See `ImageAugmentation`.
    public var augmentation: ImageAugmentation? = nil

    public init() {}

    /// Checks every setting. - Throws: `TrainingError.invalidConfiguration` naming the bad one.
    public func validate() throws {
        guard epochs >= 0 else { throw TrainingError.invalidConfiguration("epochs \(epochs) must be ≥ 0") }
        guard batchSize > 0 else { throw TrainingError.invalidConfiguration("batch size \(batchSize) must be > 0") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidConfiguration("learning rate \(learningRate) must be > 0") }
        guard regularization.l1 >= 0, regularization.l2 >= 0 else { throw TrainingError.invalidConfiguration("regularization must be ≥ 0") }
        if let c = clipNorm, !(c > 0) { throw TrainingError.invalidConfiguration("clip norm \(c) must be > 0") }
        if let w = classWeights, w.contains(where: { !($0 >= 0) || !$0.isFinite }) { throw TrainingError.invalidConfiguration("class weights must be finite and ≥ 0") }
        if let a = augmentation, a.shift < 0 { throw TrainingError.invalidConfiguration("augmentation shift \(a.shift) must be ≥ 0") }
        guard lbfgsIterations > 0 else { throw TrainingError.invalidConfiguration("L-BFGS iterations \(lbfgsIterations) must be > 0") }
        try schedule.validate()
    }

    /// The learning rate of zero-based `epoch`: the base rate times the schedule's factor for this run's
    /// length.
    public func learningRate(epoch: Int) -> Double { schedule.rate(base: learningRate, epoch: epoch, totalEpochs: epochs) }
}

/// Loss and accuracy of one epoch.
public struct EpochReport: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    /// Accuracy over the epoch's batches as they were trained (nil for regression).
    public var trainAccuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var examplesPerSecond: Double
}

/// What the trainer reports while it runs.
public enum TrainingEvent {
    case batch(epoch: Int, batch: Int, batches: Int, loss: Double, examplesPerSecond: Double)
    case epoch(EpochReport)
}

/// The callback's answer: go on, or stop after the current batch.
public enum TrainingControl { case proceed, stop }

/// The record of a run.
public struct TrainingHistory: Codable, Sendable {
    public var epochs: [EpochReport] = []
    /// Epoch whose weights the model ends with (best validation loss when early stopping).
    public var bestEpoch: Int? = nil
    public var stoppedEarly = false
    /// True when the callback asked to stop.
    public var interrupted = false
    public var seconds = 0.0
    /// How an L-BFGS run ended (nil for the first-order optimizers).
    public var lbfgs: LBFGSOutcome? = nil
}


/// Trains a `Sequential` model: epochs of shuffled mini-batches, forward on a tape, loss, backward,
/// regularization, optional gradient synchronization (`GradientSynchronizer`), optional clipping,
/// optimizer step.
///
/// The step reuses its buffers: the batch is gathered into a preallocated tensor, the tape's arena
/// hands back last step's outputs, parameters' gradients and optimizer state are updated in place.
public final class Trainer<Scalar: BLASScalar> {
    public let model: Sequential<Scalar>
    public let loss: LossFunction
    public private(set) var configuration: TrainingConfiguration
    public private(set) var optimizer: (any Optimizer<Scalar>)?
    /// The shuffling generator; its state is part of `state`.
    public var rng: SeededRNG
    /// The generator of the augmentation's shifts and flips (a stream of its own, so turning
    /// augmentation on does not change the shuffling); part of `state`.
    public var augmentationRNG: SeededRNG
    /// Epochs completed (a resumed run continues from here).
    public var completedEpochs = 0
    /// The report of every epoch completed so far, including those before a resume.
    public var history: [EpochReport] = []
    /// Keeps this process's model identical to the other processes' of a data-parallel run (nil: one
    /// process trains alone). See `GradientSynchronizer`.
    public var synchronizer: (any GradientSynchronizer<Scalar>)? = nil
    /// Called between backward and the synchronization with the parameters: a place to inspect or time
    /// the gradients (the benchmark's phase split uses it).
    public var gradientHook: (([Parameter<Scalar>]) throws -> Void)? = nil

    let tape = Tape<Scalar>()
    var lastFiniteLoss: Double? = nil
    var batchBuffers: [Int: Tensor<Scalar>] = [:]
    var targetBuffers: [Int: Tensor<Scalar>] = [:]
    var labelBuffer: [Int] = []
    var weightBuffer: [Scalar] = []

    public init(model: Sequential<Scalar>, loss: LossFunction, configuration: TrainingConfiguration) throws {
        try configuration.validate()
        self.model = model
        self.loss = loss
        self.configuration = configuration
        self.rng = SeededRNG(seed: configuration.seed)
        self.augmentationRNG = SeededRNG(seed: configuration.seed ^ 0x6175_676D_656E_7421)   // "augment!"
        switch configuration.optimizer {
        case .sgd: optimizer = try SGD(learningRate: configuration.learningRate)
        case .momentum: optimizer = try SGD(learningRate: configuration.learningRate, momentum: configuration.momentum)
        case .nesterov: optimizer = try SGD(learningRate: configuration.learningRate, momentum: configuration.momentum, nesterov: true)
        case .adam: optimizer = try Adam(learningRate: configuration.learningRate)
        case .lbfgs: optimizer = nil
        }
    }

    /// Σ of the class weights over the examples `indices` of `data` (nil without class weights or labels):
    /// the normalization of a class-weighted loss on that batch.
    func classWeightTotal(_ data: TrainingData<Scalar>, _ indices: ArraySlice<Int>) -> Double? {
        guard let cw = configuration.classWeights, data.classes > 0 else { return nil }
        var total = 0.0
        for i in indices { let y = data.labels[i]; total += y < cw.count ? Double(Scalar(cw[y])) : 1 }
        return total
    }

    /// Per-example weights of a batch from the class weights (nil when none are set).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func exampleWeights(_ labels: [Int]) -> [Scalar]? {
        guard let cw = configuration.classWeights else { return nil }
        weightBuffer.removeAll(keepingCapacity: true)
        for y in labels { weightBuffer.append(y < cw.count ? Scalar(cw[y]) : 1) }
        return weightBuffer
    }

    /// One optimization step on a batch: returns the batch loss (with regularization) and fills
    /// `scores` with the tape's output. Throws `TrainingError.nonFinite` before updating anything if
    /// the loss or a gradient is NaN/∞.
    ///
    /// In a data-parallel run (see `synchronizer`), `x` is this process's part of a global batch of
    /// `globalCount` examples whose class weights sum to `globalWeight` (nil without class weights).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ x: Tensor<Scalar>, _ targets: Targets<Scalar>, epoch: Int = 0, step: Int = 0,
                     globalCount: Int? = nil, globalWeight: Double? = nil,
                     scores: ((Tensor<Scalar>) -> Void)? = nil) throws -> Double {
        guard model.splitsOwnWork else {
            return try plainStep(x, targets, epoch: epoch, step: step, globalCount: globalCount, globalWeight: globalWeight, scores: scores)
        }
        return try Parallel.withOwnThreads {
            try plainStep(x, targets, epoch: epoch, step: step, globalCount: globalCount, globalWeight: globalWeight, scores: scores)
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func plainStep(_ x: Tensor<Scalar>, _ targets: Targets<Scalar>, epoch: Int, step: Int, globalCount: Int?, globalWeight: Double?,
                   scores: ((Tensor<Scalar>) -> Void)?) throws -> Double {
        guard let optimizer else { throw TrainingError.invalidConfiguration("step needs a first-order optimizer, not L-BFGS") }
        let parameters = model.parameters
        tape.reset()
        for p in parameters { p.variable.zeroGrad() }
        // Gradients that go straight to the optimizer (nothing clips or exchanges them in between) may
        // land in its state directly: momentum's velocity is updated by the backward's own GEMMs.
        let fused = synchronizer == nil && configuration.clipNorm == nil && x.rows > 0 ? try optimizer.prepareGradients(parameters) : false
        if x.rows == 0, let synchronizer {
            return try emptyStep(parameters, optimizer, synchronizer, epoch: epoch, step: step)
        }
        let out = try model.forward(tape.constant(x))
        scores?(out.value)
        var weights: [Scalar]? = nil
        if case let .classes(y) = targets { weights = exampleWeights(y) }
        let l = try loss(out, targets, weights: weights)
        let value = Double(l.value[flat: 0]) + configuration.regularization.penalty(parameters)
        guard value.isFinite else {
            throw TrainingError.nonFinite(what: "loss", epoch: epoch, step: step, lastFiniteLoss: lastFiniteLoss)
        }
        try tape.backward(l)
        if fused { for p in parameters { p.variable.settlePrimedGradient() } }
        configuration.regularization.addGradients(parameters)
        try gradientHook?(parameters)
        if let synchronizer {
            // This part's share of the global batch: by weight when the loss is class-weighted (its
            // normalization is this part's weight total), else by count.
            let share: Double
            if let weights, let globalWeight {
                share = weights.reduce(0.0) { $0 + Double($1) } / globalWeight
            } else {
                share = Double(x.rows) / Double(globalCount ?? x.rows)
            }
            try synchronizer.synchronize(parameters, share: share)
        }
        for p in parameters where !(p.variable.grad?.isFinite ?? true) {
            throw TrainingError.nonFinite(what: "gradient of \(p.name)", epoch: epoch, step: step, lastFiniteLoss: lastFiniteLoss)
        }
        if let c = configuration.clipNorm { clipGradients(parameters, maxNorm: c) }
        try optimizer.step(parameters)
        lastFiniteLoss = value
        // Release the step's closures now, so the batch buffers and the arena are uniquely held again
        // and the next step writes into them without copy-on-write.
        tape.reset()
        return value
    }

    /// A data-parallel step of a process whose part of the global batch is empty (a last batch smaller
    /// than the number of parts): it contributes a zero gradient but still synchronizes and takes the same
    /// optimizer step, so its parameters stay equal to the other processes'.
    func emptyStep(_ parameters: [Parameter<Scalar>], _ optimizer: any Optimizer<Scalar>, _ synchronizer: any GradientSynchronizer<Scalar>,
                   epoch: Int, step: Int) throws -> Double {
        for p in parameters {
            let n = p.variable.value.count
            p.variable.accumulateGrad { g, _ in g.update(repeating: 0, count: n) }
        }
        try synchronizer.synchronize(parameters, share: 0)
        for p in parameters where !(p.variable.grad?.isFinite ?? true) {
            throw TrainingError.nonFinite(what: "gradient of \(p.name)", epoch: epoch, step: step, lastFiniteLoss: lastFiniteLoss)
        }
        if let c = configuration.clipNorm { clipGradients(parameters, maxNorm: c) }
        try optimizer.step(parameters)
        return configuration.regularization.penalty(parameters)
    }

    /// Part `rank` of `count` contiguous, near-equal parts of `batch` (the first `batch.count % count`
    /// parts take one extra example).
    static func part(of batch: ArraySlice<Int>, rank: Int, count: Int) -> ArraySlice<Int> {
        let base = batch.count / count, extra = batch.count % count
        let start = batch.startIndex + rank * base + min(rank, extra)
        return batch[start..<(start + base + (rank < extra ? 1 : 0))]
    }

    /// Gathers rows `indices` of `data` into reusable buffers and returns (features, targets).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func batch(_ data: TrainingData<Scalar>, _ indices: ArraySlice<Int>) throws -> (Tensor<Scalar>, Targets<Scalar>) {
        let n = indices.count, idx = Array(indices)
        var xb = batchBuffers[n] ?? Tensor.uninitialized([n, data.features.columns])
        batchBuffers[n] = nil   // keep one reference while writing, so no copy-on-write is triggered
        try data.features.gatherRows(idx, into: &xb)
        batchBuffers[n] = xb
        switch data.targets {
        case let .classes(y):
            labelBuffer.removeAll(keepingCapacity: true)
            for i in indices { labelBuffer.append(y[i]) }
            return (xb, .classes(labelBuffer))
        case let .values(v):
            var tb = targetBuffers[n] ?? Tensor.uninitialized([n, v.columns])
            targetBuffers[n] = nil
            try v.gatherRows(idx, into: &tb)
            targetBuffers[n] = tb
            return (xb, .values(tb))
        }
    }

    /// Trains for the configured epochs (from `completedEpochs` on), reporting to `callback`.
    /// - Throws: `TrainingError.nonFinite` naming the epoch and step, label errors naming the row.
    @discardableResult
    public func fit(_ train: TrainingData<Scalar>, validation: TrainingData<Scalar>? = nil,
                    callback: ((TrainingEvent) -> TrainingControl)? = nil) throws -> TrainingHistory {
        guard train.count > 0 else { throw TrainingError.invalidTargets("no training examples") }
        try model.checkInput(train.exampleShape)
        if let validation { try model.checkInput(validation.exampleShape) }
        let outputs = model.outputCount
        if case .classes = train.targets, outputs != loss.outputs(classes: train.classes) {
            throw TrainingError.invalidConfiguration("the model has \(outputs) outputs but \(loss) on \(train.classes) classes needs \(loss.outputs(classes: train.classes))")
        }
        if let weights = configuration.classWeights, case .classes = train.targets, weights.count != train.classes {
            throw TrainingError.invalidConfiguration("\(weights.count) class weights for \(train.classes) classes")
        }
        var history = TrainingHistory()
        let start = DispatchTime.now().uptimeNanoseconds
        if configuration.optimizer == .lbfgs {
            guard synchronizer == nil else {
                throw TrainingError.invalidConfiguration("L-BFGS trains on the full batch in one process; use sgd, momentum, nesterov or adam")
            }
            try fitLBFGS(train, validation: validation, history: &history, callback: callback)
            history.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return history
        }
        let parameters = model.parameters
        let augmenter = try configuration.augmentation.flatMap { $0.isActive ? try ImageAugmenter<Scalar>($0, exampleShape: train.exampleShape) : nil }
        var best: (loss: Double, epoch: Int, values: [Tensor<Scalar>], states: [LayerState<Scalar>])? = nil
        var sinceBest = 0
        let n = train.count, bs = configuration.batchSize
        // Batch norm cannot normalise a batch of one example (PyTorch raises the same error): a last
        // batch of one is left out of the epoch — the next shuffle puts that example in another batch.
        let batchNorm = model.layers.contains { $0.spec.kind == BatchNormConfiguration.kind }
        if batchNorm && synchronizer == nil && min(bs, n) < 2 {
            throw TrainingError.invalidConfiguration("batch norm needs at least two examples per batch, not \(min(bs, n)) (batch size \(bs), \(n) training examples)")
        }
        let batches = batchNorm && synchronizer == nil && n % bs == 1 ? n / bs : (n + bs - 1) / bs
        model.isTraining = true
        defer { model.isTraining = false }
        epochs: while completedEpochs < configuration.epochs {
            let epoch = completedEpochs
            let lr = configuration.learningRate(epoch: epoch)
            optimizer?.learningRate = lr
            let order = rng.permutation(n)
            let epochStart = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, correct = 0, seen = 0
            var stopRequested = false
            for b in 0..<batches {
                let global = order[(b * bs)..<min((b + 1) * bs, n)]
                let slice = synchronizer.map { Self.part(of: global, rank: $0.part.index, count: $0.part.count) } ?? global
                let (xb, tb) = try batch(train, slice)
                augmenter?.apply(xb.unsafeWritePointer, count: slice.count, globalCount: global.count,
                                 offset: slice.startIndex - global.startIndex, rng: &augmentationRNG)
                let batchLoss = try step(xb, tb, epoch: epoch, step: b, globalCount: global.count,
                                         globalWeight: synchronizer == nil ? nil : classWeightTotal(train, global)) { scores in
                    if case let .classes(y) = tb { correct += Self.countCorrect(scores, y) }
                }
                lossSum += batchLoss * Double(slice.count)
                seen += slice.count
                if let callback {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
                    if callback(.batch(epoch: epoch, batch: b + 1, batches: batches, loss: batchLoss,
                                       examplesPerSecond: Double(seen) / max(elapsed, 1e-9))) == .stop {
                        stopRequested = true
                        break
                    }
                }
            }
            if let synchronizer { (lossSum, correct, seen) = try synchronizer.combine(lossSum: lossSum, correct: correct, seen: seen) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            var report = EpochReport(epoch: epoch + 1, trainLoss: lossSum / Double(max(seen, 1)),
                                     trainAccuracy: train.classes > 0 ? Double(correct) / Double(max(seen, 1)) : nil,
                                     validationLoss: nil, validationAccuracy: nil, learningRate: lr,
                                     seconds: seconds, examplesPerSecond: Double(seen) / max(seconds, 1e-9))
            if let validation {
                let (vl, va) = try evaluate(validation)
                report.validationLoss = vl
                report.validationAccuracy = va
            }
            if stopRequested {
                history.interrupted = true
                history.epochs.append(report)
                break epochs
            }
            completedEpochs += 1
            history.epochs.append(report)
            self.history.append(report)
            if callback?(.epoch(report)) == .stop { history.interrupted = true; break }
            if let patience = configuration.earlyStoppingPatience, let vl = report.validationLoss {
                if best == nil || vl < best!.loss {
                    best = (vl, report.epoch, parameters.map { $0.variable.value }, model.layerStates)
                    sinceBest = 0
                } else {
                    sinceBest += 1
                    if sinceBest >= patience { history.stoppedEarly = true; break }
                }
            }
        }
        if let best, history.stoppedEarly || (best.epoch != history.epochs.last?.epoch) {
            for (p, v) in zip(parameters, best.values) { p.variable.value = v }
            try model.restore(layerStates: best.states)   // running statistics go with the weights
            history.bestEpoch = best.epoch
        } else {
            history.bestEpoch = history.epochs.last?.epoch
        }
        history.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return history
    }

    /// Full-batch training with L-BFGS.
    func fitLBFGS(_ train: TrainingData<Scalar>, validation: TrainingData<Scalar>?, history: inout TrainingHistory,
                  callback: ((TrainingEvent) -> TrainingControl)?) throws {
        let parameters = model.parameters
        let lbfgs = try LBFGS<Scalar>(maxIterations: configuration.lbfgsIterations)
        let start = DispatchTime.now().uptimeNanoseconds
        var evaluations = 0
        let final = try lbfgs.minimize(parameters) {
            evaluations += 1
            tape.reset()
            let out = try model.forward(tape.constant(train.features))
            var weights: [Scalar]? = nil
            if case let .classes(y) = train.targets { weights = exampleWeights(y) }
            let l = try loss(out, train.targets, weights: weights)
            try tape.backward(l)
            configuration.regularization.addGradients(parameters)
            try gradientHook?(parameters)
            return Double(l.value[flat: 0]) + configuration.regularization.penalty(parameters)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var report = EpochReport(epoch: 1, trainLoss: final, trainAccuracy: nil, validationLoss: nil, validationAccuracy: nil,
                                 learningRate: 0, seconds: seconds, examplesPerSecond: Double(train.count * evaluations) / max(seconds, 1e-9))
        if train.classes > 0 { report.trainAccuracy = try evaluate(train).accuracy }
        if let validation { (report.validationLoss, report.validationAccuracy) = try evaluate(validation) }
        history.epochs.append(report)
        self.history.append(report)
        history.bestEpoch = 1
        history.lbfgs = LBFGSOutcome(iterations: lbfgs.iterations, maxIterations: lbfgs.maxIterations, evaluations: lbfgs.evaluations,
                                     stopReason: lbfgs.stopReason)
        // One full-batch optimization, not `epochs` passes: the iterations are in `history.lbfgs`.
        completedEpochs = 1
        _ = callback?(.epoch(report))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func countCorrect(_ scores: Tensor<Scalar>, _ labels: [Int]) -> Int {
        let k = scores.columns, p = scores.unsafeReadPointer
        var correct = 0
        for r in 0..<labels.count {
            if k == 1 {
                if (p[r] > 0 ? 1 : 0) == labels[r] { correct += 1 }
                continue
            }
            var best = 0
            for c in 1..<k where p[r * k + c] > p[r * k + best] { best = c }
            if best == labels[r] { correct += 1 }
        }
        return correct
    }

    /// Mean loss (with regularization) and accuracy (nil for regression) of the model on `data`,
    /// in evaluation mode.
    public func evaluate(_ data: TrainingData<Scalar>) throws -> (loss: Double, accuracy: Double?) {
        let scores = try model.predict(data.features)
        let t = Tape<Scalar>()
        let l = try loss(t.constant(scores), data.targets)
        let value = Double(l.value[flat: 0]) + configuration.regularization.penalty(model.parameters)
        if case let .classes(y) = data.targets {
            return (value, Double(Self.countCorrect(scores, y)) / Double(max(y.count, 1)))
        }
        return (value, nil)
    }
}

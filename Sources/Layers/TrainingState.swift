/// Everything a training run has at the end of an epoch, so that it can continue later (a checkpoint) or
/// elsewhere (a data-parallel job's ranks start from rank 0's): the weights, each layer's state (running
/// statistics, generators), the optimizer's buffers and step count, the shuffling and augmentation generators, the epochs
/// completed with their reports. The learning-rate schedule's position is the epoch count: schedules are
/// functions of (epoch, total epochs).
///
/// `Checkpoint` writes it to a file; `Trainer.state` takes it and `Trainer.restore(_:)` puts it back, so
/// a restored trainer performs exactly the arithmetic the original would have.
public struct TrainingState<Scalar: BLASScalar> {
    /// Parameter values in `Sequential.parameters` order (in memory layout).
    public var parameters: [Tensor<Scalar>]
    /// Each layer's state, in layer order.
    public var layers: [LayerState<Scalar>]
    /// The optimizer's buffers and step count (nil for L-BFGS, which keeps none between runs).
    public var optimizer: OptimizerState<Scalar>?
    /// The generator that shuffles each epoch.
    public var shuffling: SeededRNG
    /// The generator of image augmentation's draws (nil in a snapshot written before it existed: the
    /// trainer keeps its own).
    public var augmentation: SeededRNG?
    public var completedEpochs: Int
    public var history: [EpochReport]

    public init(parameters: [Tensor<Scalar>], layers: [LayerState<Scalar>], optimizer: OptimizerState<Scalar>?,
                shuffling: SeededRNG, augmentation: SeededRNG? = nil, completedEpochs: Int, history: [EpochReport]) {
        self.parameters = parameters
        self.layers = layers
        self.optimizer = optimizer
        self.shuffling = shuffling
        self.augmentation = augmentation
        self.completedEpochs = completedEpochs
        self.history = history
    }
}

extension Trainer {
    /// A snapshot of the run (take it between epochs).
    public var state: TrainingState<Scalar> {
        TrainingState(parameters: model.parameters.map(\.variable.value), layers: model.layerStates, optimizer: optimizer?.state,
                      shuffling: rng, augmentation: augmentationRNG, completedEpochs: completedEpochs, history: history)
    }

    /// Puts a snapshot back into a trainer built with the same model architecture and settings.
    /// - Throws: `LayerError.invalidState` or `TensorError.shapeMismatch` when the snapshot does not fit.
    public func restore(_ state: TrainingState<Scalar>) throws {
        let parameters = model.parameters
        guard state.parameters.count == parameters.count else {
            throw LayerError.invalidState(layer: "model", reason: "\(state.parameters.count) parameters saved, the model has \(parameters.count)")
        }
        for (p, value) in zip(parameters, state.parameters) where p.variable.value.shape != value.shape {
            throw TensorError.shapeMismatch(op: "restore \(p.name)", lhs: p.variable.value.shape, rhs: value.shape)
        }
        // A snapshot read from a file is input: the optimizer's kernels write through its buffers unchecked,
        // so a buffer of another size would be written out of bounds, and counters must not overflow.
        if let saved = state.optimizer {
            guard saved.steps >= 0, saved.steps < Int(Int32.max) else {
                throw LayerError.invalidState(layer: "optimizer", reason: "step count \(saved.steps) is outside 0..<\(Int32.max)")
            }
            for (name, buffers) in saved.buffers where !buffers.isEmpty {
                guard buffers.count == parameters.count, zip(buffers, parameters).allSatisfy({ $0.shape == $1.variable.value.shape }) else {
                    throw LayerError.invalidState(layer: "optimizer", reason: "its \"\(name)\" buffers do not match the model's \(parameters.count) parameters")
                }
            }
            for (name, values) in saved.scalars where values.count != parameters.count || !values.allSatisfy({ $0.isFinite && $0 > 0 }) {
                throw LayerError.invalidState(layer: "optimizer", reason: "its \"\(name)\" holds \(values.count) numbers for \(parameters.count) parameters, or one not positive and finite")
            }
        }
        guard state.completedEpochs >= 0, state.completedEpochs < Int(Int32.max),
              state.history.allSatisfy({ $0.epoch >= 1 && $0.epoch <= max(state.completedEpochs + 1, 1) }) else {
            throw LayerError.invalidState(layer: "model", reason: "epoch count \(state.completedEpochs) and its history of \(state.history.count) epochs do not fit together")
        }
        try model.restore(layerStates: state.layers)
        for (p, value) in zip(parameters, state.parameters) { p.variable.value = value }
        if let saved = state.optimizer { try optimizer?.restore(saved) }
        rng = state.shuffling
        if let a = state.augmentation { augmentationRNG = a }
        completedEpochs = state.completedEpochs
        history = state.history
    }
}

/// Batch normalization (Ioffe & Szegedy 2015) per channel of conv maps `[C, H, W]` (PyTorch's
/// `nn.BatchNorm2d`) or per feature of vectors `[F]` (`nn.BatchNorm1d`; `[C, L]` too): in training the
/// batch's mean and variance normalize and the running statistics follow them with `momentum`; in
/// evaluation the running statistics normalize. Learnable scale γ and shift β per channel.
public struct BatchNormConfiguration: LayerConfiguration, Equatable {
    public static let kind = "batchnorm"
    /// Weight of the current batch in the running statistics (PyTorch's default 0.1).
    public var momentum: Double
    /// Added to the variance before the square root (PyTorch's default 1e-5).
    public var epsilon: Double

    public init(momentum: Double = 0.1, epsilon: Double = 1e-5) {
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var description: String { "BatchNorm" }

    public func summary(input: [Int]) -> String {
        guard let c = input.first else { return description }
        return input.count == 3 ? "BatchNorm2d(\(c))" : "BatchNorm1d(\(c))"
    }

    /// γ and β per channel (the running statistics are state, not parameters).
    public func parameterCount(for input: [Int]) -> Int? { checkedCount([2, input.first ?? 0]) }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard momentum >= 0, momentum <= 1, epsilon > 0, epsilon.isFinite else {
            throw LayerError.invalidConfiguration(layer: description, reason: "momentum \(momentum) must be in [0, 1] and ε \(epsilon) > 0")
        }
        guard (1...3).contains(input.count), input.allSatisfy({ $0 > 0 }) else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input,
                                               expected: "conv maps [C, H, W] (per channel) or features [F] (per feature)")
        }
        return input
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return try BatchNorm<Scalar>(configuration: self, channels: inputShape[0])
    }

    public static var gradientChecks: [GradientCheckCase] {
        @Sendable func layer(_ channels: Int) throws -> BatchNorm<Double> {
            let l = try BatchNorm<Double>(configuration: BatchNormConfiguration(), channels: channels)
            l.scale.value = GradientCatalogue.fixedWeights([channels], seed: 71)
            l.shift.value = GradientCatalogue.fixedWeights([channels], seed: 72)
            return l
        }
        return [
            GradientCheckCase("layer BatchNorm training, conv maps", inputs: [[3, 2, 3, 4]]) { _, v in try layer(2).forward(v[0]) },
            GradientCheckCase("layer BatchNorm training, features", inputs: [[5, 3]]) { _, v in try layer(3).forward(v[0]) },
            GradientCheckCase("layer BatchNorm evaluation, conv maps", inputs: [[2, 3, 2, 3]]) { _, v in
                let l = try layer(3)
                try l.restore(LayerState(tensors: [("running_mean", Tensor([0.3, -0.2, 0.5])), ("running_var", Tensor([0.8, 1.7, 0.4]))],
                                         counters: [("num_batches_tracked", 3)]))
                l.isTraining = false
                return try l.forward(v[0])
            },
        ]
    }
}

extension LayerSpec {
    /// Batch normalization per channel (conv maps) or per feature (vectors).
    public static func batchNorm(momentum: Double = 0.1, epsilon: Double = 1e-5) -> LayerSpec {
        LayerSpec(BatchNormConfiguration(momentum: momentum, epsilon: epsilon))
    }
}

/// The batch-normalization layer. Parameters and state carry PyTorch's names — `weight` (γ), `bias`
/// (β), `running_mean`, `running_var`, `num_batches_tracked` — so model files load into
/// `nn.BatchNorm2d`/`nn.BatchNorm1d` with `strict=True`. γ and β are not regularized (L2 would pull the
/// scale of a normalized channel towards zero, which only changes the next layer's scale).
public final class BatchNorm<Scalar: BLASScalar>: Layer {
    public let configuration: BatchNormConfiguration
    /// γ [C], initially 1.
    public let scale: Variable<Scalar>
    /// β [C], initially 0.
    public let shift: Variable<Scalar>
    /// The running mean and variance [C].
    public var statistics: BatchNormStatistics<Scalar>
    /// Training batches seen (PyTorch's `num_batches_tracked`).
    public var batchesTracked = 0
    public var isTraining = true

    /// A layer for `channels` channels: γ = 1, β = 0, running mean 0, running variance 1.
    /// - Throws: `LayerError.invalidConfiguration` for channels below 1.
    public init(configuration: BatchNormConfiguration, channels: Int) throws {
        guard channels >= 1 else { throw LayerError.invalidConfiguration(layer: configuration.description, reason: "channels must be ≥ 1") }
        self.configuration = configuration
        scale = Variable(Tensor(repeating: 1, shape: [channels]))
        shift = Variable(Tensor(zeros: [channels]))
        statistics = BatchNormStatistics(channels: channels, momentum: Scalar(configuration.momentum), epsilon: Scalar(configuration.epsilon))
    }

    public var channels: Int { scale.value.count }

    public var parameters: [Parameter<Scalar>] {
        [Parameter(name: "weight", variable: scale, isRegularized: false), Parameter(name: "bias", variable: shift, isRegularized: false)]
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        let out = try configuration.outputShape(for: input)
        guard input[0] == channels else {
            throw LayerError.incompatibleInput(layer: configuration.summary(input: [channels]), position: nil, input: input,
                                               expected: "\(channels) channels")
        }
        return out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let y = try x.batchNorm(scale: scale, shift: shift, statistics: &statistics, training: isTraining)
        if isTraining { batchesTracked += 1 }
        return y
    }

    public var spec: LayerSpec { LayerSpec(configuration) }

    public var dependsOnBatch: Bool { true }

    public var state: LayerState<Scalar> {
        LayerState(tensors: [("running_mean", statistics.runningMean), ("running_var", statistics.runningVariance)],
                   counters: [("num_batches_tracked", batchesTracked)])
    }

    public func restore(_ state: LayerState<Scalar>) throws {
        let names = state.tensors.map(\.name), counters = state.counters.map(\.name)
        guard names == ["running_mean", "running_var"], counters == ["num_batches_tracked"], state.generators.isEmpty else {
            throw LayerError.invalidState(layer: configuration.summary(input: [channels]),
                                          reason: "expected running_mean, running_var and num_batches_tracked, got \(names + counters)")
        }
        let (mean, variance) = (state.tensors[0].tensor, state.tensors[1].tensor)
        guard mean.shape == [channels], variance.shape == [channels] else {
            throw LayerError.invalidState(layer: configuration.summary(input: [channels]),
                                          reason: "running statistics of shapes \(mean.shape) and \(variance.shape), expected [\(channels)]")
        }
        do {
            statistics = try BatchNormStatistics(runningMean: mean, runningVariance: variance,
                                                 momentum: statistics.momentum, epsilon: statistics.epsilon)
        } catch {
            throw LayerError.invalidState(layer: configuration.summary(input: [channels]), reason: "\(error)")
        }
        batchesTracked = state.counters[0].value
    }
}

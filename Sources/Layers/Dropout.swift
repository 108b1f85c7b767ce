/// Inverted dropout with probability `probability` (PyTorch's `nn.Dropout`); the output has the input's
/// shape, whatever it is (vectors or feature maps).
public struct DropoutConfiguration: LayerConfiguration, Equatable {
    public static let kind = "dropout"
    public var probability: Double

    public init(probability: Double) { self.probability = probability }

    public var description: String { "Dropout(\(probability))" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard probability >= 0, probability < 1 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "probability \(probability) is not in [0, 1)")
        }
        return input
    }

    // A fresh layer with a fixed seed per evaluation: every evaluation draws the same mask.
    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer Dropout", inputs: [[3, 4]]) { _, v in try Dropout<Double>(probability: 0.3, seed: 11).forward(v[0]) },
         GradientCheckCase("layer Dropout (feature maps)", inputs: [[2, 3, 2, 2]]) { _, v in
             try Dropout<Double>(probability: 0.3, seed: 12).forward(v[0])
         }]
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        try Dropout<Scalar>(probability: probability, seed: context.rng.next())
    }
}

extension LayerSpec {
    /// Dropout with probability `p`.
    public static func dropout(_ p: Double) -> LayerSpec { LayerSpec(DropoutConfiguration(probability: p)) }
}

/// Inverted dropout: in training each activation is zeroed with probability p and the survivors are
/// scaled by 1/(1−p), so evaluation needs no rescaling; in evaluation mode it is the identity.
/// The mask comes from the layer's own seeded generator, so runs are reproducible; the generator is the
/// layer's state, saved in checkpoints.
public final class Dropout<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public let probability: Scalar
    /// The generator drawing masks.
    public var rng: SeededRNG
    /// The probability as configured (in Double, so the spec a model file stores is the one given).
    let configuredProbability: Double

    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ p < 1.
    public init(probability: Double, seed: UInt64) throws {
        guard probability >= 0, probability < 1 else {
            throw TensorError.invalidArgument(op: "Dropout", reason: "probability \(probability) is not in [0, 1)")
        }
        self.probability = Scalar(probability)
        self.configuredProbability = probability
        self.rng = SeededRNG(seed: seed)
    }

    public var parameters: [Parameter<Scalar>] { [] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        guard isTraining, probability > 0 else { return x }
        let keep = 1 - probability
        let scale = 1 / keep
        // On a tape the mask is an arena buffer too, so a warm training step allocates nothing for it.
        let mask = x.tape?.allocate(x.value.shape) ?? Tensor<Scalar>(zeros: x.value.shape)
        let p = mask.unsafeWritePointer, n = mask.count   // fresh: no copy-on-write needed
        for i in 0..<n { p[i] = rng.nextDouble() < Double(keep) ? scale : 0 }
        let m = x.tape?.constant(mask) ?? Variable(mask, requiresGrad: false)
        return try x * m
    }

    public var spec: LayerSpec { .dropout(configuredProbability) }

    public var state: LayerState<Scalar> { LayerState(generators: [rng]) }

    public func restore(_ state: LayerState<Scalar>) throws {
        guard state.tensors.isEmpty, state.generators.count == 1 else {
            throw LayerError.invalidState(layer: spec.description, reason: "expected one generator, got \(state.generators.count) and \(state.tensors.count) tensors")
        }
        rng = state.generators[0]
    }
}

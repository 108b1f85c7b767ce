/// Inverted dropout: in training each activation is zeroed with probability p and the survivors are
/// scaled by 1/(1−p), so evaluation needs no rescaling; in evaluation mode it is the identity.
/// The mask comes from the layer's own seeded generator, so runs are reproducible.
public final class Dropout<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public let probability: Scalar
    /// The generator drawing masks; saved in checkpoints to resume exactly.
    public var rng: SeededRNG

    /// - Throws: `TensorError.invalidArgument` unless 0 ≤ p < 1.
    public init(probability: Scalar, seed: UInt64) throws {
        guard probability >= 0, probability < 1 else {
            throw TensorError.invalidArgument(op: "Dropout", reason: "probability \(probability) is not in [0, 1)")
        }
        self.probability = probability
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

    public var spec: LayerSpec { .dropout(probability: Double(probability)) }
}

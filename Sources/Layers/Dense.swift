/// A fully connected layer y = x·W + b on inputs `[in]`, giving `[outputs]` (PyTorch's `nn.Linear`).
public struct DenseConfiguration: LayerConfiguration, Equatable {
    public static let kind = "dense"
    /// Output features.
    public var outputs: Int
    /// Whether the layer adds a bias vector.
    public var bias: Bool

    public init(outputs: Int, bias: Bool = true) {
        self.outputs = outputs
        self.bias = bias
    }

    public var description: String { "Dense(\(outputs))" }
    public func summary(input: [Int]) -> String { "Dense(\(input.reduce(1, *))→\(outputs))" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard outputs > 0 else { throw LayerError.invalidConfiguration(layer: description, reason: "outputs must be > 0") }
        guard input.count == 1, input[0] > 0 else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input,
                                               expected: "a vector of features [in] (put a flatten layer before it)")
        }
        return [outputs]
    }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer Dense", inputs: [[3, 4]]) { _, v in
            try Dense<Double>(weight: GradientCatalogue.fixedWeights([4, 5], seed: 99), bias: GradientCatalogue.fixedWeights([5], seed: 98)).forward(v[0])
        }]
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return try Dense<Scalar>(inputs: inputShape[0], outputs: outputs, bias: bias, initializer: context.initializer, rng: &context.rng)
    }
}

extension LayerSpec {
    /// A dense layer with `outputs` features.
    public static func dense(_ outputs: Int, bias: Bool = true) -> LayerSpec { LayerSpec(DenseConfiguration(outputs: outputs, bias: bias)) }
}

/// A fully connected layer y = x·W + b, with W stored in×out in memory and b of length out.
///
/// Forward and backward are the fused affine kernel: one GEMM each way with transpose flags, the bias
/// broadcast folded into the GEMM's beta. Model files hold W as out×in (`weight`), as `torch.nn.Linear`
/// does, so a saved model loads into PyTorch unchanged.
public final class Dense<Scalar: BLASScalar>: Layer {
    public let weight: Variable<Scalar>
    /// The bias, or nil for a layer without one.
    public let bias: Variable<Scalar>?
    public var isTraining = true
    public var inputs: Int { weight.value.shape[0] }
    public var outputs: Int { weight.value.shape[1] }
    /// The bias the affine kernel adds: `bias`, or a zero constant for a layer without one.
    let affineBias: Variable<Scalar>

    /// A layer with weights drawn by `initializer` and zero biases.
    public init(inputs: Int, outputs: Int, bias: Bool = true, initializer: Initializer = .he, rng: inout SeededRNG) throws {
        weight = Variable(try initializer.weights(inputs: inputs, outputs: outputs, as: Scalar.self, using: &rng))
        self.bias = bias ? Variable(Tensor(zeros: [outputs])) : nil
        affineBias = self.bias ?? Variable(Tensor(zeros: [outputs]), requiresGrad: false)
    }

    /// A layer with the given weights [in, out] and bias [out].
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>) throws {
        let (_, out) = try weight.matrixShape("Dense")
        guard bias.count == out else { throw TensorError.shapeMismatch(op: "Dense bias", lhs: weight.shape, rhs: bias.shape) }
        self.weight = Variable(weight)
        let b = Variable(try bias.reshaped([out]))
        self.bias = b
        affineBias = b
    }

    public var parameters: [Parameter<Scalar>] {
        var p = [Parameter(name: "weight", variable: weight, isRegularized: true, isTransposedInFiles: true)]
        if let bias { p.append(Parameter(name: "bias", variable: bias, isRegularized: false)) }
        return p
    }

    public var fixedInputShape: [Int]? { [inputs] }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input == [inputs] else {
            throw LayerError.incompatibleInput(layer: spec.configuration.summary(input: [inputs]), position: nil, input: input,
                                               expected: "[\(inputs)]")
        }
        return [outputs]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { try x.affine(weight, affineBias) }

    public var spec: LayerSpec { .dense(outputs, bias: bias != nil) }
}

/// A fully connected layer y = x·W + b, with W stored in×out and b of length out.
///
/// Forward and backward are the fused affine kernel: one gemm each way with transpose flags, the bias
/// broadcast folded into the gemm's beta.
public final class Dense<Scalar: BLASScalar>: Layer {
    public let weight: Variable<Scalar>
    public let bias: Variable<Scalar>
    public var isTraining = true
    public var inputs: Int { weight.value.shape[0] }
    public var outputs: Int { weight.value.shape[1] }

    /// A layer with weights drawn by `initializer` and zero biases.
    public init(inputs: Int, outputs: Int, initializer: Initializer = .he, rng: inout SeededRNG) throws {
        weight = Variable(try initializer.weights(inputs: inputs, outputs: outputs, as: Scalar.self, using: &rng))
        bias = Variable(Tensor(zeros: [outputs]))
    }

    /// A layer with the given weights [in, out] and bias [out].
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>) throws {
        let (_, out) = try weight.matrixShape("Dense")
        guard bias.count == out else { throw TensorError.shapeMismatch(op: "Dense bias", lhs: weight.shape, rhs: bias.shape) }
        self.weight = Variable(weight)
        self.bias = Variable(try bias.reshaped([out]))
    }

    public var parameters: [Parameter<Scalar>] {
        [Parameter(name: "weight", variable: weight, isRegularized: true),
         Parameter(name: "bias", variable: bias, isRegularized: false)]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { try x.affine(weight, bias) }

    public var spec: LayerSpec { .dense(inputs: inputs, outputs: outputs) }
}

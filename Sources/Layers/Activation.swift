/// An elementwise nonlinearity from the table of `UnaryFunction`s: ReLU, leaky ReLU, sigmoid, tanh,
/// softplus, ELU, GELU (tanh form), SiLU. The output has the input's shape.
public struct ActivationConfiguration: LayerConfiguration, Equatable {
    public static let kind = "activation"
    public var function: UnaryFunction

    public init(_ function: UnaryFunction) { self.function = function }

    public var description: String { function.moduleName }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

    /// One check per activation of the table, through the layer.
    public static var gradientChecks: [GradientCheckCase] {
        UnaryFunction.activations.map { name, f in
            GradientCheckCase("layer Activation \(name)", inputs: [[3, 4]]) { _, v in try Activation<Double>(f).forward(v[0]) }
        }
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        Activation<Scalar>(function)
    }
}

extension LayerSpec {
    /// An activation layer applying `function`.
    public static func activation(_ function: UnaryFunction) -> LayerSpec { LayerSpec(ActivationConfiguration(function)) }
    /// max(0, x).
    public static var relu: LayerSpec { .activation(.relu) }
}

/// The activation layer: y = f(x) elementwise, recorded as one node (forward into the tape's arena,
/// backward dy ⊙ f′ into the input's gradient buffer).
public final class Activation<Scalar: BLASScalar>: Layer {
    public let function: UnaryFunction
    public var isTraining = true

    public init(_ function: UnaryFunction) { self.function = function }

    public var parameters: [Parameter<Scalar>] { [] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x.apply(function) }

    public var spec: LayerSpec { .activation(function) }
}

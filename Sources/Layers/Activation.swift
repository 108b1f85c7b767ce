/// An elementwise nonlinearity from the table of `UnaryFunction`s: ReLU, leaky ReLU, sigmoid, tanh,
/// softplus, ELU, GELU (tanh form), SiLU. The output has the input's shape.
public struct ActivationConfiguration: LayerConfiguration, Equatable {
    public static let kind = "activation"
    public var function: UnaryFunction

    public init(_ function: UnaryFunction) { self.function = function }

    /// PyTorch's module name for the function ("ReLU", "GELU(tanh)"), as model descriptions show it.
    public var description: String {
        switch function {
        case .relu: return "ReLU"
        case let .leakyRelu(slope): return "LeakyReLU(\(slope))"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .softplus: return "Softplus"
        case let .elu(alpha): return "ELU(\(alpha))"
        case .gelu: return "GELU(tanh)"
        case .silu: return "SiLU"
        default: return "Activation(\(function))"
        }
    }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

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

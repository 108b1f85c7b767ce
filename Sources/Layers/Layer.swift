/// A learnable tensor of a layer, with the name it is saved under and whether regularization applies.
///
/// Following the guide's springs, regularization pulls on weights only: biases are never regularized.
public struct Parameter<Scalar: BLASScalar> {
    /// Name within the layer ("weight", "bias"); `Sequential` prefixes the layer index ("0.weight").
    public var name: String
    /// The value and its gradient.
    public let variable: Variable<Scalar>
    /// True for weights (L1/L2 apply), false for biases.
    public var isRegularized: Bool

    public init(name: String, variable: Variable<Scalar>, isRegularized: Bool) {
        self.name = name
        self.variable = variable
        self.isRegularized = isRegularized
    }
}

/// A stage of a model: maps a variable to a variable on a tape and owns its parameters.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: BLASScalar
    /// The learnable tensors (empty for activations).
    var parameters: [Parameter<Scalar>] { get }
    /// Training mode (dropout active) or evaluation mode.
    var isTraining: Bool { get set }
    /// Runs the layer, recording its backward kernels on the input's tape.
    func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar>
    /// A description that rebuilds the layer (saved in model files).
    var spec: LayerSpec { get }
}

/// The architecture of one layer, as stored in a model file's metadata.
public enum LayerSpec: Codable, Equatable, Sendable, CustomStringConvertible {
    case dense(inputs: Int, outputs: Int)
    case relu
    case leakyRelu(slope: Double)
    case sigmoid
    case tanh
    case dropout(probability: Double)

    public var description: String {
        switch self {
        case let .dense(i, o): return "Dense(\(i)→\(o))"
        case .relu: return "ReLU"
        case let .leakyRelu(s): return "LeakyReLU(\(s))"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case let .dropout(p): return "Dropout(\(p))"
        }
    }
}

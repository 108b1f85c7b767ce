/// A learnable tensor of a layer, with the name it is saved under and whether regularization applies.
///
/// Following the guide's springs, regularization pulls on weights only: biases are never regularized.
public struct Parameter<Scalar: BLASScalar> {
    /// Name within the layer, PyTorch's ("weight", "bias"); `Sequential` prefixes the layer index
    /// ("0.weight").
    public var name: String
    /// The value and its gradient.
    public let variable: Variable<Scalar>
    /// True for weights (L1/L2 apply), false for biases.
    public var isRegularized: Bool
    /// Whether model files hold the transpose of the value. A dense layer keeps W as in×out in memory
    /// (the forward is then a plain GEMM) and files hold out×in, as `torch.nn.Linear` does.
    public var isTransposedInFiles: Bool

    public init(name: String, variable: Variable<Scalar>, isRegularized: Bool, isTransposedInFiles: Bool = false) {
        self.name = name
        self.variable = variable
        self.isRegularized = isRegularized
        self.isTransposedInFiles = isTransposedInFiles
    }
}

/// What a layer holds besides its parameters: tensors that are not trained but belong to the model
/// (running statistics, saved in model files under their names, as PyTorch's buffers) and random
/// streams (saved in checkpoints only, so a resumed run draws what the uninterrupted run would).
public struct LayerState<Scalar: BLASScalar> {
    /// Named tensors ("running_mean"); model files store them as "<layer index>.<name>".
    public var tensors: [(name: String, tensor: Tensor<Scalar>)]
    /// The layer's generators, in a fixed order.
    public var generators: [SeededRNG]

    public init(tensors: [(name: String, tensor: Tensor<Scalar>)] = [], generators: [SeededRNG] = []) {
        self.tensors = tensors
        self.generators = generators
    }

    public var isEmpty: Bool { tensors.isEmpty && generators.isEmpty }
}

/// A stage of a model: maps a batch to a batch on a tape, owns its parameters and state, and knows the
/// shapes it accepts.
///
/// Shapes are per example (no batch dimension): a dense layer maps `[in]` to `[out]`, a convolution
/// `[C, H, W]` to `[C′, H′, W′]`. Every layer is described by a `LayerSpec` — a registered kind and a
/// `Codable` configuration — which is what model files store; `LayerRegistry` maps the kind back to a
/// builder. To add a layer, write one file with the layer class and its configuration type, and add the
/// configuration type to `LayerRegistry.builtIn` (see CONTRIBUTING.md).
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: BLASScalar
    /// The kind and configuration that rebuild this layer (saved in model files).
    var spec: LayerSpec { get }
    /// The learnable tensors (empty for activations).
    var parameters: [Parameter<Scalar>] { get }
    /// Training mode (dropout active, batch statistics) or evaluation mode.
    var isTraining: Bool { get set }
    /// The input shape the layer's weights fix (a dense layer's `[in]`), or nil when it takes any.
    var fixedInputShape: [Int]? { get }
    /// The layer's output shape for a per-example input shape.
    /// - Throws: `LayerError.incompatibleInput` when the layer cannot take that shape.
    func outputShape(for input: [Int]) throws -> [Int]
    /// Runs the layer on a batch `[n] + inputShape`, recording its backward kernels on the input's tape.
    func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar>
    /// Running statistics and generators (empty for most layers).
    var state: LayerState<Scalar> { get }
    /// Puts saved state back.
    /// - Throws: `LayerError.invalidState` when the state does not fit the layer.
    func restore(_ state: LayerState<Scalar>) throws
}

extension Layer {
    public var fixedInputShape: [Int]? { nil }
    public func outputShape(for input: [Int]) throws -> [Int] { try spec.configuration.outputShape(for: input) }
    public var state: LayerState<Scalar> { LayerState() }
    public func restore(_ state: LayerState<Scalar>) throws {
        guard state.isEmpty else {
            throw LayerError.invalidState(layer: spec.description, reason: "this layer keeps no state, but \(state.tensors.count) tensors and \(state.generators.count) generators were given")
        }
    }
}

/// Why a model could not be built or a layer could not take its input.
public enum LayerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Layer `position` (0-based; nil when the layer stands alone) cannot take `input`.
    case incompatibleInput(layer: String, position: Int?, input: [Int], expected: String)
    /// A configuration value outside its domain.
    case invalidConfiguration(layer: String, reason: String)
    /// A model file or specification names a kind no layer is registered under.
    case unknownKind(String, known: [String])
    /// Saved state that does not fit the layer.
    case invalidState(layer: String, reason: String)

    public var description: String {
        switch self {
        case let .incompatibleInput(layer, position, input, expected):
            let place = position.map { "layer \($0) (\(layer))" } ?? layer
            return "\(place) cannot take input of shape \(input): expected \(expected)"
        case let .invalidConfiguration(layer, reason):
            return "\(layer): \(reason)"
        case let .unknownKind(kind, known):
            return "unknown layer kind \"\(kind)\" (known: \(known.joined(separator: ", ")))"
        case let .invalidState(layer, reason):
            return "\(layer): invalid state: \(reason)"
        }
    }

    /// The same error placed at `position` in a model.
    func at(_ position: Int) -> LayerError {
        if case let .incompatibleInput(layer, nil, input, expected) = self {
            return .incompatibleInput(layer: layer, position: position, input: input, expected: expected)
        }
        return self
    }
}

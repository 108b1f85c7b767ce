/// Layers applied one after another: the model.
///
/// ```swift
/// var rng = SeededRNG(seed: 1)
/// let model = try Sequential<Float>.mlp(inputs: 784, hidden: [256], outputs: 10, rng: &rng)
/// let scores = try model.predict(images)          // [n, 10], no tape
/// ```
public final class Sequential<Scalar: BLASScalar> {
    public let layers: [any Layer<Scalar>]

    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

    /// A multilayer perceptron: Dense → activation (→ Dropout) for each hidden width, then a Dense
    /// output layer. With no hidden widths it is a linear model.
    /// - Parameters:
    ///   - inputs: number of input features.
    ///   - hidden: widths of the hidden layers, in order (empty: a linear model).
    ///   - outputs: number of output scores.
    ///   - activation: the layer after each hidden dense layer.
    ///   - dropout: dropout probability after each hidden activation (0: no dropout layers).
    ///   - initializer: how every dense layer's weights start; `nil` picks He for a net with hidden
    ///     layers (ReLU) and Xavier for a linear model.
    ///   - rng: draws the initial weights (and seeds the dropout layers).
    public static func mlp(inputs: Int, hidden: [Int], outputs: Int, activation: LayerSpec = .relu,
                           dropout: Double = 0, initializer: Initializer? = nil, rng: inout SeededRNG) throws -> Sequential {
        var specs: [LayerSpec] = []
        var width = inputs
        for h in hidden {
            specs.append(.dense(inputs: width, outputs: h))
            specs.append(activation)
            if dropout > 0 { specs.append(.dropout(probability: dropout)) }
            width = h
        }
        specs.append(.dense(inputs: width, outputs: outputs))
        return try Sequential(specs: specs, initializer: initializer ?? defaultInitializer(hidden: hidden), rng: &rng)
    }

    /// The initializer `mlp` uses unless told otherwise: He for ReLU hidden layers, Xavier for a linear model.
    public static func defaultInitializer(hidden: [Int]) -> Initializer { hidden.isEmpty ? .xavier : .he }

    /// Rebuilds a model from its architecture (weights freshly initialized; load them afterwards).
    public convenience init(specs: [LayerSpec], initializer: Initializer = .he, rng: inout SeededRNG) throws {
        var layers: [any Layer<Scalar>] = []
        for spec in specs {
            switch spec {
            case let .dense(i, o): layers.append(try Dense<Scalar>(inputs: i, outputs: o, initializer: initializer, rng: &rng))
            case .relu: layers.append(ReLU<Scalar>())
            case let .leakyRelu(s): layers.append(LeakyReLU<Scalar>(slope: Scalar(s)))
            case .sigmoid: layers.append(Sigmoid<Scalar>())
            case .tanh: layers.append(Tanh<Scalar>())
            case let .dropout(p): layers.append(try Dropout<Scalar>(probability: Scalar(p), seed: rng.next()))
            }
        }
        self.init(layers)
    }

    /// The architecture, as saved in model files.
    public var specs: [LayerSpec] { layers.map(\.spec) }

    /// Every parameter, named "<layer index>.<name>" ("0.weight", "0.bias", "2.weight", …).
    public var parameters: [Parameter<Scalar>] {
        layers.enumerated().flatMap { i, layer in
            layer.parameters.map { p in var q = p; q.name = "\(i).\(p.name)"; return q }
        }
    }

    /// Number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.variable.value.count } }

    /// Input width (of the first dense layer).
    public var inputs: Int? { layers.lazy.compactMap { ($0 as? Dense<Scalar>)?.inputs }.first }
    /// Output width (of the last dense layer).
    public var outputs: Int? { layers.compactMap { ($0 as? Dense<Scalar>)?.outputs }.last }

    /// Switches dropout on (training) or off (evaluation).
    public var isTraining: Bool {
        get { layers.first?.isTraining ?? false }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    /// Runs every layer, recording on the input's tape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        var h = x
        for layer in layers { h = try layer.forward(h) }
        return h
    }

    /// Scores for `x` [n, inputs] in evaluation mode, without a tape, in chunks of `batchSize` rows.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Tensor<Scalar>, batchSize: Int = 2048) throws -> Tensor<Scalar> {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        if let inputs, x.columns != inputs || x.rank != 2 {
            throw TensorError.shapeMismatch(op: "predict (model expects \(inputs) features)", lhs: x.shape, rhs: [x.rows, inputs])
        }
        let n = x.rows
        guard n > batchSize else { return try forward(Variable(x, requiresGrad: false)).value }
        var pieces: [Tensor<Scalar>] = []
        for start in stride(from: 0, to: n, by: batchSize) {
            let chunk = try x.rows(start..<min(start + batchSize, n))
            pieces.append(try forward(Variable(chunk, requiresGrad: false)).value)
        }
        return try Tensor.concatenate(pieces, axis: 0)
    }

    /// Predicted classes: argmax of the scores, or score > 0 for a one-output (binary) model.
    public func predictClasses(_ x: Tensor<Scalar>) throws -> [Int] {
        let s = try predict(x)
        if s.columns == 1 { return s.scalars.map { $0 > 0 ? 1 : 0 } }
        return try s.argmax(axis: 1)
    }

    /// Copies parameter values from `other` (same architecture).
    public func copyParameters(from other: Sequential) throws {
        for (a, b) in zip(parameters, other.parameters) {
            guard a.variable.value.shape == b.variable.value.shape else {
                throw TensorError.shapeMismatch(op: "copyParameters \(a.name)", lhs: a.variable.value.shape, rhs: b.variable.value.shape)
            }
            a.variable.value = b.variable.value
        }
    }
}

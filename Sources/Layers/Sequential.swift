/// Layers applied one after another: the model, with every layer's input and output shape checked when
/// it is built.
///
/// ```swift
/// var rng = SeededRNG(seed: 1)
/// let model = try Sequential<Float>(inputShape: [784], specs: [.dense(256), .relu, .dense(10)], rng: &rng)
/// let scores = try model.predict(images)          // [n, 10], evaluation mode
/// ```
public final class Sequential<Scalar: BLASScalar> {
    public let layers: [any Layer<Scalar>]
    /// The per-example input shape (`[784]`, `[1, 28, 28]`).
    public let inputShape: [Int]
    /// The per-example output shape of each layer, in order.
    public let shapes: [[Int]]

    /// Composes built layers, checking that each takes the previous one's output.
    /// - Throws: `LayerError.incompatibleInput` naming the layer, its position and both shapes.
    public init(_ layers: [any Layer<Scalar>], inputShape: [Int]) throws {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.incompatibleInput(layer: "model input", position: nil, input: inputShape, expected: "positive dimensions")
        }
        var shape = inputShape
        var shapes: [[Int]] = []
        for (i, layer) in layers.enumerated() {
            do { shape = try layer.outputShape(for: shape) } catch let error as LayerError { throw error.at(i) }
            shapes.append(shape)
        }
        self.layers = layers
        self.inputShape = inputShape
        self.shapes = shapes
        fusedWithPrevious = layers.indices.map { $0 > 0 && layers[$0].canFuse(layers[$0 - 1].spec) }
        let splitting: Set = [Conv2DConfiguration.kind, MaxPool2DConfiguration.kind, AvgPool2DConfiguration.kind,
                              GlobalAveragePoolConfiguration.kind, RecurrentConfiguration.kind]
        splitsOwnWork = layers.contains { splitting.contains($0.spec.kind) }
    }

    /// Whether layer i runs layer i − 1 in its own kernel (`Layer.canFuse`: a ReLU before max pooling).
    let fusedWithPrevious: [Bool]

    /// The arena of `predict` and `activations`: one chunk's intermediates, kept between calls so that
    /// evaluating after every epoch allocates nothing new (see `activations`).
    let inferenceTape = Tape<Scalar>()

    /// Whether the model's time goes to ops that split their own work across threads (convolutions,
    /// pooling, recurrent layers): training and prediction then run them under
    /// `Parallel.withOwnThreads`. Dense models leave the threads to OpenBLAS, whose GEMMs are their work.
    public let splitsOwnWork: Bool

    /// Runs layers `0..<k` on `x`, pairs that fuse as one kernel (a pair cut by `k` runs apart).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run(_ x: Variable<Scalar>, through k: Int) throws -> Variable<Scalar> {
        var h = x
        var i = 0
        while i < k {
            if i + 1 < k && fusedWithPrevious[i + 1] {
                h = try layers[i + 1].forward(h, fusing: layers[i].spec)
                i += 2
            } else {
                h = try layers[i].forward(h)
                i += 1
            }
        }
        return h
    }

    /// Composes built layers whose first fixes the input shape (a dense layer's weights do).
    /// - Throws: `LayerError` when the first layer does not fix an input shape or the shapes do not chain.
    public convenience init(_ layers: [any Layer<Scalar>]) throws {
        guard let shape = layers.first?.fixedInputShape else {
            throw LayerError.incompatibleInput(layer: layers.first?.spec.description ?? "an empty model", position: 0, input: [],
                                               expected: "a first layer that fixes the input shape; give inputShape")
        }
        try self.init(layers, inputShape: shape)
    }

    /// Builds a model from its architecture: each spec's layer is built for the previous layer's output
    /// shape, drawing weights (and generator seeds) from `rng` in layer order.
    /// - Throws: `LayerError` naming the first layer that cannot take its input, or a bad configuration.
    public convenience init(inputShape: [Int], specs: [LayerSpec], initializer: Initializer = .he, rng: inout SeededRNG) throws {
        var context = LayerBuildContext(rng: rng, initializer: initializer)
        var layers: [any Layer<Scalar>] = []
        var shape = inputShape
        for (i, spec) in specs.enumerated() {
            do {
                _ = try spec.configuration.outputShape(for: shape)   // configuration errors before any weights are drawn
                let layer: any Layer<Scalar> = try spec.configuration.makeLayer(inputShape: shape, context: &context)
                shape = try layer.outputShape(for: shape)
                layers.append(layer)
            } catch let error as LayerError {
                throw error.at(i)
            }
        }
        rng = context.rng
        try self.init(layers, inputShape: inputShape)
    }

    /// A multilayer perceptron: Dense → activation (→ Dropout) for each hidden width, then a Dense
    /// output layer. With no hidden widths it is a linear model.
    /// - Parameters:
    ///   - inputs: number of input features.
    ///   - hidden: widths of the hidden layers, in order (empty: a linear model).
    ///   - outputs: number of output scores.
    ///   - activation: the function after each hidden dense layer.
    ///   - dropout: dropout probability after each hidden activation (0: no dropout layers).
    ///   - initializer: how every dense layer's weights start; `nil` picks He for a net with hidden
    ///     layers (ReLU) and Xavier for a linear model.
    ///   - rng: draws the initial weights (and seeds the dropout layers).
    public static func mlp(inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction = .relu,
                           dropout: Double = 0, initializer: Initializer? = nil, rng: inout SeededRNG) throws -> Sequential {
        try Sequential(inputShape: [inputs], specs: mlpSpecs(hidden: hidden, outputs: outputs, activation: activation, dropout: dropout),
                       initializer: initializer ?? defaultInitializer(hidden: hidden), rng: &rng)
    }

    /// The layers of `mlp`.
    public static func mlpSpecs(hidden: [Int], outputs: Int, activation: UnaryFunction = .relu, dropout: Double = 0) -> [LayerSpec] {
        var specs: [LayerSpec] = []
        for h in hidden {
            specs.append(.dense(h))
            specs.append(.activation(activation))
            if dropout > 0 { specs.append(.dropout(dropout)) }
        }
        specs.append(.dense(outputs))
        return specs
    }

    /// The initializer `mlp` uses unless told otherwise: He for ReLU hidden layers, Xavier for a linear model.
    public static func defaultInitializer(hidden: [Int]) -> Initializer { hidden.isEmpty ? .xavier : .he }

    /// The architecture, as saved in model files.
    public var specs: [LayerSpec] { layers.map { $0.spec } }

    /// The per-example output shape.
    public var outputShape: [Int] { shapes.last ?? inputShape }
    /// Scalars per example at the input.
    public var inputCount: Int { inputShape.reduce(1, *) }
    /// Scalars per example at the output (scores per example for a classifier).
    public var outputCount: Int { outputShape.reduce(1, *) }

    /// The layers with their input shapes: "Dense(784→256) → ReLU → Dense(256→10)".
    public var summary: String {
        zip(layers, [inputShape] + shapes).map { $0.spec.configuration.summary(input: $1) }.joined(separator: " → ")
    }

    /// Every parameter, named "<layer index>.<name>" ("0.weight", "0.bias", "2.weight", …).
    public var parameters: [Parameter<Scalar>] {
        layers.enumerated().flatMap { i, layer in
            layer.parameters.map { p in var q = p; q.name = "\(i).\(p.name)"; return q }
        }
    }

    /// Number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.variable.value.count } }

    /// Each layer's state (running statistics, generators), in layer order.
    public var layerStates: [LayerState<Scalar>] { layers.map { $0.state } }

    /// Puts back states taken with `layerStates`.
    /// - Throws: `LayerError.invalidState` naming the layer whose state does not fit.
    public func restore(layerStates states: [LayerState<Scalar>]) throws {
        guard states.count == layers.count else {
            throw LayerError.invalidState(layer: "model", reason: "\(states.count) layer states for \(layers.count) layers")
        }
        for (layer, state) in zip(layers, states) { try layer.restore(state) }
    }

    /// Switches dropout (and batch statistics) on (training) or off (evaluation).
    public var isTraining: Bool {
        get { layers.first?.isTraining ?? false }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    /// Checks that examples of `exampleShape` can be fed to the model: the same shape, or — for a model
    /// whose input is a flat vector — any shape with as many scalars (an MLP on images), or `[H, W]`
    /// for a model of one-channel images `[1, H, W]`.
    /// - Throws: `LayerError.incompatibleInput` naming both shapes.
    public func checkInput(_ exampleShape: [Int]) throws {
        if exampleShape == inputShape { return }
        if inputShape.count == 1 && exampleShape.reduce(1, *) == inputCount { return }
        if [1] + exampleShape == inputShape { return }
        throw LayerError.incompatibleInput(layer: "model input", position: nil, input: exampleShape, expected: "\(inputShape)")
    }

    /// Runs every layer on a batch `[n] + inputShape` (or `[n, inputCount]` rows, reshaped without a copy),
    /// recording on the input's tape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        var h = x
        if Array(x.value.shape.dropFirst()) != inputShape {
            guard x.value.rank >= 1, x.value.columns == inputCount else {
                throw TensorError.shapeMismatch(op: "model input (examples of \(inputShape))", lhs: x.value.shape, rhs: [x.value.rows] + inputShape)
            }
            h = try x.reshaped([x.value.shape[0]] + inputShape)
        }
        return try run(h, through: layers.count)
    }

    /// Scores for `x` (n examples, as `[n] + inputShape` or `[n, inputCount]`) in evaluation mode, without
    /// a tape, in chunks of `batchSize` examples.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ x: Tensor<Scalar>, batchSize: Int = 2048) throws -> Tensor<Scalar> {
        try activations(x, throughLayer: layers.count, batchSize: batchSize)
    }

    /// The output of layers `0..<k` for `x` in evaluation mode (k = `layers.count` gives the scores), in
    /// chunks of at most `batchSize` examples: what the network computes at layer k. Chunks are smaller
    /// when a layer's outputs are large (conv maps), so that no intermediate holds more than 2²² scalars.
    /// - Throws: `TensorError.shapeMismatch` when `x` does not hold examples of the model's input shape.
    public func activations(_ x: Tensor<Scalar>, throughLayer k: Int, batchSize: Int = 2048) throws -> Tensor<Scalar> {
        guard k >= 0, k <= layers.count else {
            throw TensorError.invalidArgument(op: "activations", reason: "layer \(k) is not in 0...\(layers.count)")
        }
        guard x.rank >= 1, x.columns == inputCount || x.shape[0] == 0 else {
            throw TensorError.shapeMismatch(op: "predict (model expects examples of \(inputShape))", lhs: x.shape, rhs: [x.rows] + inputShape)
        }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        // Every chunk's intermediates come from `inferenceTape`'s arena: the first chunk of the first call
        // allocates them, every later chunk and call reuses them. Fresh buffers per chunk made peak memory
        // grow with the number of epochs: glibc raises its mmap threshold after the first 16 MB buffer is
        // freed, the next chunks' 2–16 MB buffers then came from the heap, and each epoch's evaluation
        // left it more fragmented (`circuits train --model cnn`: peak RSS 643, 675, 723 MB after epochs
        // 1, 2, 4, 781 MB after 16). The kernels are recorded but never played back; `reset` drops them.
        let tape = inferenceTape
        defer { tape.reset() }
        func run(_ chunk: Tensor<Scalar>) throws -> Tensor<Scalar> {
            tape.reset()
            return try self.run(tape.constant(chunk.reshaped([chunk.shape[0]] + inputShape)), through: k).value
        }
        if splitsOwnWork && Parallel.ownThreads == nil {
            return try Parallel.withOwnThreads { try chunked(x, through: k, batchSize: batchSize, run: run) }
        }
        return try chunked(x, through: k, batchSize: batchSize, run: run)
    }

    /// `run` over chunks of `x`, joined: the chunk size keeps every intermediate under 2²² scalars.
    private func chunked(_ x: Tensor<Scalar>, through k: Int, batchSize: Int,
                         run: (Tensor<Scalar>) throws -> Tensor<Scalar>) throws -> Tensor<Scalar> {
        // The small CNN's first conv map is 25,088 scalars per example: 2048 of them would be 205 MB per
        // intermediate. 2²² scalars (16 MB in Float) still give the ops hundreds of images to split across
        // threads.
        let widest = ([inputShape] + shapes.prefix(k)).map { $0.reduce(1, *) }.max() ?? 1
        let chunk = Swift.max(1, Swift.min(batchSize, (1 << 22) / Swift.max(widest, 1)))
        let n = x.shape[0]
        guard n > chunk else { return try run(x) }
        var pieces: [Tensor<Scalar>] = []
        for start in stride(from: 0, to: n, by: chunk) {
            let piece = try run(try x.rows(start..<min(start + chunk, n)))
            pieces.append(try piece.reshaped([piece.shape[0], piece.count / Swift.max(piece.shape[0], 1)]))   // rows, for concatenate
        }
        let joined = try Tensor.concatenate(pieces, axis: 0)
        return try joined.reshaped([n] + (k == 0 ? inputShape : shapes[k - 1]))
    }

    /// Predicted classes: argmax of the scores, or score > 0 for a one-output (binary) model.
    public func predictClasses(_ x: Tensor<Scalar>) throws -> [Int] {
        let s = try predict(x)
        if s.columns == 1 { return s.scalars.map { $0 > 0 ? 1 : 0 } }
        return try s.reshaped([s.rows, s.columns]).argmax(axis: 1)
    }

    /// Copies parameter values and layer states from `other` (same architecture).
    public func copyParameters(from other: Sequential) throws {
        let mine = parameters, theirs = other.parameters
        guard mine.count == theirs.count else {
            throw LayerError.invalidState(layer: "model", reason: "\(theirs.count) parameters to copy into \(mine.count)")
        }
        for (a, b) in zip(mine, theirs) {
            guard a.variable.value.shape == b.variable.value.shape else {
                throw TensorError.shapeMismatch(op: "copyParameters \(a.name)", lhs: a.variable.value.shape, rhs: b.variable.value.shape)
            }
            a.variable.value = b.variable.value
        }
        try restore(layerStates: other.layerStates)
    }
}

/// A stack of recurrent layers (vanilla RNN, LSTM or GRU) over sequences `[T, F]` — PyTorch's `nn.RNN`,
/// `nn.LSTM` and `nn.GRU` with `batch_first=True`, `num_layers`, `dropout` and `bidirectional`, and the
/// parameter names those modules use (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, with
/// `_reverse` for the backward direction), so a saved stack loads into them with `strict=True`.
///
/// The output is every step's state `[T, H′]` (a language model, or another recurrent layer), the last
/// state `[H′]` (a classifier: the final state of each direction — for the backward direction the state
/// after reading the whole sequence from its end, as PyTorch's `h_n`), or the mean over time `[H′]`.
/// H′ is H, or 2H for a bidirectional stack whose directions are concatenated (`merge` sum keeps H).
public struct RecurrentConfiguration: LayerConfiguration, Equatable {
    public static let kind = "recurrent"

    /// The cell: PyTorch's equations and gate order for each.
    public enum Cell: String, Codable, Sendable, CaseIterable {
        case rnnTanh = "rnn_tanh", rnnReLU = "rnn_relu", lstm, gru
        /// Gates per step: W_ih has gates × H rows.
        public var gates: Int {
            switch self {
            case .rnnTanh, .rnnReLU: return 1
            case .lstm: return 4
            case .gru: return 3
            }
        }
        public var name: String {
            switch self {
            case .rnnTanh: return "RNN"
            case .rnnReLU: return "RNN-ReLU"
            case .lstm: return "LSTM"
            case .gru: return "GRU"
            }
        }
    }
    /// What the layer hands on.
    public enum Output: String, Codable, Sendable { case sequence, last, mean }
    /// How a bidirectional stack joins its two directions.
    public enum Merge: String, Codable, Sendable { case concat, sum }

    public var cell: Cell
    /// Hidden units per direction.
    public var hidden: Int
    /// Layers in the stack (each reads the previous one's every-step output).
    public var layers: Int
    public var bidirectional: Bool
    public var merge: Merge
    /// Inverted dropout on the outputs of every layer but the last, in training (PyTorch's `dropout`).
    public var dropout: Double
    public var output: Output
    public var bias: Bool

    public init(cell: Cell, hidden: Int, layers: Int = 1, bidirectional: Bool = false, merge: Merge = .concat,
                dropout: Double = 0, output: Output = .sequence, bias: Bool = true) {
        self.cell = cell
        self.hidden = hidden
        self.layers = layers
        self.bidirectional = bidirectional
        self.merge = merge
        self.dropout = dropout
        self.output = output
        self.bias = bias
    }

    /// Features per step of the output: H, or 2H for concatenated directions.
    public var outputWidth: Int { bidirectional && merge == .concat ? 2 * hidden : hidden }
    var directions: Int { bidirectional ? 2 : 1 }

    public var description: String {
        var parts = [layers > 1 ? "\(layers)×\(hidden)" : "\(hidden)"]
        if bidirectional { parts.append("bidirectional \(merge.rawValue)") }
        if dropout > 0 { parts.append("dropout \(dropout)") }
        if output != .sequence { parts.append(output.rawValue) }
        return "\(cell.name)(\(parts.joined(separator: ", ")))"
    }

    public func summary(input: [Int]) -> String {
        let f = input.count == 2 ? "\(input[1])" : "?"
        let inner = description.dropFirst(cell.name.count + 1)
        return "\(cell.name)(\(f)→" + inner
    }

    func validate() throws {
        guard hidden > 0, layers > 0 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "hidden size and layer count must be > 0")
        }
        guard dropout >= 0, dropout < 1 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "dropout \(dropout) is not in [0, 1)")
        }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try validate()
        guard input.count == 2, input[0] > 0, input[1] > 0 else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input,
                                               expected: "a sequence [steps, features]")
        }
        return output == .sequence ? [input[0], outputWidth] : [outputWidth]
    }

    /// Scalars in the stack's parameters for inputs of `features` per step (nil if it overflows).
    public func parameterCount(features: Int) -> Int? {
        var total = 0
        for layer in 0..<layers {
            let inputs = layer == 0 ? features : outputWidth
            let g = cell.gates * hidden
            let (a, o1) = g.multipliedReportingOverflow(by: inputs + hidden + (bias ? 2 : 0))
            let (b, o2) = a.multipliedReportingOverflow(by: directions)
            let (c, o3) = total.addingReportingOverflow(b)
            if o1 || o2 || o3 { return nil }
            total = c
        }
        return total
    }

    public func parameterCount(for input: [Int]) -> Int? {
        // An input of another rank is refused by `outputShape(for:)`, which model checks call first.
        guard input.count == 2 else { return 0 }
        return parameterCount(features: input[1])
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return try Recurrent<Scalar>(self, features: inputShape[1], rng: &context.rng)
    }

    public static var gradientChecks: [GradientCheckCase] {
        func check(_ name: String, _ c: RecurrentConfiguration, steps: Int = 3, features: Int = 2, batch: Int = 2) -> GradientCheckCase {
            GradientCheckCase("layer \(name)", inputs: [[batch, steps, features]]) { _, v in
                var rng = SeededRNG(seed: 41)
                let layer = try Recurrent<Double>(c, features: features, rng: &rng)
                return try layer.forward(v[0])
            }
        }
        return [
            check("LSTM 2×3 stack, sequence", .init(cell: .lstm, hidden: 3, layers: 2)),
            check("GRU bidirectional concat, last", .init(cell: .gru, hidden: 2, bidirectional: true, output: .last)),
            check("RNN bidirectional sum, mean", .init(cell: .rnnTanh, hidden: 3, bidirectional: true, merge: .sum, output: .mean)),
            check("LSTM bidirectional 2 layers, last, one step, batch of one",
                  .init(cell: .lstm, hidden: 2, layers: 2, bidirectional: true, output: .last), steps: 1, batch: 1),
            check("RNN relu, sequence", .init(cell: .rnnReLU, hidden: 2)),
        ]
    }
}

extension LayerSpec {
    public static func lstm(_ hidden: Int, layers: Int = 1, output: RecurrentConfiguration.Output = .sequence) -> LayerSpec {
        LayerSpec(RecurrentConfiguration(cell: .lstm, hidden: hidden, layers: layers, output: output))
    }
    public static func recurrent(_ configuration: RecurrentConfiguration) -> LayerSpec { LayerSpec(configuration) }
}

/// The initial or final states of a stack: per layer and direction (index layer × directions +
/// direction), h [N, H] and, for an LSTM, c [N, H].
public struct RecurrentState<Scalar: BLASScalar> {
    public var hidden: [Tensor<Scalar>]
    public var cell: [Tensor<Scalar>]
    public init(hidden: [Tensor<Scalar>], cell: [Tensor<Scalar>]) {
        self.hidden = hidden
        self.cell = cell
    }

    /// Copies `other`'s values into this state's own buffers (in place when the shapes match, so carrying
    /// the state from chunk to chunk allocates nothing): final states handed out by a tape live in its
    /// arena, which the next step reuses.
    public mutating func assign(_ other: RecurrentState<Scalar>) {
        func copy(_ into: inout [Tensor<Scalar>], _ from: [Tensor<Scalar>]) {
            if into.count != from.count || zip(into, from).contains(where: { $0.shape != $1.shape }) {
                into = from.map { t in let p = t.unsafeReadPointer; return Tensor(shape: t.shape) { p[$0] } }
                return
            }
            for i in into.indices {
                let source = from[i].unsafeReadPointer, n = from[i].count
                into[i].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source, count: n) }
            }
        }
        copy(&hidden, other.hidden)
        copy(&cell, other.cell)
    }

    /// A copy of `other` in buffers of its own.
    public init(copying other: RecurrentState<Scalar>) {
        self.init(hidden: [], cell: [])
        assign(other)
    }
}

/// The layer `RecurrentConfiguration` builds. See there for the shapes; the kernels are the ops of
/// `Tensor+RNN.swift`, `Tensor+LSTM.swift` and `Tensor+GRU.swift` (one GEMM for every step's input
/// projection, one recurrent GEMM per step, hand-written backward through time).
public final class Recurrent<Scalar: BLASScalar>: Layer {
    public let configuration: RecurrentConfiguration
    /// Weights per layer and direction (index layer × directions + direction).
    public let weights: [RecurrentWeights<Scalar>]
    public let features: Int
    public var isTraining = true
    /// Draws the dropout masks between layers (the layer's state, saved in checkpoints).
    let dropouts: [Dropout<Scalar>]

    /// Weights drawn as PyTorch draws them: uniform in [−1/√H, 1/√H].
    public init(_ configuration: RecurrentConfiguration, features: Int, rng: inout SeededRNG) throws {
        _ = try configuration.outputShape(for: [1, features])
        self.configuration = configuration
        self.features = features
        var weights: [RecurrentWeights<Scalar>] = []
        for layer in 0..<configuration.layers {
            for _ in 0..<configuration.directions {
                weights.append(.random(gates: configuration.cell.gates, inputs: layer == 0 ? features : configuration.outputWidth,
                                       hidden: configuration.hidden, bias: configuration.bias, using: &rng))
            }
        }
        self.weights = weights
        dropouts = try (1..<max(configuration.layers, 1)).map { _ in
            try Dropout<Scalar>(probability: configuration.dropout, seed: rng.next())
        }
    }

    public var spec: LayerSpec { LayerSpec(configuration) }

    public var parameters: [Parameter<Scalar>] {
        var list: [Parameter<Scalar>] = []
        for (k, w) in weights.enumerated() {
            let suffix = "_l\(k / configuration.directions)" + (k % configuration.directions == 1 ? "_reverse" : "")
            list.append(Parameter(name: "weight_ih" + suffix, variable: w.weightIH, isRegularized: true))
            list.append(Parameter(name: "weight_hh" + suffix, variable: w.weightHH, isRegularized: true))
            if let b = w.biasIH { list.append(Parameter(name: "bias_ih" + suffix, variable: b, isRegularized: false)) }
            if let b = w.biasHH { list.append(Parameter(name: "bias_hh" + suffix, variable: b, isRegularized: false)) }
        }
        return list
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        let out = try configuration.outputShape(for: input)
        guard input[1] == features else {
            throw LayerError.incompatibleInput(layer: configuration.summary(input: [input[0], features]), position: nil, input: input,
                                               expected: "[steps, \(features)]")
        }
        return out
    }

    public var state: LayerState<Scalar> { LayerState(generators: dropouts.map(\.rng)) }

    public func restore(_ state: LayerState<Scalar>) throws {
        guard state.tensors.isEmpty, state.generators.count == dropouts.count else {
            throw LayerError.invalidState(layer: configuration.description,
                                          reason: "expected \(dropouts.count) generators, got \(state.generators.count) and \(state.tensors.count) tensors")
        }
        for (d, g) in zip(dropouts, state.generators) { d.rng = g }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let s = x.value.shape
        guard s.count == 3, s[2] == features else {
            throw TensorError.shapeMismatch(op: "\(configuration.description) input", lhs: s, rhs: [s.first ?? 0, s.count > 1 ? s[1] : 0, features])
        }
        return try run(.dense(x), initial: nil).output
    }

    /// Runs the stack on `input` ([N, T, F], or one-hot ids over F symbols) from `initial` states
    /// (zeros when nil; constants — truncated backpropagation through time stops at them) and returns
    /// the configured output with the final states (their values: the next chunk's initial states).
    /// - Throws: `TensorError` naming shapes that do not fit.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func run(_ input: SequenceInput<Scalar>, initial: RecurrentState<Scalar>?) throws
        -> (output: Variable<Scalar>, final: RecurrentState<Scalar>) {
        let c = configuration
        let tape = input.tape
        func constant(_ t: Tensor<Scalar>?) -> Variable<Scalar>? {
            guard let t else { return nil }
            return tape?.constant(t) ?? Variable(t, requiresGrad: false)
        }
        if let initial {
            guard initial.hidden.count == weights.count, c.cell != .lstm || initial.cell.count == weights.count else {
                throw TensorError.invalidArgument(op: c.description, reason: "initial states for \(initial.hidden.count) layer directions, expected \(weights.count)")
            }
        }
        var current = input
        var finalsH: [Tensor<Scalar>] = [], finalsC: [Tensor<Scalar>] = []
        var lastStates: [Variable<Scalar>] = []
        var top: Variable<Scalar>? = nil
        for layer in 0..<c.layers {
            var outputs: [Variable<Scalar>] = []
            lastStates = []
            for direction in 0..<c.directions {
                let k = layer * c.directions + direction
                let w = weights[k], reversed = direction == 1
                let h0 = constant(initial?.hidden[k])
                let y: Variable<Scalar>, hN: Variable<Scalar>
                switch c.cell {
                case .rnnTanh, .rnnReLU:
                    let r = try Variable.rnn(current, weights: w, h0: h0, nonlinearity: c.cell == .rnnTanh ? .tanh : .relu, reversed: reversed)
                    y = r.output
                    hN = r.hidden
                case .lstm:
                    let r = try Variable.lstm(current, weights: w, h0: h0, c0: constant(initial?.cell[k]), reversed: reversed)
                    y = r.output
                    hN = r.hidden
                    finalsC.append(r.cell.value)
                case .gru:
                    let r = try Variable.gru(current, weights: w, h0: h0, reversed: reversed)
                    y = r.output
                    hN = r.hidden
                }
                finalsH.append(hN.value)
                outputs.append(y)
                lastStates.append(hN)
            }
            var y = outputs[0]
            if outputs.count == 2 {
                y = c.merge == .concat ? try Variable.concatenateLastAxis(outputs) : try outputs[0] + outputs[1]
            }
            if layer < c.layers - 1 {
                dropouts[layer].isTraining = isTraining
                y = try dropouts[layer].forward(y)
            }
            top = y
            current = .dense(y)
        }
        guard let sequence = top else { throw TensorError.invalidArgument(op: c.description, reason: "no layers") }
        let final = RecurrentState(hidden: finalsH, cell: finalsC)
        switch c.output {
        case .sequence: return (sequence, final)
        case .mean: return (try sequence.meanOverTime(), final)
        case .last:
            if lastStates.count == 1 { return (lastStates[0], final) }
            return (c.merge == .concat ? try Variable.concatenateLastAxis(lastStates) : try lastStates[0] + lastStates[1], final)
        }
    }
}

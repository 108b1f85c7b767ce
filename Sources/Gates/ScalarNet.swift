// A general multilayer net built from the scalar gates: any input width, hidden widths and output count,
// ReLU hidden layers, binary hinge or multiclass SVM loss, per-example or mini-batch SGD. It is the
// like-for-like scalar counterpart of the vectorized engine: given the same initial weights, sample
// order and hyperparameters it must end at the same weights (to rounding).

/// How a ``ScalarNet`` wires each neuron's `Σ wᵢ·xᵢ + b` out of gates.
public enum NeuronWiring: Sendable, Equatable {
    /// One ``MultiplyGate`` per connection and one ``SumGate`` per neuron: the guide's circuits taken
    /// literally, every product its own wire.
    case multiplyAndSum
    /// One ``WeightedSumGate`` per neuron: the same arithmetic and the same gradients, without the
    /// intermediate product wires (a few times faster; the default).
    case weightedSum
}

/// The loss a ``ScalarNet`` minimizes, per example.
public enum ScalarLoss: Sendable, Equatable {
    /// The guide's SVM: one output score `s`, label `y ∈ {+1, −1}`, loss `max(0, 1 − y·s)`.
    case binaryHinge
    /// Multiclass SVM (Weston–Watkins): label `y ∈ 0..<outputCount`,
    /// loss `Σ_{j≠y} max(0, s_j − s_y + 1)`.
    case multiclassSVM
}

/// A fully connected ReLU network whose every weight, bias and activation is a ``Unit`` and whose every
/// multiply-add is a gate of one ``Circuit``, built once and re-run for each example.
///
/// Layout of the weights: layer `l` maps width `n_l` to `n_{l+1}` and its weights are stored
/// **row-major out × in**: `weights[l][o * n_l + i]` multiplies input `i` into output `o` (the layout of
/// `W` in `y = W·x + b`). `biases[l]` has `n_{l+1}` entries. Widths are
/// `[inputWidth] + hiddenWidths + [outputCount]`.
///
/// Training minimizes, for each mini-batch `B`,
/// `L = (1/|B|) Σ_{i∈B} Lᵢ + (λ/2) Σ W²` (biases not regularized) by `W ← W − lr·∂L/∂W`.
/// In the guide's words: every example pulls on its loss with force `−1/|B|`, the pulls add up in the
/// parameters, then a spring adds `−λ·w` to every weight and parameters step along their pull.
/// With batch size 1 and `λ = 1` this is exactly the guide's per-example SGD with its spring `−w`.
public final class ScalarNet {
    /// Width of an input vector.
    public let inputWidth: Int
    /// Widths of the hidden (ReLU) layers, input side first.
    public let hiddenWidths: [Int]
    /// Number of output scores (1 for ``ScalarLoss/binaryHinge``).
    public let outputCount: Int
    /// The loss being minimized.
    public let loss: ScalarLoss
    /// How neurons are built from gates.
    public let wiring: NeuronWiring
    /// Output score wires, valid after a forward pass.
    public let scoreUnits: [Unit]
    /// The per-example loss wire, valid after a forward pass.
    public let lossUnit: Unit

    /// `weightUnits[l][o * n_l + i]`, row-major out × in.
    private let weightUnits: [[Unit]]
    private let biasUnits: [[Unit]]
    private let inputUnits: [Unit]
    /// Binary: `[y]`. Multiclass: one-hot of the label followed by its complement (1 − one-hot).
    private let labelUnits: [Unit]
    private let circuit = Circuit()
    // Storage of every weight, bias and input, gathered once so the per-example loops (load, update)
    // walk plain arrays of pointers instead of Unit objects.
    private let weightStorage: [UnsafeMutablePointer<Double>]
    private let biasStorage: [UnsafeMutablePointer<Double>]
    private let inputStorage: [UnsafeMutablePointer<Double>]

    /// Layer widths `[inputWidth] + hiddenWidths + [outputCount]`.
    public var widths: [Int] { [inputWidth] + hiddenWidths + [outputCount] }

    /// Number of gates in the circuit (forward and backward each run every one of them once per example).
    public var gateCount: Int { circuit.gates.count }

    /// A net with explicit initial parameters.
    ///
    /// - Parameters:
    ///   - inputWidth: number of inputs n₀.
    ///   - hiddenWidths: widths of the hidden layers, in order (may be empty: a linear model).
    ///   - outputCount: number of output scores.
    ///   - loss: the loss gate at the end of the circuit.
    ///   - weights: one array per layer, row-major out × in (`weights[l].count == n_{l+1} · n_l`).
    ///   - biases: one array per layer (`biases[l].count == n_{l+1}`).
    ///   - wiring: how each neuron's weighted sum is built from gates.
    public init(
        inputWidth: Int, hiddenWidths: [Int], outputCount: Int, loss: ScalarLoss,
        weights: [[Double]], biases: [[Double]], wiring: NeuronWiring = .weightedSum
    ) {
        precondition(inputWidth > 0 && outputCount > 0 && hiddenWidths.allSatisfy { $0 > 0 },
                     "ScalarNet: widths must be positive, got \(inputWidth) \(hiddenWidths) \(outputCount)")
        precondition(loss != .binaryHinge || outputCount == 1,
                     "ScalarNet: binaryHinge needs outputCount 1, got \(outputCount)")
        let widths = [inputWidth] + hiddenWidths + [outputCount]
        precondition(weights.count == widths.count - 1 && biases.count == widths.count - 1,
                     "ScalarNet: expected \(widths.count - 1) layers of weights and biases, got \(weights.count) and \(biases.count)")
        for l in 0..<(widths.count - 1) {
            precondition(weights[l].count == widths[l + 1] * widths[l],
                         "ScalarNet: layer \(l) weights must be \(widths[l + 1])×\(widths[l]) = \(widths[l + 1] * widths[l]) values (row-major out×in), got \(weights[l].count)")
            precondition(biases[l].count == widths[l + 1],
                         "ScalarNet: layer \(l) biases must be \(widths[l + 1]) values, got \(biases[l].count)")
        }
        self.inputWidth = inputWidth
        self.hiddenWidths = hiddenWidths
        self.outputCount = outputCount
        self.loss = loss
        self.wiring = wiring
        // Each layer's parameters, and the input pegs, in one allocation apiece (see Unit.contiguous).
        weightUnits = weights.map { Unit.contiguous($0) }
        biasUnits = biases.map { Unit.contiguous($0) }
        inputUnits = Unit.contiguous([Double](repeating: 0, count: inputWidth))
        labelUnits = (0..<(loss == .binaryHinge ? 1 : 2 * outputCount)).map { _ in Unit(0) }
        weightStorage = weightUnits.flatMap { $0 }.map(\.storage)
        biasStorage = biasUnits.flatMap { $0 }.map(\.storage)
        inputStorage = inputUnits.map(\.storage)

        // Layers: each neuron is a weighted sum of its incoming wires plus its bias (one gate, or one
        // multiply gate per wire and a sum gate), then a ReLU gate on hidden layers. The output layer
        // stays linear: its wires are the scores.
        var activations = inputUnits
        for l in 0..<(widths.count - 1) {
            let nIn = widths[l], nOut = widths[l + 1]
            var next: [Unit] = []
            next.reserveCapacity(nOut)
            for o in 0..<nOut {
                let row = Array(weightUnits[l][(o * nIn)..<((o + 1) * nIn)])
                let preActivation: Unit
                switch wiring {
                case .weightedSum:
                    preActivation = circuit.weightedSum(weights: row, inputs: activations, bias: biasUnits[l][o])
                case .multiplyAndSum:
                    // The neuron's product wires in one allocation, so its sum gate reads them in a row.
                    var terms = Unit.contiguous([Double](repeating: 0, count: nIn))
                    for i in 0..<nIn { circuit.record(MultiplyGate(row[i], activations[i], output: terms[i])) }
                    terms.append(biasUnits[l][o])
                    preActivation = circuit.sum(terms)
                }
                next.append(l == widths.count - 2 ? preActivation : circuit.relu(preActivation))
            }
            activations = next
        }
        scoreUnits = activations

        switch loss {
        case .binaryHinge:
            // max(0, 1 − y·s), the label a wire so one circuit serves both classes.
            let ys = circuit.multiply(labelUnits[0], scoreUnits[0])
            lossUnit = circuit.relu(circuit.addConstant(circuit.scale(ys, by: -1), 1))
        case .multiclassSVM:
            // s_y = Σ onehot_k · s_k picks the correct class's score without rewiring per label; the
            // complement mask (1 − onehot_j) drops the j = y term, whose margin would always be 1.
            let n = outputCount, circuit = circuit, labelUnits = labelUnits, scoreUnits = activations
            let correct = circuit.sum((0..<n).map { circuit.multiply(labelUnits[$0], scoreUnits[$0]) })
            let terms = (0..<n).map { j in
                let margin = circuit.relu(circuit.addConstant(circuit.subtract(scoreUnits[j], correct), 1))
                return circuit.multiply(margin, labelUnits[n + j])
            }
            lossUnit = circuit.sum(terms)
        }
    }

    /// A net with random initial weights: uniform in `[−scale, scale)` with `scale = 1/√fan-in` unless
    /// `weightScale` is given (the guide's `Math.random() − 0.5` is `weightScale: 0.5`); biases zero.
    /// Drawn from `rng` layer by layer in storage order.
    public convenience init(
        inputWidth: Int, hiddenWidths: [Int], outputCount: Int, loss: ScalarLoss,
        weightScale: Double? = nil, wiring: NeuronWiring = .weightedSum, rng: inout GatesRNG
    ) {
        let widths = [inputWidth] + hiddenWidths + [outputCount]
        var weights: [[Double]] = [], biases: [[Double]] = []
        for l in 0..<(widths.count - 1) {
            let scale = weightScale ?? 1 / Double(widths[l]).squareRoot()
            weights.append((0..<(widths[l] * widths[l + 1])).map { _ in rng.uniform(-scale, scale) })
            biases.append([Double](repeating: 0, count: widths[l + 1]))
        }
        self.init(inputWidth: inputWidth, hiddenWidths: hiddenWidths, outputCount: outputCount, loss: loss,
                  weights: weights, biases: biases, wiring: wiring)
    }

    /// Replaces every weight and bias (same shapes as the initializer takes: row-major out × in), e.g. to
    /// restart training from the same point. Pending gradients are cleared.
    public func setParameters(weights: [[Double]], biases: [[Double]]) {
        precondition(weights.count == weightUnits.count && biases.count == biasUnits.count,
                     "ScalarNet.setParameters: expected \(weightUnits.count) layers, got \(weights.count) and \(biases.count)")
        for l in weightUnits.indices {
            precondition(weights[l].count == weightUnits[l].count && biases[l].count == biasUnits[l].count,
                         "ScalarNet.setParameters: layer \(l) expects \(weightUnits[l].count) weights and \(biasUnits[l].count) biases, got \(weights[l].count) and \(biases[l].count)")
            for (unit, v) in zip(weightUnits[l], weights[l]) { unit.value = v; unit.grad = 0 }
            for (unit, v) in zip(biasUnits[l], biases[l]) { unit.value = v; unit.grad = 0 }
        }
    }

    /// Current weights per layer, row-major out × in.
    public var weights: [[Double]] { weightUnits.map { $0.map(\.value) } }
    /// Current biases per layer.
    public var biases: [[Double]] { biasUnits.map { $0.map(\.value) } }

    /// Loads input `x` and label into the circuit's pegs and runs the forward pass.
    private func present(_ x: [Double], label: Int) {
        precondition(x.count == inputWidth, "ScalarNet: input has width \(x.count), expected \(inputWidth)")
        x.withUnsafeBufferPointer { values in
            inputStorage.withUnsafeBufferPointer { units in
                for i in 0..<values.count {
                    units[i][0] = values[i]  // value
                    units[i][1] = 0          // grad: inputs are leaves, nothing else resets them
                }
            }
        }
        switch loss {
        case .binaryHinge:
            precondition(label == 1 || label == -1, "ScalarNet: binaryHinge labels are +1 or -1, got \(label)")
            labelUnits[0].value = Double(label)
        case .multiclassSVM:
            precondition(label >= 0 && label < outputCount, "ScalarNet: label \(label) outside 0..<\(outputCount)")
            for j in 0..<outputCount {
                labelUnits[j].value = j == label ? 1 : 0
                labelUnits[outputCount + j].value = j == label ? 0 : 1
            }
        }
        circuit.forward()
    }

    /// The output scores for input `x`.
    public func scores(for x: [Double]) -> [Double] {
        // Any valid label will do: the scores do not depend on it.
        present(x, label: loss == .binaryHinge ? 1 : 0)
        return scoreUnits.map(\.value)
    }

    /// The per-example data loss (no regularization).
    public func loss(for x: [Double], label: Int) -> Double {
        present(x, label: label)
        return lossUnit.value
    }

    /// Predicted label: ±1 (sign of the score) for binary hinge, the arg-max class for multiclass.
    public func predict(_ x: [Double]) -> Int {
        let s = scores(for: x)
        if loss == .binaryHinge { return s[0] > 0 ? 1 : -1 }
        var best = 0
        for j in 1..<s.count where s[j] > s[best] { best = j }
        return best
    }

    /// Fraction of `inputs` whose prediction equals the label.
    public func accuracy(inputs: [[Double]], labels: [Int]) -> Double {
        var correct = 0
        for (x, y) in zip(inputs, labels) where predict(x) == y { correct += 1 }
        return Double(correct) / Double(inputs.count)
    }

    /// One pass of SGD over `order`: consecutive chunks of `batchSize` indices form the mini-batches
    /// (a shorter last chunk averages over its own size). Returns the mean data loss over the pass,
    /// each example's loss read during its own forward pass.
    @discardableResult
    public func train(
        inputs: [[Double]], labels: [Int], order: [Int], batchSize: Int = 1,
        learningRate: Double, regularization: Double
    ) -> Double {
        precondition(batchSize > 0, "ScalarNet.train: batchSize must be positive, got \(batchSize)")
        precondition(inputs.count == labels.count, "ScalarNet.train: \(inputs.count) inputs but \(labels.count) labels")
        var totalLoss = 0.0
        var start = 0
        while start < order.count {
            let end = min(start + batchSize, order.count)
            let pull = -1 / Double(end - start)
            for t in start..<end {
                let i = order[t]
                present(inputs[i], label: labels[i])
                totalLoss += lossUnit.value
                circuit.backward(from: lossUnit, pull: pull)
            }
            step(learningRate: learningRate, regularization: regularization)
            start = end
        }
        return order.isEmpty ? 0 : totalLoss / Double(order.count)
    }

    /// Parameter update after a mini-batch: spring `−λ·w` on weights, `p += lr · p.grad`, grads cleared.
    private func step(learningRate lr: Double, regularization lambda: Double) {
        // storage[0] is the value, storage[1] the grad (see Unit).
        weightStorage.withUnsafeBufferPointer { weights in
            for w in weights {
                let pull = w[1] - lambda * w[0]
                w[0] += lr * pull
                w[1] = 0
            }
        }
        biasStorage.withUnsafeBufferPointer { biases in
            for b in biases {
                b[0] += lr * b[1]
                b[1] = 0
            }
        }
    }
}

/// The guide's 2-layer neural network: three ReLU neurons on a 2-D input and a linear score on top,
///
/// ```
/// n1 = max(0, a1*x + b1*y + c1);  n2 = …;  n3 = …
/// score = a4*n1 + b4*n2 + c4*n3 + d4
/// ```
///
/// written with gates: the circuit is built once and backprop comes from the gates' own backward passes,
/// not from hand-unrolled derivative code. Trained by the SVM's force specification (pull +1 / −1 / 0
/// on the score) with a spring on every multiplicative parameter (not on the biases c1, c2, c3, d4).
public final class TwoLayerNet: GuideClassifier {
    /// The 13 parameters in the guide's order: a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4.
    public let parameters: [Unit]
    /// Step size of the parameter update.
    public var stepSize: Double
    /// The score wire.
    public let score: Unit

    /// Names of ``parameters``, for printing.
    public static let parameterNames = ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3", "a4", "b4", "c4", "d4"]
    /// Which parameters the regularization spring pulls on (weights, not biases).
    public static let regularized: [Bool] = [
        true, true, false, true, true, false, true, true, false, true, true, true, false,
    ]

    private let x = Unit(0), y = Unit(0)
    private let circuit = Circuit()
    // Parameters and input pegs, gathered once so a training step allocates nothing.
    private let leaves: [Unit]

    /// A net with explicit initial parameters (13 values in the order of ``parameterNames``).
    public init(parameters initial: [Double], stepSize: Double = 0.01) {
        precondition(initial.count == 13, "TwoLayerNet needs 13 parameters, got \(initial.count)")
        parameters = initial.map { Unit($0) }
        self.stepSize = stepSize
        leaves = parameters + [x, y]
        let p = parameters
        var hidden: [Unit] = []
        for n in 0..<3 {
            let (a, b, c) = (p[3 * n], p[3 * n + 1], p[3 * n + 2])
            hidden.append(circuit.relu(circuit.sum([circuit.multiply(a, x), circuit.multiply(b, y), c])))
        }
        score = circuit.sum([
            circuit.multiply(p[9], hidden[0]), circuit.multiply(p[10], hidden[1]),
            circuit.multiply(p[11], hidden[2]), p[12],
        ])
    }

    /// The guide's initialization: every parameter `Math.random() − 0.5`, drawn in the order of
    /// ``parameterNames``.
    public convenience init(rng: inout GatesRNG, stepSize: Double = 0.01) {
        self.init(parameters: (0..<13).map { _ in rng.uniform() - 0.5 }, stepSize: stepSize)
    }

    /// Replaces the 13 parameters (order of ``parameterNames``) and clears their gradients.
    public func setParameters(_ values: [Double]) {
        precondition(values.count == 13, "TwoLayerNet needs 13 parameters, got \(values.count)")
        for (unit, v) in zip(parameters, values) { unit.value = v; unit.grad = 0 }
    }

    /// Current parameter values in the order of ``parameterNames``.
    public var parameterValues: [Double] { parameters.map(\.value) }

    /// Forward pass: the score of point (`px`, `py`).
    @discardableResult
    public func forward(_ px: Double, _ py: Double) -> Double {
        x.value = px; y.value = py
        circuit.forward()
        return score.value
    }

    /// One SGD step: forward, pull by the force specification, springs on the weights, update.
    public func learnFrom(_ px: Double, _ py: Double, label: Int) {
        forward(px, py)
        Circuit.zeroGradients(leaves)
        circuit.backward(from: score, pull: SVM.pull(score: score.value, label: label))
        for (unit, spring) in zip(parameters, Self.regularized) {
            if spring { unit.grad += -unit.value }
            unit.value += stepSize * unit.grad
        }
    }

    /// Predicted label: +1 if the score is positive, else −1.
    public func predict(_ px: Double, _ py: Double) -> Int { forward(px, py) > 0 ? 1 : -1 }

    /// Fraction of `points` classified correctly.
    public func accuracy(on points: [[Double]], labels: [Int]) -> Double {
        var correct = 0
        for (p, l) in zip(points, labels) where predict(p[0], p[1]) == l { correct += 1 }
        return Double(correct) / Double(points.count)
    }
}

// The Support Vector Machine of chapter 2 in the guide's two forms: the force specification (pull
// +1 / −1 / 0 on the score, springs on a and b) and the hinge loss with L2 regularization. With
// alpha = 1/2 the loss form's gradient descent makes exactly the force form's updates.

/// A 2-D linear classifier `score = a·x + b·y + c` trained by the guide's force specification.
///
/// The circuit `a*x + b*y + c` is built once; every example swaps new values into the input pegs
/// `x`, `y` and re-runs it.
public final class SVM {
    /// Weight on the first feature.
    public let a: Unit
    /// Weight on the second feature.
    public let b: Unit
    /// Bias (no spring: regularization never pulls on it).
    public let c: Unit
    /// How far parameters move along their pull in ``parameterUpdate()``.
    public var stepSize: Double
    /// The circuit's output wire.
    public let score: Unit

    private let x = Unit(0), y = Unit(0)
    private let circuit = Circuit()

    /// An SVM starting from the guide's "random" parameters `a = 1, b = −2, c = −1`, step size 0.01.
    public init(a: Double = 1, b: Double = -2, c: Double = -1, stepSize: Double = 0.01) {
        self.a = Unit(a); self.b = Unit(b); self.c = Unit(c)
        self.stepSize = stepSize
        let ax = circuit.multiply(self.a, x)
        let by = circuit.multiply(self.b, y)
        score = circuit.add(circuit.add(ax, by), self.c)
    }

    /// The current `[a, b, c]`.
    public var parameters: [Double] { [a.value, b.value, c.value] }

    /// Forward pass: the score of point (`px`, `py`).
    @discardableResult
    public func forward(_ px: Double, _ py: Double) -> Double {
        x.value = px; y.value = py
        circuit.forward()
        return score.value
    }

    /// The force specification: +1 if a positive point scores below 1, −1 if a negative point scores
    /// above −1, otherwise 0 (the SVM is happy).
    public static func pull(score: Double, label: Int) -> Double {
        if label == 1 && score < 1 { return 1 }
        if label == -1 && score > -1 { return -1 }
        return 0
    }

    /// Backward pass for the last forward: pull on the score by the force specification, then add the
    /// springs' pull `−a`, `−b` towards zero (Hooke's law; none on `c`).
    public func backward(label: Int) {
        Circuit.zeroGradients([a, b, c, x, y])
        circuit.backward(from: score, pull: Self.pull(score: score.value, label: label))
        a.grad += -a.value
        b.grad += -b.value
    }

    /// Parameters respond to their pull: `p += stepSize · p.grad`.
    public func parameterUpdate() {
        a.value += stepSize * a.grad
        b.value += stepSize * b.grad
        c.value += stepSize * c.grad
    }

    /// One SGD step on one example: forward, backward, update.
    public func learnFrom(_ px: Double, _ py: Double, label: Int) {
        forward(px, py)
        backward(label: label)
        parameterUpdate()
    }

    /// Predicted label: +1 if the score is positive, else −1.
    public func predict(_ px: Double, _ py: Double) -> Int { forward(px, py) > 0 ? 1 : -1 }

    /// Fraction of `points` whose predicted label matches `labels` (the guide's `evalTrainingAccuracy`).
    public func accuracy(on points: [[Double]], labels: [Int]) -> Double {
        precondition(points.count == labels.count, "accuracy: \(points.count) points but \(labels.count) labels")
        var correct = 0
        for (p, l) in zip(points, labels) where predict(p[0], p[1]) == l { correct += 1 }
        return Double(correct) / Double(points.count)
    }
}

/// The same SVM in loss-function form: for one example, `L = max(0, −y·score + 1) + alpha·(a² + b²)`,
/// built from gates, minimized by pulling on `L` with −1 and letting the parameters respond.
///
/// `d/da [alpha·a²] = 2·alpha·a`, so `alpha = 1/2` is exactly the force specification's spring `−a`,
/// and the hinge's switch (the ReLU gate) passes the pull `y·x` exactly when the force specification
/// pulls; the two forms then make identical updates.
public final class SVMLoss {
    /// Weight on the first feature.
    public let a: Unit
    /// Weight on the second feature.
    public let b: Unit
    /// Bias (not regularized).
    public let c: Unit
    /// Step size of the descent.
    public var stepSize: Double
    /// Regularization strength alpha.
    public let alpha: Double
    /// The score wire `a·x + b·y + c`.
    public let score: Unit
    /// The hinge cost wire `max(0, −y·score + 1)`.
    public let hinge: Unit
    /// The cost wire `L` (hinge + regularization).
    public let cost: Unit

    private let x = Unit(0), y = Unit(0), label = Unit(0)
    private let circuit = Circuit()

    /// The loss circuit, from the guide's start and with the `alpha` that matches its force specification.
    public init(a: Double = 1, b: Double = -2, c: Double = -1, alpha: Double = 0.5, stepSize: Double = 0.01) {
        self.a = Unit(a); self.b = Unit(b); self.c = Unit(c)
        self.alpha = alpha
        self.stepSize = stepSize
        score = circuit.add(circuit.add(circuit.multiply(self.a, x), circuit.multiply(self.b, y)), self.c)
        // The label is a wire rather than a constant so one circuit serves both classes.
        let margin = circuit.addConstant(circuit.scale(circuit.multiply(label, score), by: -1), 1)
        hinge = circuit.relu(margin)
        let regularization = circuit.scale(circuit.add(circuit.square(self.a), circuit.square(self.b)), by: alpha)
        cost = circuit.add(hinge, regularization)
    }

    /// The current `[a, b, c]`.
    public var parameters: [Double] { [a.value, b.value, c.value] }

    /// Forward pass: the cost `L` of one example.
    @discardableResult
    public func forward(_ px: Double, _ py: Double, label l: Int) -> Double {
        x.value = px; y.value = py; label.value = Double(l)
        circuit.forward()
        return cost.value
    }

    /// One SGD step: forward, pull on the cost with −1 (we want it smaller), `p += stepSize · p.grad`.
    public func learnFrom(_ px: Double, _ py: Double, label l: Int) {
        forward(px, py, label: l)
        Circuit.zeroGradients([a, b, c, x, y, label])
        circuit.backward(from: cost, pull: -1)
        a.value += stepSize * a.grad
        b.value += stepSize * b.grad
        c.value += stepSize * c.grad
    }
}

/// The guide's cost table: per-example hinge costs, the regularization cost and the total.
public struct SVMCostReport: Sendable {
    /// Score `w₀x₀ + w₁x₁ + w₂` of each example.
    public var scores: [Double]
    /// `max(0, −yᵢ·scoreᵢ + 1)` of each example.
    public var costs: [Double]
    /// `alpha·(w₀² + w₁²)`.
    public var regularization: Double
    /// Sum of the costs plus the regularization.
    public var total: Double
    /// Gradient of `total` with respect to `[w₀, w₁, w₂]`, by backprop through the cost circuit.
    public var gradient: [Double]
}

/// The loss of the whole data set as one circuit ("the cost function written above is our circuit"):
/// `L = Σᵢ max(0, −yᵢ(w₀xᵢ₀ + w₁xᵢ₁ + w₂) + 1) + alpha·(w₀² + w₁²)`, evaluated and backpropagated.
public func svmCost(points: [[Double]], labels: [Int], weights w: [Double], alpha: Double) -> SVMCostReport {
    precondition(w.count == 3, "svmCost: weights must be [w0, w1, w2], got \(w.count)")
    precondition(points.count == labels.count, "svmCost: \(points.count) points but \(labels.count) labels")
    let circuit = Circuit()
    let wu = w.map { Unit($0) }
    var scores: [Unit] = [], costs: [Unit] = []
    for (p, l) in zip(points, labels) {
        let s = circuit.sum([circuit.multiply(wu[0], Unit(p[0])), circuit.multiply(wu[1], Unit(p[1])), wu[2]])
        scores.append(s)
        costs.append(circuit.relu(circuit.addConstant(circuit.scale(s, by: -Double(l)), 1)))
    }
    let reg = circuit.scale(circuit.add(circuit.square(wu[0]), circuit.square(wu[1])), by: alpha)
    let total = circuit.add(circuit.sum(costs), reg)
    circuit.backward(from: total)
    return SVMCostReport(
        scores: scores.map(\.value), costs: costs.map(\.value), regularization: reg.value,
        total: total.value, gradient: wu.map(\.grad))
}

/// The targets of a batch: class indices for classifiers, values for regression.
public enum Targets<Scalar: BLASScalar>: Sendable {
    /// Class indices in 0..<classes, one per row.
    case classes([Int])
    /// Target values, one row per example ([n, k]).
    case values(Tensor<Scalar>)
}

/// The loss a model is trained on. Each case is a fused kernel in `Tensor` with a hand-written backward.
public enum LossFunction: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Binary hinge, max(0, 1 − y·s), the guide's SVM. Classes {0, 1} become y = −1, +1; one score per row.
    case hinge
    /// Squared binary hinge.
    case squaredHinge
    /// Multiclass SVM (structured hinge), margin 1.
    case multiclassHinge
    /// Softmax cross-entropy.
    case softmaxCrossEntropy
    /// Logistic loss log(1 + e^(−y·s)), binary, one score per row.
    case logistic
    /// Mean squared error (regression).
    case meanSquaredError
    /// Huber loss with threshold δ (regression).
    case huber(delta: Double)

    /// Parses the command-line names: hinge, squared-hinge, multiclass-hinge, softmax, logistic, mse, huber.
    public init?(name: String) {
        switch name {
        case "hinge": self = .hinge
        case "squared-hinge": self = .squaredHinge
        case "multiclass-hinge", "svm": self = .multiclassHinge
        case "softmax", "cross-entropy": self = .softmaxCrossEntropy
        case "logistic": self = .logistic
        case "mse": self = .meanSquaredError
        case "huber": self = .huber(delta: 1)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .hinge: return "hinge"
        case .squaredHinge: return "squared-hinge"
        case .multiclassHinge: return "multiclass-hinge"
        case .softmaxCrossEntropy: return "softmax"
        case .logistic: return "logistic"
        case .meanSquaredError: return "mse"
        case .huber: return "huber"
        }
    }

    /// Binary losses take one score per row and classes {0, 1}.
    public var isBinary: Bool { self == .hinge || self == .squaredHinge || self == .logistic }
    /// Regression losses take value targets.
    public var isRegression: Bool {
        if case .huber = self { return true }
        return self == .meanSquaredError
    }

    /// Number of scores a model needs for `classes` classes.
    public func outputs(classes: Int) -> Int { isBinary ? 1 : classes }

    /// The loss node for `scores` against `targets`, with optional per-example `weights`.
    /// - Throws: `TrainingError.invalidLabel` naming the row when a label does not suit the loss.
    public func callAsFunction<Scalar>(_ scores: Variable<Scalar>, _ targets: Targets<Scalar>, weights: [Scalar]? = nil) throws -> Variable<Scalar> {
        switch (self, targets) {
        case (.softmaxCrossEntropy, .classes(let y)): return try scores.softmaxCrossEntropy(labels: y, weights: weights)
        case (.multiclassHinge, .classes(let y)): return try scores.multiclassHinge(labels: y, weights: weights)
        case (.hinge, .classes(let y)): return try scores.hinge(targets: try Self.signs(y, scores: scores), weights: weights)
        case (.squaredHinge, .classes(let y)): return try scores.squaredHinge(targets: try Self.signs(y, scores: scores), weights: weights)
        case (.logistic, .classes(let y)): return try scores.logistic(targets: try Self.signs(y, scores: scores), weights: weights)
        case (.meanSquaredError, .values(let t)): return try scores.meanSquaredError(targets: t, weights: weights)
        case (.huber(let d), .values(let t)): return try scores.huber(targets: t, delta: Scalar(d), weights: weights)
        case (.meanSquaredError, .classes), (.huber, .classes):
            throw TrainingError.invalidTargets("\(self) is a regression loss and needs numeric targets, not class labels")
        default:
            throw TrainingError.invalidTargets("\(self) is a classification loss and needs class labels, not numeric targets")
        }
    }

    /// Classes {0, 1} as targets ±1, one per row.
    static func signs<Scalar>(_ y: [Int], scores: Variable<Scalar>) throws -> Tensor<Scalar> {
        guard scores.value.columns == 1 else {
            throw TrainingError.invalidTargets("binary losses need one score per row; the model gives \(scores.value.columns)")
        }
        for (row, label) in y.enumerated() where label != 0 && label != 1 {
            throw TrainingError.invalidLabel(row: row, label: "\(label)", expected: "class 0 or 1 for a binary loss")
        }
        // From the tape's arena when there is one: a warm training step allocates nothing for the targets.
        let t = scores.tape?.allocate([y.count, 1]) ?? Tensor<Scalar>.uninitialized([y.count, 1])
        let p = t.unsafeWritePointer
        for (i, label) in y.enumerated() { p[i] = label == 1 ? 1 : -1 }
        return t
    }
}

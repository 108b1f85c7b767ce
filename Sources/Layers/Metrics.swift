/// Accuracy, confusion matrix and per-class precision, recall and F1 of a classifier.
public struct ClassificationMetrics: Codable, Sendable {
    /// confusion[true][predicted] counts.
    public let confusion: [[Int]]
    public let classes: Int

    /// - Throws: `TrainingError.invalidLabel` for a label or prediction outside 0..<classes, or
    ///   `invalidTargets` for lists of different lengths.
    public init(predictions: [Int], labels: [Int], classes: Int) throws {
        guard predictions.count == labels.count else {
            throw TrainingError.invalidTargets("\(predictions.count) predictions for \(labels.count) labels")
        }
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (row, (p, y)) in zip(predictions, labels).enumerated() {
            guard (0..<classes).contains(y) else { throw TrainingError.invalidLabel(row: row, label: "\(y)", expected: "a class in 0..<\(classes)") }
            guard (0..<classes).contains(p) else { throw TrainingError.invalidLabel(row: row, label: "prediction \(p)", expected: "a class in 0..<\(classes)") }
            m[y][p] += 1
        }
        confusion = m
        self.classes = classes
    }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classes).reduce(0) { $0 + confusion[$1][$1] } }
    /// Fraction of examples classified correctly (0 for no examples).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Examples of class c (row sums).
    public func support(_ c: Int) -> Int { confusion[c].reduce(0, +) }
    /// Of the examples predicted c, the fraction that are c (0 when nothing was predicted c).
    public func precision(_ c: Int) -> Double {
        let predicted = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }
    /// Of the examples of class c, the fraction predicted c.
    public func recall(_ c: Int) -> Double {
        let s = support(c)
        return s == 0 ? 0 : Double(confusion[c][c]) / Double(s)
    }
    /// Harmonic mean of precision and recall.
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
    /// Unweighted mean of per-class F1.
    public var macroF1: Double { classes == 0 ? 0 : (0..<classes).map(f1).reduce(0, +) / Double(classes) }
}

/// RMSE and R² of a regression.
public struct RegressionMetrics: Codable, Sendable {
    public let rmse: Double
    /// 1 − SS_res/SS_tot (1 is perfect; 0 is no better than predicting the mean).
    public let r2: Double

    public init<Scalar: BLASScalar>(predictions: Tensor<Scalar>, targets: Tensor<Scalar>) throws {
        guard predictions.count == targets.count else {
            throw TensorError.shapeMismatch(op: "RegressionMetrics", lhs: predictions.shape, rhs: targets.shape)
        }
        let p = predictions.scalars.map(Double.init), t = targets.scalars.map(Double.init)
        let n = Double(max(t.count, 1))
        let mean = t.reduce(0, +) / n
        let ssRes = zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let ssTot = t.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        rmse = (ssRes / n).squareRoot()
        r2 = ssTot == 0 ? (ssRes == 0 ? 1 : 0) : 1 - ssRes / ssTot
    }
}

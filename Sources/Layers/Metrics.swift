/// Accuracy, confusion matrix and per-class precision, recall and F1 of a classifier.
///
/// Averages follow scikit-learn's `classification_report`: the macro average is the unweighted mean over
/// the classes that occur in the labels or the predictions (`unique_labels(y_true, y_pred)`), so a class
/// of the model that this data never mentions — an empty class 0 of labels numbered from 1 — neither
/// counts as a perfect 1 nor drags the mean down with a 0. The weighted average weights each class by its
/// support. A class never predicted has precision 0 (scikit-learn's `zero_division=0`).
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
        guard classes >= 0 else { throw TrainingError.invalidConfiguration("a negative number of classes (\(classes))") }
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
    /// Examples predicted as class c (column sums).
    public func predicted(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + confusion[$1][c] } }

    /// The classes the averages run over: those with at least one example or one prediction.
    public var presentClasses: [Int] { (0..<classes).filter { support($0) > 0 || predicted($0) > 0 } }

    /// The classes with no example and no prediction: shown, but left out of the averages.
    public var absentClasses: [Int] { (0..<classes).filter { support($0) == 0 && predicted($0) == 0 } }

    private func macro(_ metric: (Int) -> Double) -> Double {
        let present = presentClasses
        return present.isEmpty ? 0 : present.map(metric).reduce(0, +) / Double(present.count)
    }

    private func weighted(_ metric: (Int) -> Double) -> Double {
        total == 0 ? 0 : (0..<classes).reduce(0.0) { $0 + metric($1) * Double(support($1)) } / Double(total)
    }

    /// Unweighted mean of per-class precision over `presentClasses`.
    public var macroPrecision: Double { macro(precision) }
    /// Unweighted mean of per-class recall over `presentClasses`.
    public var macroRecall: Double { macro(recall) }
    /// Unweighted mean of per-class F1 over `presentClasses`.
    public var macroF1: Double { macro(f1) }
    /// Support-weighted mean of per-class precision.
    public var weightedPrecision: Double { weighted(precision) }
    /// Support-weighted mean of per-class recall (equal to the accuracy).
    public var weightedRecall: Double { weighted(recall) }
    /// Support-weighted mean of per-class F1.
    public var weightedF1: Double { weighted(f1) }
}

/// RMSE and R² of a regression.
public struct RegressionMetrics: Codable, Sendable {
    public let rmse: Double
    /// 1 − SS_res/SS_tot (1 is perfect; 0 is no better than predicting the mean; 0 when the targets are
    /// constant and the predictions miss them, as scikit-learn's `r2_score` gives).
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

#if canImport(Tensor)
import Tensor
#endif

/// A labelled data set held in memory: one row of `features` per example.
///
/// Labels are class indices `0..<classCount`; `classNames[i]` is the label text as it appeared in the
/// file (for numeric labels, the number in canonical form: `"-1"`, `"3"`, `"0.5"`). Readers sort classes
/// (numerically for numeric labels, by text otherwise), so a training and a test file with the same
/// classes get the same indices. `targets` keeps a numeric label column as read, for regression.
///
/// An unlabelled set (a CSV read with `label: .none`, for prediction) has empty `labels` and
/// `classNames`.
public struct Dataset: Sendable {
    /// The examples, shape `[count, featureCount]`.
    public var features: Tensor<Float>
    /// Class index of each example, or empty for an unlabelled set.
    public var labels: [Int]
    /// Class index → original label text.
    public var classNames: [String]
    /// The label column as numbers, when every label was numeric (regression targets).
    public var targets: [Float]?
    /// Column names from a CSV header, when there was one.
    public var featureNames: [String]?
    /// The label column's name from a CSV header, when there was one (a model stores it, so a file with
    /// its columns in another order is still read right).
    public var labelName: String?
    /// What the reader did that the user should know about although it is not an error: rows left out for
    /// missing values, a first row taken as a header by a guess. Empty for most files.
    public var warnings: [String] = []
    /// The shape of one example: `[featureCount]` for flat rows, `[1, 28, 28]` for an IDX image file,
    /// the trailing dimensions of an NPY array. Each row of `features` holds one example in row-major
    /// order. Set it with `reshapingExamples(to:)`, which checks it.
    public internal(set) var exampleShape: [Int]

    /// A data set from its parts.
    /// - Throws: `DataError.shapeMismatch` if `features` is not a matrix, if `labels` (when not empty)
    ///   or `targets` do not have one entry per row, or a label is outside `0..<classNames.count`.
    public init(features: Tensor<Float>, labels: [Int], classNames: [String], targets: [Float]? = nil,
                featureNames: [String]? = nil, exampleShape: [Int]? = nil) throws {
        guard features.rank == 2 else {
            throw DataError.shapeMismatch(file: "Dataset", expected: "a [count, features] matrix", found: "shape \(features.shape)")
        }
        let n = features.shape[0]
        guard labels.isEmpty || labels.count == n else {
            throw DataError.shapeMismatch(file: "Dataset", expected: "\(n) labels (one per row)", found: "\(labels.count)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError.shapeMismatch(file: "Dataset", expected: "labels in 0..<\(classNames.count)", found: "\(bad)")
        }
        if let targets, targets.count != n {
            throw DataError.shapeMismatch(file: "Dataset", expected: "\(n) targets (one per row)", found: "\(targets.count)")
        }
        if let featureNames, featureNames.count != features.shape[1] {
            throw DataError.shapeMismatch(file: "Dataset", expected: "\(features.shape[1]) feature names", found: "\(featureNames.count)")
        }
        self.init(unchecked: features, labels: labels, classNames: classNames, targets: targets, featureNames: featureNames)
        if let exampleShape { self = try reshapingExamples(to: exampleShape) }
    }

    /// For readers that have already validated their parts.
    init(unchecked features: Tensor<Float>, labels: [Int], classNames: [String], targets: [Float]? = nil,
         featureNames: [String]? = nil, exampleShape: [Int]? = nil) {
        self.exampleShape = exampleShape ?? [features.columns]
        self.features = features
        self.labels = labels
        self.classNames = classNames
        self.targets = targets
        self.featureNames = featureNames
    }

    /// The same examples seen with another per-example shape (`[1, 28, 28]` for rows of 784 pixels).
    /// - Throws: `DataError.shapeMismatch` naming both when the shape's size is not the features per row.
    public func reshapingExamples(to shape: [Int]) throws -> Dataset {
        // checkedProduct: a shape is an argument like any other, and its product must not overflow.
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), checkedProduct(shape) == featureCount else {
            throw DataError.shapeMismatch(file: "Dataset", expected: "an example shape of \(featureCount) features",
                                          found: "\(shape.map(String.init).joined(separator: "×")) = \(checkedProduct(shape).map(String.init) ?? "more than 2⁶³")")
        }
        var copy = self
        copy.exampleShape = shape
        return copy
    }

    /// Number of examples.
    public var count: Int { features.shape[0] }
    /// Number of features per example.
    public var featureCount: Int { features.shape[1] }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Whether the set carries labels.
    public var isLabeled: Bool { !labels.isEmpty || count == 0 }

    /// Number of examples of each class, indexed by class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 && label < counts.count { counts[label] += 1 }
        return counts
    }

    /// The same examples with labels renumbered to index into `classNames` — the training set's classes —
    /// so a test or prediction file that lacks some class, or orders classes differently, still means
    /// the same class by the same index.
    /// - Throws: `DataError.invalidArgument` naming a class of this set that `classNames` does not contain.
    public func aligningClasses(to classNames: [String]) throws -> Dataset {
        var position: [String: Int] = [:]
        for (i, name) in classNames.enumerated() where position[name] == nil { position[name] = i }
        var remap: [Int] = []
        for name in self.classNames {
            guard let i = position[name] else {
                throw DataError.invalidArgument(op: "Dataset.aligningClasses",
                                                reason: "class \(quoted(name)) is not among the \(classNames.count) known classes")
            }
            remap.append(i)
        }
        var copy = self
        copy.labels = labels.map { remap[$0] }
        copy.classNames = classNames
        return copy
    }

    /// The examples at `indices`, in that order (repeats allowed): features, labels and targets gathered
    /// together. Classes are kept as they are, so indices still mean the same class in the subset.
    /// - Throws: `DataError.invalidArgument` naming the first index outside `0..<count`.
    public func subset(_ indices: [Int]) throws -> Dataset {
        let n = count, d = featureCount
        if let bad = indices.first(where: { $0 < 0 || $0 >= n }) {
            throw DataError.invalidArgument(op: "Dataset.subset", reason: "index \(bad) is out of range 0..<\(n)")
        }
        var gathered = Tensor<Float>(zeros: [indices.count, d])
        if d > 0 {
            features.withUnsafeBufferPointer { src in
                gathered.withUnsafeMutableBufferPointer { dst in
                    // Row copies: each row is contiguous in row-major storage.
                    for (r, i) in indices.enumerated() {
                        (dst.baseAddress! + r * d).update(from: src.baseAddress! + i * d, count: d)
                    }
                }
            }
        }
        var result = Dataset(unchecked: gathered,
                             labels: labels.isEmpty ? [] : indices.map { labels[$0] },
                             classNames: classNames,
                             targets: targets.map { t in indices.map { t[$0] } },
                             featureNames: featureNames, exampleShape: exampleShape)
        result.labelName = labelName
        result.warnings = warnings
        return result
    }
}

/// Features and targets to train or evaluate on.
public struct TrainingData<Scalar: BLASScalar>: Sendable {
    /// [n, features].
    public var features: Tensor<Scalar>
    public var targets: Targets<Scalar>
    /// Number of classes (0 for regression).
    public var classes: Int
    /// The shape of one example (`[features]` for flat rows, `[1, 28, 28]` for images): `features`
    /// holds each example as one row of that many scalars.
    public var exampleShape: [Int]

    /// Classification data. - Throws: `TrainingError.invalidLabel` naming the first row whose label is
    /// outside 0..<classes, or `invalidTargets` when the counts differ.
    public init(features: Tensor<Scalar>, labels: [Int], classes: Int? = nil, exampleShape: [Int]? = nil) throws {
        guard features.rank == 2 else { throw TensorError.invalidShape(op: "TrainingData", shape: features.shape, expected: "[examples, features]") }
        self.exampleShape = try Self.checkedShape(exampleShape, features: features)
        guard labels.count == features.rows else {
            throw TrainingError.invalidTargets("\(labels.count) labels for \(features.rows) rows of features")
        }
        let k = classes ?? ((labels.max() ?? -1) + 1)
        for (row, y) in labels.enumerated() where y < 0 || y >= k {
            throw TrainingError.invalidLabel(row: row, label: "\(y)", expected: "a class index in 0..<\(k)")
        }
        self.features = features
        self.targets = .classes(labels)
        self.classes = k
    }

    /// Regression data: targets [n, k] (or [n]).
    public init(features: Tensor<Scalar>, values: Tensor<Scalar>, exampleShape: [Int]? = nil) throws {
        guard features.rank == 2 else { throw TensorError.invalidShape(op: "TrainingData", shape: features.shape, expected: "[examples, features]") }
        self.exampleShape = try Self.checkedShape(exampleShape, features: features)
        let v = values.rank == 1 ? try values.reshaped([values.count, 1]) : values
        guard v.rows == features.rows else { throw TensorError.shapeMismatch(op: "TrainingData targets", lhs: features.shape, rhs: values.shape) }
        guard v.isFinite else { throw TrainingError.invalidTargets("targets contain NaN or infinity") }
        self.features = features
        self.targets = .values(v)
        self.classes = 0
    }

    /// `shape` (or `[features]` when nil), checked against the row length.
    static func checkedShape(_ shape: [Int]?, features: Tensor<Scalar>) throws -> [Int] {
        guard let shape else { return [features.columns] }
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == features.columns else {
            throw TensorError.shapeMismatch(op: "TrainingData example shape vs features per row", lhs: shape, rhs: [features.columns])
        }
        return shape
    }

    public var count: Int { features.rows }

    /// Class labels (empty for regression).
    public var labels: [Int] {
        if case let .classes(y) = targets { return y }
        return []
    }

    /// The examples at `indices`.
    public func subset(_ indices: [Int]) throws -> TrainingData {
        var copy = self
        copy.features = try features.gatherRows(indices)
        switch targets {
        case let .classes(y): copy.targets = .classes(indices.map { y[$0] })
        case let .values(v): copy.targets = .values(try v.gatherRows(indices))
        }
        return copy
    }
}

#if canImport(Tensor)
import Tensor
#endif

/// Row indices of a train / validation / test split.
public struct SplitIndices: Sendable, Equatable {
    /// Rows to train on.
    public var train: [Int]
    /// Rows for model selection (early stopping, hyperparameters).
    public var validation: [Int]
    /// Rows held out for the final measurement.
    public var test: [Int]
}

/// One fold of k-fold cross-validation: train on `train`, measure on `validation`.
public struct Fold: Sendable, Equatable {
    /// Rows to train on in this fold.
    public var train: [Int]
    /// Rows to measure on in this fold (sorted).
    public var validation: [Int]
}

/// Seeded shuffles, splits and folds. The same seed gives the same indices on every machine
/// (`SeededRNG`), so an experiment can be rerun exactly.
public enum Splits {
    /// A random permutation of `0..<count`.
    public static func shuffled(count: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed)
        return rng.permutation(max(count, 0))
    }

    /// Splits `0..<labels.count` into train, validation and test.
    ///
    /// Stratified (the default), each class is split on its own, so every part keeps the class
    /// proportions of the whole (to within one example per class); a class too small to give a part any
    /// example leaves its examples in train, and every class keeps at least one example in train (a
    /// class held out entirely could never be learned). Each part comes shuffled.
    ///
    /// - Parameters:
    ///   - labels: one class label per example.
    ///   - validation: fraction of the examples for validation, in [0, 1).
    ///   - test: fraction for test, in [0, 1); `validation + test` must be below 1.
    ///   - stratified: split each class on its own (`true`) or the examples as one pool.
    ///   - seed: seed of the shuffles.
    /// - Throws: `DataError.invalidArgument` for fractions outside those ranges.
    public static func trainValidationTest(labels: [Int], validation: Double, test: Double = 0,
                                           stratified: Bool = true, seed: UInt64) throws -> SplitIndices {
        guard validation >= 0, test >= 0, validation + test < 1 else {
            throw DataError.invalidArgument(op: "split", reason: "validation (\(validation)) and test (\(test)) fractions must be ≥ 0 and sum below 1")
        }
        var rng = SeededRNG(seed: seed)
        var result = SplitIndices(train: [], validation: [], test: [])
        let groups = stratified ? groupByClass(labels) : [Array(labels.indices)]
        for var members in groups {
            rng.shuffle(&members)
            let c = Double(members.count)
            // Stratified, one example of each class always stays in train.
            let room = stratified ? max(members.count - 1, 0) : members.count
            let nTest = min(Int((c * test).rounded()), room)
            let nValidation = min(Int((c * validation).rounded()), room - nTest)
            result.test += members[0..<nTest]
            result.validation += members[nTest..<(nTest + nValidation)]
            result.train += members[(nTest + nValidation)...]
        }
        // Classes were appended one after another; shuffle so mini-batches mix them.
        rng.shuffle(&result.train)
        rng.shuffle(&result.validation)
        rng.shuffle(&result.test)
        return result
    }

    /// k folds of `0..<count` whose validation parts are disjoint and together cover every index
    /// exactly once. With `labels`, folds are stratified: each class is dealt round-robin across the
    /// folds, so each fold has the class proportions of the whole.
    ///
    /// - Throws: `DataError.invalidArgument` unless `2 ≤ k ≤ count` and `labels` (when given) has `count` entries.
    public static func kFold(count: Int, k: Int, labels: [Int]? = nil, seed: UInt64) throws -> [Fold] {
        guard k >= 2, k <= count else {
            throw DataError.invalidArgument(op: "kFold", reason: "k must be in 2...\(count) (the number of examples), not \(k)")
        }
        if let labels, labels.count != count {
            throw DataError.invalidArgument(op: "kFold", reason: "\(labels.count) labels for \(count) examples")
        }
        var rng = SeededRNG(seed: seed)
        var parts = [[Int]](repeating: [], count: k)
        var dealt = 0   // continues across classes, so fold sizes differ by at most one
        for var members in labels.map(groupByClass) ?? [Array(0..<count)] {
            rng.shuffle(&members)
            for index in members { parts[dealt % k].append(index); dealt += 1 }
        }
        return (0..<k).map { f in
            var train: [Int] = []
            train.reserveCapacity(count - parts[f].count)
            for g in 0..<k where g != f { train += parts[g] }
            rng.shuffle(&train)
            return Fold(train: train, validation: parts[f].sorted())
        }
    }

    /// Indices of each class, classes in ascending order.
    static func groupByClass(_ labels: [Int]) -> [[Int]] {
        var groups: [Int: [Int]] = [:]
        for (i, label) in labels.enumerated() { groups[label, default: []].append(i) }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }
}

extension Dataset {
    /// The examples in a random order.
    public func shuffled(seed: UInt64) -> Dataset {
        // A permutation of 0..<count is always in range, so `subset` cannot throw here.
        (try? subset(Splits.shuffled(count: count, seed: seed))) ?? self
    }

    /// Train, validation and test subsets (stratified by class unless the set is unlabelled or
    /// `stratified` is false). See `Splits.trainValidationTest`.
    public func split(validation: Double, test: Double = 0, stratified: Bool = true,
                      seed: UInt64) throws -> (train: Dataset, validation: Dataset, test: Dataset) {
        let indices = try Splits.trainValidationTest(labels: labels.isEmpty ? [Int](repeating: 0, count: count) : labels,
                                                     validation: validation, test: test,
                                                     stratified: stratified && !labels.isEmpty, seed: seed)
        return (try subset(indices.train), try subset(indices.validation), try subset(indices.test))
    }

    /// k-fold cross-validation folds of this set (stratified by class unless `stratified` is false).
    public func folds(k: Int, stratified: Bool = true, seed: UInt64) throws -> [Fold] {
        try Splits.kFold(count: count, k: k, labels: stratified && !labels.isEmpty ? labels : nil, seed: seed)
    }
}

#if canImport(Tensor)
import Tensor
#endif

extension Dataset {
    /// Splits off a (stratified, seeded) validation set without copying the training rows.
    ///
    /// Rows are swapped in place so the validation rows end up last; the two parts are then row views of
    /// the same storage. Training on Fashion-MNIST this way holds the 188 MB of features once instead of
    /// twice. The validation rows are the ones `Splits.trainValidationTest` picks for the same seed; the
    /// order of rows within each part is not preserved (the trainer shuffles anyway).
    ///
    /// Consumes the dataset: if another copy is still alive, the first swap copies the storage
    /// (copy-on-write) and the saving is lost, but the result is the same.
    /// - Throws: `DataError.invalidArgument` for a fraction outside [0, 1).
    public consuming func partitioned(validation fraction: Double, stratified: Bool = true, seed: UInt64) throws -> (train: Dataset, validation: Dataset) {
        let n = count, d = featureCount, exampleShape = self.exampleShape, labelName = self.labelName
        let split = try Splits.trainValidationTest(labels: labels.isEmpty ? Array(repeating: 0, count: n) : labels,
                                                   validation: fraction, test: 0, stratified: stratified, seed: seed)
        let v = split.validation.count, cut = n - v
        var isValidation = [Bool](repeating: false, count: n)
        for i in split.validation { isValidation[i] = true }
        // Pair each validation row sitting before the cut with a training row sitting after it.
        let early = (0..<cut).filter { isValidation[$0] }
        let late = (cut..<n).filter { !isValidation[$0] }
        var features = self.features
        self.features = Tensor(zeros: [0, d])   // drop our reference so the swaps happen in place
        features.withUnsafeMutableBufferPointer { p in
            guard d > 0, let base = p.baseAddress else { return }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { scratch.deallocate() }
            for (a, b) in zip(early, late) {
                scratch.update(from: base + a * d, count: d)
                (base + a * d).update(from: base + b * d, count: d)
                (base + b * d).update(from: scratch, count: d)
            }
        }
        var labels = self.labels, targets = self.targets
        for (a, b) in zip(early, late) {
            if !labels.isEmpty { labels.swapAt(a, b) }
            targets?.swapAt(a, b)
        }
        var train = try Dataset(features: try features.rows(0..<cut), labels: labels.isEmpty ? [] : Array(labels[0..<cut]),
                                classNames: classNames, targets: targets.map { Array($0[0..<cut]) }, featureNames: featureNames,
                                exampleShape: exampleShape)
        var validation = try Dataset(features: try features.rows(cut..<n), labels: labels.isEmpty ? [] : Array(labels[cut...]),
                                     classNames: classNames, targets: targets.map { Array($0[cut...]) }, featureNames: featureNames,
                                     exampleShape: exampleShape)
        train.labelName = labelName
        validation.labelName = labelName
        return (train, validation)
    }
}

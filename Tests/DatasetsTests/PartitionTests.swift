import Testing
#if canImport(Tensor)
import Tensor
#endif
@testable import Datasets

@Test("partitioned: the same rows as the split, as views of one buffer, labels and targets kept with their rows")
func partitionedMatchesSplit() throws {
    let n = 50, d = 3
    let features = Tensor<Float>(shape: [n, d]) { Float($0) }
    let labels = (0..<n).map { $0 % 3 }
    let data = try Dataset(features: features, labels: labels, classNames: ["a", "b", "c"], targets: (0..<n).map(Float.init))
    let reference = try Splits.trainValidationTest(labels: labels, validation: 0.2, stratified: true, seed: 9)
    let (train, validation) = try data.partitioned(validation: 0.2, stratified: true, seed: 9)
    #expect(train.count == reference.train.count && validation.count == reference.validation.count)
    #expect(train.features.sharesStorage(with: validation.features))
    // Each row still carries its own label and target: row r started as r·d, r·d+1, r·d+2.
    for part in [train, validation] {
        for r in 0..<part.count {
            let original = Int(part.features[r, 0]) / d
            #expect(part.labels[r] == original % 3 && part.targets![r] == Float(original))
        }
    }
    let validationRows = Set((0..<validation.count).map { Int(validation.features[$0, 0]) / d })
    #expect(validationRows == Set(reference.validation))
}

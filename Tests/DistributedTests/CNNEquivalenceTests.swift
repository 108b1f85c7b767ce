import Datasets
import Distributed
import Foundation
import Layers
import Testing

/// A convolutional network under `circuits train --distributed`: 2 ranks end with the parameters of one
/// process at the same global batch — with image augmentation, whose draws every rank makes for the
/// whole global batch and applies to its own part — and batch normalization, whose statistics would be
/// each rank's part's, is refused with a message that says why.
@Suite("Data-parallel CNN", .serialized)
struct CNNEquivalenceTests {
    static let examples = 101, classes = 3

    static func arguments(model: String) -> [String] {
        ["--data", "synthetic:\(examples):16:\(classes)", "--image-shape", "1x4x4", "--model", model, "--optimizer", "adam", "--lr", "0.01",
         "--epochs", "3", "--batch-size", "16", "--seed", "11", "--val-split", "0", "--schedule", "constant", "--augment", "shift:1,flip",
         "--threads", "1", "--double", "--out", temporaryPath("model.safetensors")]
    }

    /// The same run in this process: the data as 1×4×4 images and the layers the grammar builds.
    static func reference() throws -> [(name: String, values: [Double])] {
        let d = ToyDatasets.clusters(count: examples, features: 16, classes: classes, seed: 7)
        let data = try TrainingData(features: d.features.converted(to: Double.self), labels: d.labels, classes: d.classCount, exampleShape: [1, 4, 4])
        var c = TrainingConfiguration()
        c.optimizer = .adam; c.learningRate = 0.01; c.epochs = 3; c.batchSize = 16; c.seed = 11; c.schedule = .constant
        c.augmentation = ImageAugmentation(shift: 1, flip: true)
        var rng = SeededRNG(seed: c.seed)
        let model = try Sequential<Double>(inputShape: [1, 4, 4], specs: [.conv2D(4, kernel: 3), .relu, .maxPool2D(2), .conv2D(5, kernel: 2, padding: .valid),
                                                                          .flatten, .dense(6), .relu, .dense(classes)], rng: &rng)
        try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c).fit(data)
        return model.parameters.map { ($0.name, $0.variable.value.scalars) }
    }

    @Test("2 ranks, Double, Adam, augmentation: a conv net's parameters within 1e-12 of one process")
    func twoRanks() throws {
        let out = temporaryPath("parameters.txt")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try MPIRun.run(ranks: 2, Self.arguments(model: "conv:4x3,relu,pool:2,conv:5x2:valid,dense:6,relu") + ["--parameters-out", out])
        try #require(result.status == 0, "mpirun exited with \(result.status):\n\(result.all)")
        let distributed = try readParameters(out), single = try Self.reference()
        #expect(distributed.map(\.name) == single.map(\.name))
        let (worst, name) = EquivalenceTests.worstRelativeError(distributed, single)
        print("CNN equivalence: 2 ranks: worst relative difference \(worst) (\(name))")
        #expect(worst <= 1e-12, "worst relative difference \(worst) in \(name)")
    }

    @Test("batch norm under --distributed is refused, naming the layer and SyncBatchNorm")
    func batchNormRefused() throws {
        let result = try MPIRun.run(ranks: 2, Self.arguments(model: "conv:4x3,bn,relu,pool:2"))
        #expect(result.status != 0)
        #expect(result.all.contains("BatchNorm2d(4)") && result.all.contains("SyncBatchNorm"), "\(result.all)")
    }
}

import Testing
import Foundation
import Datasets
@testable import Layers

/// Fashion-MNIST end to end (train on the 60,000, report on the 10,000 test images), with the settings
/// the README documents. Installed by `make setup` (Debian's dataset-fashion-mnist).
@Suite("Fashion-MNIST accuracy", .serialized)
struct FashionMNISTTests {
    static let directory = "/usr/share/datasets/fashion-mnist"

    static let data: (train: TrainingData<Float>, test: TrainingData<Float>)? = {
        guard let (train, test) = try? IDXReader.readDirectory(directory) else { return nil }
        return (try! TrainingData(features: train.features, labels: train.labels, classes: 10),
                try! TrainingData(features: test.features, labels: test.labels, classes: 10))
    }()

    func testAccuracy(hidden: [Int], loss: LossFunction, configure: (inout TrainingConfiguration) -> Void) throws -> Double {
        guard let data = Self.data else {
            Issue.record("Fashion-MNIST is missing at \(Self.directory): run `make setup`")
            return 0
        }
        BLAS.threads = 2   // results are bit-reproducible for a fixed thread count
        var cfg = TrainingConfiguration()
        cfg.seed = 42
        configure(&cfg)
        var rng = SeededRNG(seed: cfg.seed)
        let model = try Sequential<Float>.mlp(inputs: 784, hidden: hidden, outputs: 10, rng: &rng)
        let trainer = try Trainer(model: model, loss: loss, configuration: cfg)
        try trainer.fit(data.train)
        let m = try ClassificationMetrics(predictions: try model.predictClasses(data.test.features), labels: data.test.labels, classes: 10)
        print("Fashion-MNIST \(loss) hidden \(hidden): test accuracy \(m.accuracy)")
        return m.accuracy
    }

    @Test func softmaxRegression() throws {
        let accuracy = try testAccuracy(hidden: [], loss: .softmaxCrossEntropy) {
            $0.epochs = 15; $0.optimizer = .momentum; $0.learningRate = 0.05; $0.schedule = .cosine(minimumFactor: 0)
        }
        #expect(accuracy >= 0.84)
    }

    @Test func linearMulticlassSVM() throws {
        let accuracy = try testAccuracy(hidden: [], loss: .multiclassHinge) {
            $0.epochs = 15; $0.optimizer = .momentum; $0.learningRate = 0.05; $0.schedule = .cosine(minimumFactor: 0)
        }
        #expect(accuracy >= 0.84)
    }

    @Test func mlp() throws {
        let accuracy = try testAccuracy(hidden: [256, 128], loss: .softmaxCrossEntropy) {
            $0.epochs = 20; $0.optimizer = .adam; $0.learningRate = 0.001; $0.schedule = .cosine(minimumFactor: 0)
        }
        #expect(accuracy >= 0.895)
    }
}

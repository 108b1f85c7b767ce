import Foundation
import Testing
import Layers

/// The README's `Layers` example, with a small data set standing in for Fashion-MNIST.
@Test("README: build, train and save a model with the Layers API")
func readmeLayersExample() throws {
    var data = SeededRNG(seed: 1)
    let x = Tensor<Float>.randomNormal([64, 784], using: &data)
    let y = (0..<64).map { $0 % 10 }
    let names = (0..<10).map(String.init)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    var rng = SeededRNG(seed: 42)
    let model = try Sequential<Float>(inputShape: [784], specs: [.dense(256), .activation(.gelu), .dropout(0.1), .dense(10)], rng: &rng)
    var settings = TrainingConfiguration()
    settings.optimizer = .adam; settings.learningRate = 1e-3; settings.epochs = 2
    settings.schedule = .cosine(minimumFactor: 0)
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: settings)
    let history = try trainer.fit(try TrainingData(features: x, labels: y, classes: 10))
    try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: names).write(to: url)   // loads into torch.nn.Sequential

    #expect(history.epochs.count == 2)
    #expect(try ModelFile<Float>.read(from: url).model.predict(x) == model.predict(x))
}

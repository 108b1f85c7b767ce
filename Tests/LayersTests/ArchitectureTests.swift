import Foundation
import Testing
@testable import Layers

/// The layer architecture: shapes inferred and checked at build time, the registry of kinds, specs that
/// round-trip through JSON, one training state that a checkpoint carries exactly.
@Suite("Layer architecture: shapes, registry, training state")
struct ArchitectureTests {
    @Test("shapes are inferred layer by layer; the model summary shows them")
    func shapes() throws {
        var rng = SeededRNG(seed: 1)
        let model = try Sequential<Float>(inputShape: [2, 3, 4], specs: [.flatten, .dense(5), .activation(.gelu), .dropout(0.1), .dense(3)], rng: &rng)
        #expect(model.shapes == [[24], [5], [5], [5], [3]])
        #expect(model.outputShape == [3] && model.inputCount == 24 && model.outputCount == 3)
        #expect(model.summary == "Flatten → Dense(24→5) → GELU(tanh) → Dropout(0.1) → Dense(5→3)")
        #expect(model.parameters.map(\.name) == ["1.weight", "1.bias", "4.weight", "4.bias"])
        // A batch of examples of the input shape, or of flat rows: the same scores.
        let x = Tensor<Float>.randomNormal([4, 24], using: &rng)
        #expect(try model.predict(x) == model.predict(try x.reshaped([4, 2, 3, 4])))
        #expect(try model.activations(x, throughLayer: 2).shape == [4, 5])
    }

    @Test("a layer that cannot take its input fails the build, naming the layer, its position and both shapes")
    func mismatch() throws {
        var rng = SeededRNG(seed: 1)
        #expect(throws: LayerError.incompatibleInput(layer: "Dense(8)", position: 2, input: [1, 28, 28],
                                                     expected: "a vector of features [in] (put a flatten layer before it)")) {
            try Sequential<Float>(inputShape: [1, 28, 28], specs: [.relu, .dropout(0.5), .dense(8)], rng: &rng)
        }
        let error = LayerError.incompatibleInput(layer: "Dense(8)", position: 2, input: [1, 28, 28], expected: "[784]")
        #expect(error.description == "layer 2 (Dense(8)) cannot take input of shape [1, 28, 28]: expected [784]")
        #expect(throws: LayerError.self) { try Sequential<Float>(inputShape: [4], specs: [.dense(0)], rng: &rng) }
        #expect(throws: LayerError.self) { try Sequential<Float>(inputShape: [4], specs: [.dropout(1)], rng: &rng) }
        // Built layers composed by hand are checked the same way.
        let a = try Dense<Float>(inputs: 4, outputs: 3, rng: &rng), b = try Dense<Float>(inputs: 5, outputs: 2, rng: &rng)
        #expect(throws: LayerError.incompatibleInput(layer: "Dense(5→2)", position: 1, input: [3], expected: "[5]")) { try Sequential([a, b]) }
        // Data of another shape than the model's input.
        let model = try Sequential<Float>.mlp(inputs: 784, hidden: [8], outputs: 2, rng: &rng)
        try model.checkInput([1, 28, 28])   // an MLP takes images flattened
        #expect(throws: LayerError.self) { try model.checkInput([1, 28, 27]) }
    }

    @Test("every built-in kind is registered and its spec round-trips through JSON; an unknown kind is named")
    func registry() throws {
        #expect(Set(LayerRegistry.kinds).isSuperset(of: ["dense", "activation", "dropout", "flatten"]))
        let specs: [LayerSpec] = [.dense(7, bias: false), .activation(.leakyRelu(slope: 0.2)), .activation(.elu(alpha: 0.5)), .dropout(0.25), .flatten]
        let data = try JSONEncoder().encode(specs)
        #expect(try JSONDecoder().decode([LayerSpec].self, from: data) == specs)
        #expect(String(decoding: try JSONEncoder().encode(LayerSpec.dense(3)), as: UTF8.self).contains("\"kind\":\"dense\""))
        #expect(throws: LayerError.unknownKind("conv9d", known: LayerRegistry.kinds)) {
            try JSONDecoder().decode(LayerSpec.self, from: Data(#"{"kind":"conv9d","config":{}}"#.utf8))
        }
    }

    /// A layer defined outside the package: one type, one registration.
    struct ScaleConfiguration: LayerConfiguration, Equatable {
        static let kind = "test-scale"
        var factor: Double
        var description: String { "Scale(\(factor))" }
        func outputShape(for input: [Int]) throws -> [Int] { input }
        func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
            Scale<Scalar>(factor: factor)
        }
    }
    final class Scale<Scalar: BLASScalar>: Layer {
        let factor: Double
        var isTraining = true
        init(factor: Double) { self.factor = factor }
        var parameters: [Parameter<Scalar>] { [] }
        var spec: LayerSpec { LayerSpec(ScaleConfiguration(factor: factor)) }
        func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x * Scalar(factor) }
    }

    @Test("a registered outside layer is saved and loaded by model files")
    func outsideLayer() throws {
        LayerRegistry.register(ScaleConfiguration.self)
        var rng = SeededRNG(seed: 2)
        let model = try Sequential<Float>(inputShape: [3], specs: [.dense(4), LayerSpec(ScaleConfiguration(factor: -2)), .dense(2)], rng: &rng)
        let file = try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["a", "b"]).container()
        let loaded = try ModelFile<Float>.decode(file)
        #expect(loaded.model.specs == model.specs)
        let x = Tensor<Float>.randomNormal([5, 3], using: &rng)
        #expect(try loaded.model.predict(x) == model.predict(x))
    }

    func trainer(epochs: Int, seed: UInt64 = 4) throws -> (Trainer<Float>, TrainingData<Float>) {
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>(inputShape: [2], specs: [.dense(12), .activation(.silu), .dropout(0.2), .dense(8), .relu, .dense(3)], rng: &rng)
        var c = TrainingConfiguration()
        c.optimizer = .adam; c.learningRate = 0.01; c.epochs = epochs; c.batchSize = 16; c.seed = seed
        c.schedule = .cosine(minimumFactor: 0.05)
        let x = Tensor<Float>.randomNormal([120, 2], using: &rng)
        let labels = (0..<120).map { i in x[i, 0] > 0 ? (x[i, 1] > 0 ? 0 : 1) : 2 }
        return (try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c), try TrainingData(features: x, labels: labels))
    }

    @Test("a checkpoint carries the whole training state: stopped, encoded, decoded, resumed = uninterrupted, bit for bit")
    func checkpointResume() throws {
        let (straight, data) = try trainer(epochs: 6)
        try straight.fit(data)
        // Stop after 3 of the 6 epochs (the schedule spans 6), snapshot through the file format.
        let (first, _) = try trainer(epochs: 6)
        _ = try first.fit(data) { event in
            if case let .epoch(r) = event, r.epoch == 3 { return .stop }
            return .proceed
        }
        #expect(first.completedEpochs == 3)
        let bytes = try Checkpoint(file: ModelFile(model: first.model, loss: first.loss, classNames: ["a", "b", "c"]),
                                   state: first.state, fingerprint: "test").encode()
        let decoded = try Checkpoint<Float>.decode(bytes)
        #expect(decoded.fingerprint == "test" && decoded.state.completedEpochs == 3 && decoded.state.history.count == 3)
        let (resumed, _) = try trainer(epochs: 6, seed: 4)
        try resumed.restore(decoded.state)
        try resumed.fit(data)
        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.variable.value.scalars.map(\.bitPattern) == b.variable.value.scalars.map(\.bitPattern), "\(a.name)")
        }
        #expect(resumed.history.map(\.learningRate) == straight.history.map(\.learningRate))
        // A state that does not fit is refused with a clear error.
        var broken = decoded.state
        broken.parameters.removeLast()
        #expect(throws: LayerError.self) { try resumed.restore(broken) }
    }

    @Test("hyperparameter search varies the rate and the epoch count under a relative schedule")
    func searchSchedules() throws {
        var rng = SeededRNG(seed: 9)
        let x = Tensor<Double>.randomNormal([60, 2], using: &rng)
        let data = try TrainingData(features: x, labels: (0..<60).map { x[$0, 0] > 0 ? 1 : 0 })
        var base = TrainingConfiguration()
        base.optimizer = .momentum
        base.schedule = .cosine(minimumFactor: 0.01)
        let search = HyperparameterSearch(space: SearchSpace(learningRates: [0.1, 0.01], l2: [0], batchSizes: [16], hiddenWidths: [[4]], epochs: [2, 5]),
                                          folds: 2, base: base)
        let results = try search.run(data)
        #expect(results.count == 4)
        for r in results {
            let p = r.point
            let want = (0..<p.epochs).map { LearningRateSchedule.cosine(minimumFactor: 0.01).rate(base: p.learningRate, epoch: $0, totalEpochs: p.epochs) }
            #expect(r.learningRates == want, "\(p)")
            #expect(r.learningRates.first == p.learningRate)
        }
    }
}

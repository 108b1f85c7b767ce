import Foundation
import Testing
@testable import Layers
import Tensor

// The recurrent layers: shapes and errors, PyTorch's parameter names and layouts (weights from the
// fixtures of scripts/make_rnn_fixtures.py, loaded by name, give torch's outputs and final states),
// models in Sequential and model files, and the character language model's file and sampling.

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

private func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor<Double> {
    switch file[name] {
    case let .float(t)?: return t.converted(to: Double.self)
    case let .double(t)?: return t
    case .int64?: throw SafeTensorsError.dtypeMismatch(file: file.fileName, tensor: name, expected: "F32 or F64", found: "I64")
    case nil: throw SafeTensorsError.missingTensor(file: file.fileName, tensor: name)
    }
}

@Suite("Recurrent layers: shapes, PyTorch names, model files, language model")
struct RecurrentLayerTests {
    @Test("output shapes: sequence, last, mean; concatenated or summed directions; errors name the shape")
    func shapes() throws {
        let lstm = RecurrentConfiguration(cell: .lstm, hidden: 8, layers: 2)
        #expect(try lstm.outputShape(for: [28, 28]) == [28, 8])
        var c = lstm
        c.bidirectional = true
        c.output = .last
        #expect(try c.outputShape(for: [28, 28]) == [16])
        c.merge = .sum
        c.output = .mean
        #expect(try c.outputShape(for: [5, 3]) == [8])
        #expect(throws: LayerError.self) { try lstm.outputShape(for: [784]) }
        do {
            _ = try lstm.outputShape(for: [784])
        } catch let error as LayerError {
            #expect(error.description.contains("[784]") && error.description.contains("[steps, features]"))
        }
        var bad = lstm
        bad.dropout = 1
        #expect(throws: LayerError.self) { try bad.outputShape(for: [3, 3]) }
        // The layer itself refuses a feature count other than the one its weights were built for.
        var rng = SeededRNG(seed: 1)
        let layer = try Recurrent<Float>(lstm, features: 28, rng: &rng)
        #expect(throws: LayerError.self) { try layer.outputShape(for: [28, 27]) }
        #expect(lstm.parameterCount(features: 28) == layer.parameters.reduce(0) { $0 + $1.variable.value.count })
    }

    @Test("parameters carry PyTorch's names and shapes (weight_ih_l1_reverse [4H, 2H], …)")
    func names() throws {
        var rng = SeededRNG(seed: 2)
        let layer = try Recurrent<Double>(RecurrentConfiguration(cell: .lstm, hidden: 5, layers: 2, bidirectional: true), features: 3, rng: &rng)
        let byName = Dictionary(uniqueKeysWithValues: layer.parameters.map { ($0.name, $0.variable.value.shape) })
        #expect(byName.count == 16)
        #expect(byName["weight_ih_l0"] == [20, 3])
        #expect(byName["weight_hh_l0_reverse"] == [20, 5])
        #expect(byName["weight_ih_l1_reverse"] == [20, 10])
        #expect(byName["bias_hh_l1"] == [20])
        let gru = try Recurrent<Double>(RecurrentConfiguration(cell: .gru, hidden: 4, bias: false), features: 3, rng: &rng)
        #expect(gru.parameters.map(\.name) == ["weight_ih_l0", "weight_hh_l0"])
    }

    /// The fixture's weights copied into a layer by name; the layer's outputs and final states against torch's.
    func matchTorch(cell: String, name: String, configuration: RecurrentConfiguration) throws -> Double {
        let file = try SafeTensorsFile.read(from: fixtures.appendingPathComponent(cell + ".safetensors"))
        func ref(_ key: String) throws -> Tensor<Double> { try tensor(file, name + "." + key) }
        let x = try ref("x")
        var rng = SeededRNG(seed: 3)
        let layer = try Recurrent<Double>(configuration, features: x.shape[2], rng: &rng)
        for p in layer.parameters {
            let w = try ref(p.name)
            #expect(w.shape == p.variable.value.shape, "\(p.name): torch \(w.shape), ours \(p.variable.value.shape)")
            p.variable.value = w
        }
        func states(_ key: String) throws -> [Tensor<Double>] {
            let t = try ref(key)
            return try (0..<t.shape[0]).map { try t.rows($0..<($0 + 1)).reshaped([t.shape[1], t.shape[2]]) }
        }
        let initial = RecurrentState(hidden: try states("h0"), cell: cell == "lstm" ? try states("c0") : [])
        let (y, final) = try layer.run(.dense(Variable(x, requiresGrad: false)), initial: initial)
        var worst = 0.0
        func compare(_ a: Tensor<Double>, _ b: Tensor<Double>) {
            #expect(a.shape == b.shape)
            for k in 0..<min(a.count, b.count) { worst = max(worst, abs(a[flat: k] - b[flat: k])) }
        }
        compare(y.value, try ref("out"))
        for (k, h) in try states("h_n").enumerated() { compare(final.hidden[k], h) }
        if cell == "lstm" { for (k, c) in try states("c_n").enumerated() { compare(final.cell[k], c) } }
        return worst
    }

    @Test("weights loaded by PyTorch name reproduce torch's stacks and bidirectional layers", arguments: ["rnn", "lstm", "gru"])
    func torchWeights(cell: String) throws {
        let kind: RecurrentConfiguration.Cell = cell == "rnn" ? .rnnTanh : cell == "lstm" ? .lstm : .gru
        let file = try SafeTensorsFile.read(from: fixtures.appendingPathComponent(cell + ".safetensors"))
        let hidden = file["stack2.weight_hh_l0"]!.shape[1]
        let stack = try matchTorch(cell: cell, name: "stack2", configuration: .init(cell: kind, hidden: hidden, layers: 2))
        #expect(stack < 1e-6, "\(cell) stack2: worst difference \(stack)")
        let bi = try matchTorch(cell: cell, name: "bidirectional", configuration: .init(cell: kind, hidden: hidden, bidirectional: true))
        #expect(bi < 1e-6, "\(cell) bidirectional: worst difference \(bi)")
    }

    @Test("Sequential: rows of an image as steps → BiLSTM (last) → dense; model file round trip")
    func sequentialModel() throws {
        var rng = SeededRNG(seed: 4)
        let specs: [LayerSpec] = [.rowsAsSteps, .recurrent(.init(cell: .lstm, hidden: 6, bidirectional: true, output: .last)), .dense(3)]
        let model = try Sequential<Float>(inputShape: [1, 5, 4], specs: specs, rng: &rng)
        #expect(model.shapes == [[5, 4], [12], [3]])
        let x = Tensor<Float>.randomUniform([7, 1, 5, 4], low: 0, high: 1, using: &rng)
        let before = try model.predict(x)
        #expect(before.shape == [7, 3])
        let file = ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: [])
        let decoded = try ModelFile<Float>.decode(try SafeTensorsFile.decode(try file.container().encode()))
        #expect(try decoded.model.predict(x) == before)
        #expect(decoded.model.specs == model.specs)
    }

    @Test("a sequence classifier learns which half of the sequence holds the marker")
    func learns() throws {
        var rng = SeededRNG(seed: 5)
        let n = 64, t = 6
        var features: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let label = i % 2, step = label == 0 ? rng.nextInt(below: t / 2) : t / 2 + rng.nextInt(below: t / 2)
            for s in 0..<t { features += [s == step ? 1 : 0, Float(rng.nextDouble() * 0.1)] }
            labels.append(label)
        }
        let model = try Sequential<Float>(inputShape: [t, 2], specs: [.recurrent(.init(cell: .gru, hidden: 8, output: .last)), .dense(2)], rng: &rng)
        var config = TrainingConfiguration()
        config.optimizer = .adam
        config.learningRate = 0.02
        config.batchSize = 16
        config.epochs = 60
        let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: config)
        let data = try TrainingData(features: Tensor(shape: [n, t * 2]) { features[$0] }, labels: labels, classes: 2, exampleShape: [t, 2])
        _ = try trainer.fit(data)
        let predictions = try model.predict(data.features)
        var correct = 0
        for i in 0..<n { correct += (predictions[i, 1] > predictions[i, 0] ? 1 : 0) == labels[i] ? 1 : 0 }
        #expect(correct >= 60, "\(correct) of \(n) right")
    }

    @Test("language model: file round trip keeps vocabulary and weights; sampling is reproducible; unknown prime is an error")
    func languageModel() throws {
        var rng = SeededRNG(seed: 6)
        let vocabulary = ["\n", " ", "a", "b", "é"]
        let model = try CharacterLanguageModel<Float>(vocabulary: vocabulary, configuration: .init(cell: .lstm, hidden: 7, layers: 2), rng: &rng)
        var a = SeededRNG(seed: 9), b = SeededRNG(seed: 9)
        let first = try model.sample(prime: "ab", length: 40, temperature: 0.9, rng: &a)
        let decoded = try CharacterLanguageModel<Float>.decode(try SafeTensorsFile.decode(try model.container().encode()))
        #expect(decoded.vocabulary == vocabulary)
        #expect(try decoded.sample(prime: "ab", length: 40, temperature: 0.9, rng: &b) == first)
        #expect(first.unicodeScalars.count == 40)
        #expect(throws: LanguageModelError.unknownCharacter("z", position: 1)) { try model.encode("az") }
        // Evaluation of random weights is near log V nats per character, and finite.
        let loss = try model.evaluate(ids: (0..<500).map { $0 % 5 }, batch: 4, steps: 10)
        #expect(loss > 1 && loss < 2.5)
    }

    @Test("text streams: chunks cover each stream's characters once, targets one to the right")
    func streams() {
        let ids = Array(0..<23)
        let s = TextStreams(ids: ids, batch: 2, steps: 4)
        #expect(s.streamLength == 11 && s.chunks == 3)
        let (i0, t0, l0) = s.chunk(0)
        #expect(l0 == 4 && i0 == [0, 1, 2, 3, 11, 12, 13, 14] && t0 == [1, 2, 3, 4, 12, 13, 14, 15])
        let (i2, t2, l2) = s.chunk(2)
        #expect(l2 == 2 && i2 == [8, 9, 19, 20] && t2 == [9, 10, 20, 21])
    }
}

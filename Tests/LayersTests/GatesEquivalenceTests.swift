import Testing
import Gates
@testable import Layers

/// The scalar engine and the vectorized engine are the same circuit: from the same start, sample order
/// and hyperparameters they end with the same parameters (to 1e-9 in Double).
@Suite("Gates and Layers agree")
struct GatesEquivalenceTests {
    func order(_ count: Int, iterations: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed)
        return (0..<iterations).map { _ in rng.nextInt(below: count) }
    }

    func vectorizedTrainer(_ model: Sequential<Double>, loss: LossFunction, lr: Double, l2: Double) throws -> Trainer<Double> {
        var cfg = TrainingConfiguration()
        cfg.optimizer = .sgd; cfg.learningRate = lr; cfg.regularization = .l2(l2); cfg.batchSize = 1
        return try Trainer(model: model, loss: loss, configuration: cfg)
    }

    @Test func guideSVM() throws {
        let svm = SVM(a: 1, b: -2, c: -1, stepSize: 0.01)
        let dense = try Dense<Double>(weight: Tensor([[1], [-2]]), bias: Tensor([-1]))
        let trainer = try vectorizedTrainer(try Sequential([dense]), loss: .hinge, lr: 0.01, l2: 1)
        for i in order(6, iterations: 1000, seed: 3) {
            let p = GuideData.points[i], label = GuideData.labels[i]
            svm.learnFrom(p[0], p[1], label: label)
            try trainer.step(try Tensor([p]), .classes([label == 1 ? 1 : 0]))
        }
        let v = [dense.weight.value[0, 0], dense.weight.value[1, 0], dense.bias!.value[flat: 0]]
        for (a, b) in zip(svm.parameters, v) { #expect(abs(a - b) < 1e-9, "\(svm.parameters) vs \(v)") }
    }

    @Test func guideTwoLayerNet() throws {
        var rng = SeededRNG(seed: 12)
        let p = (0..<13).map { _ in rng.uniform(-0.5, 0.5) }   // a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4
        let net = TwoLayerNet(parameters: p, stepSize: 0.01)
        let l1 = try Dense<Double>(weight: Tensor([[p[0], p[3], p[6]], [p[1], p[4], p[7]]]), bias: Tensor([p[2], p[5], p[8]]))
        let l2 = try Dense<Double>(weight: Tensor([[p[9]], [p[10]], [p[11]]]), bias: Tensor([p[12]]))
        let trainer = try vectorizedTrainer(try Sequential([l1, Activation<Double>(.relu), l2]), loss: .hinge, lr: 0.01, l2: 1)
        for i in order(6, iterations: 800, seed: 4) {
            let x = GuideData.points[i], label = GuideData.labels[i]
            net.learnFrom(x[0], x[1], label: label)
            try trainer.step(try Tensor([x]), .classes([label == 1 ? 1 : 0]))
        }
        let q = net.parameterValues
        for j in 0..<3 {
            #expect(abs(l1.weight.value[0, j] - q[3 * j]) < 1e-9 && abs(l1.weight.value[1, j] - q[3 * j + 1]) < 1e-9)
            #expect(abs(l1.bias!.value[flat: j] - q[3 * j + 2]) < 1e-9 && abs(l2.weight.value[j, 0] - q[9 + j]) < 1e-9)
        }
        #expect(abs(l2.bias!.value[flat: 0] - q[12]) < 1e-9)
    }

    /// A general scalar net (multiclass SVM, mini-batches with a short last one) against Sequential.
    @Test(arguments: [1, 4])
    func scalarNetMatchesSequential(batchSize: Int) throws {
        let widths = [5, 4, 3, 3]
        var rng = SeededRNG(seed: 21)
        let weights = (0..<3).map { l in (0..<(widths[l + 1] * widths[l])).map { _ in rng.uniform(-0.5, 0.5) } }
        let biases = (0..<3).map { l in (0..<widths[l + 1]).map { _ in rng.uniform(-0.1, 0.1) } }
        let inputs = (0..<10).map { _ in (0..<5).map { _ in rng.uniform(-1, 1) } }
        let labels = (0..<10).map { $0 % 3 }
        let sampleOrder = order(10, iterations: 30, seed: 5)

        let scalar = ScalarNet(inputWidth: 5, hiddenWidths: [4, 3], outputCount: 3, loss: .multiclassSVM, weights: weights, biases: biases)
        _ = scalar.train(inputs: inputs, labels: labels, order: sampleOrder, batchSize: batchSize, learningRate: 0.05, regularization: 0.01)

        // ScalarNet stores out×in row-major; Dense stores in×out.
        let layers: [any Layer<Double>] = try (0..<3).flatMap { l -> [any Layer<Double>] in
            let w = try Tensor<Double>(weights[l], shape: [widths[l + 1], widths[l]]).transposed()
            let dense = try Dense<Double>(weight: w, bias: Tensor(biases[l]))
            return l < 2 ? [dense, Activation<Double>(.relu)] : [dense]
        }
        let model = try Sequential(layers)
        var cfg = TrainingConfiguration()
        cfg.optimizer = .sgd; cfg.learningRate = 0.05; cfg.regularization = .l2(0.01)
        let trainer = try Trainer(model: model, loss: .multiclassHinge, configuration: cfg)
        let x = try Tensor<Double>(inputs)
        for start in stride(from: 0, to: sampleOrder.count, by: batchSize) {
            let idx = Array(sampleOrder[start..<min(start + batchSize, sampleOrder.count)])
            try trainer.step(try x.gatherRows(idx), .classes(idx.map { labels[$0] }))
        }
        let dense = model.layers.compactMap { $0 as? Dense<Double> }
        for l in 0..<3 {
            let w = try dense[l].weight.value.transposed().scalars
            for (a, b) in zip(scalar.weights[l], w) { #expect(abs(a - b) < 1e-9) }
            for (a, b) in zip(scalar.biases[l], dense[l].bias!.value.scalars) { #expect(abs(a - b) < 1e-9) }
        }
    }
}

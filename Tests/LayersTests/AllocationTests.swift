import Testing
@testable import Layers

/// A warm training step reuses every tensor buffer (tape arena, gradients, optimizer state), whatever
/// layers and loss the model has: the hot-loop rule, checked on a net with every layer kind.
@Suite("A warm training step allocates no tensor buffers", .serialized)
struct AllocationTests {
    static let specs: [LayerSpec] = [
        .dense(16), .relu, .dropout(0.2),
        .dense(12), .activation(.leakyRelu(slope: 0.05)),
        .dense(10), .activation(.tanh),
        .dense(8), .activation(.sigmoid),
        .dense(9), .activation(.softplus), .dense(7), .activation(.elu(alpha: 1)),
        .dense(8), .activation(.gelu), .dense(8), .activation(.silu),
    ]

    @Test(arguments: [LossFunction.softmaxCrossEntropy, .multiclassHinge, .hinge, .squaredHinge, .logistic,
                      .meanSquaredError, .huber(delta: 1)])
    func warmStepsAllocateNothing(loss: LossFunction) throws {
        var rng = SeededRNG(seed: 3)
        let outputs = loss.isRegression ? 1 : loss.outputs(classes: 4)
        let model = try Sequential<Float>(inputShape: [6], specs: Self.specs + [.dense(outputs)], rng: &rng)
        for optimizer in [OptimizerKind.momentum, .adam] {
            var config = TrainingConfiguration()
            config.optimizer = optimizer
            config.learningRate = 0.01
            config.regularization = .l2(1e-4)
            let trainer = try Trainer(model: model, loss: loss, configuration: config)
            let x = Tensor<Float>.randomNormal([32, 6], using: &rng)
            let targets: Targets<Float> = loss.isRegression
                ? .values(Tensor<Float>.randomNormal([32, 1], using: &rng))
                : .classes((0..<32).map { $0 % (loss.outputs(classes: 4) == 1 ? 2 : 4) })
            for _ in 0..<3 { try trainer.step(x, targets) }   // warm: arena, gradients, optimizer state
            // The counter is process-wide: tests running in parallel (plain `swift test`) add to it. An
            // allocation of the step shows in every window, so the smallest of up to ten windows decides.
            var fewest = Int.max
            for _ in 0..<10 where fewest > 0 {
                let before = Tensor<Float>.buffersAllocated
                for _ in 0..<5 { try trainer.step(x, targets) }
                fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
            }
            #expect(fewest == 0, "\(loss) with \(optimizer): \(fewest) buffers in 5 warm steps")
        }
    }
}

/// The same rule for the chapter-4 layers: a conv net (convolution, batch norm on maps and features,
/// max and average pooling, global average pooling, dropout on maps) and recurrent nets (stacked and
/// bidirectional LSTM, GRU) under both optimizers.
@Suite("A warm step of a conv or recurrent net allocates no tensor buffers", .serialized)
struct ChapterFourAllocationTests {
    static let models: [(name: String, input: [Int], specs: [LayerSpec])] = [
        ("conv", [1, 12, 10], [
            .conv2D(4, kernel: 3), .batchNorm(), .relu, .maxPool2D(2), .dropout(0.2),
            .conv2D(6, kernel: Size2D(height: 3, width: 2), stride: 2, padding: .valid), .relu, .avgPool2D(2, stride: 1),
            .globalAveragePool, .batchNorm(), .dense(5),
        ]),
        ("lstm", [7, 3], [.recurrent(RecurrentConfiguration(cell: .lstm, hidden: 6, layers: 2, bidirectional: true, output: .last)), .dense(5)]),
        ("gru", [1, 6, 4], [.rowsAsSteps, .recurrent(RecurrentConfiguration(cell: .gru, hidden: 5, output: .mean)), .dense(5)]),
    ]

    @Test(arguments: [0, 1, 2])
    func warmStepsAllocateNothing(model index: Int) throws {
        let (name, input, specs) = Self.models[index]
        var rng = SeededRNG(seed: 5)
        let model = try Sequential<Float>(inputShape: input, specs: specs, rng: &rng)
        for optimizer in [OptimizerKind.momentum, .adam] {
            var config = TrainingConfiguration()
            config.optimizer = optimizer
            config.learningRate = 0.01
            let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: config)
            let x = Tensor<Float>.randomNormal([8, input.reduce(1, *)], using: &rng)
            let targets: Targets<Float> = .classes((0..<8).map { $0 % 5 })
            for _ in 0..<3 { try trainer.step(x, targets) }
            var fewest = Int.max
            for _ in 0..<10 where fewest > 0 {
                let before = Tensor<Float>.buffersAllocated
                for _ in 0..<5 { try trainer.step(x, targets) }
                fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
            }
            #expect(fewest == 0, "\(name) with \(optimizer): \(fewest) buffers in 5 warm steps")
        }
    }
}

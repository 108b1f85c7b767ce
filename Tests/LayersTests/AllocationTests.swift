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
            // allocation of the step shows in every window, so the smallest of three windows decides.
            var fewest = Int.max
            for _ in 0..<3 where fewest > 0 {
                let before = Tensor<Float>.buffersAllocated
                for _ in 0..<5 { try trainer.step(x, targets) }
                fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
            }
            #expect(fewest == 0, "\(loss) with \(optimizer): \(fewest) buffers in 5 warm steps")
        }
    }
}

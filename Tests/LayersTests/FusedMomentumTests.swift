import Testing
@testable import Layers

/// Momentum fused with the backward (the velocity updated by the weight-gradient GEMMs, its μ deferred
/// into a scale) trains exactly as the unfused v ← μv + g, p ← p − η·v: same parameters, same velocity.
@Suite("Fused momentum equals the unfused update")
struct FusedMomentumTests {
    func blobs(_ n: Int, seed: UInt64) throws -> (Tensor<Double>, [Int]) {
        var rng = SeededRNG(seed: seed)
        let x = Tensor<Double>.randomNormal([n, 6], using: &rng)
        return (x, (0..<n).map { _ in rng.nextInt(below: 3) })
    }

    /// Trains two copies of one MLP, one fused (the trainer's default) and one unfused (a clip norm no
    /// gradient reaches turns the fusion off), and compares them every 25 steps.
    func compare(momentum: Double, regularization: Regularization, steps: Int) throws -> (scales: [Double], maxDifference: Double) {
        var cfg = TrainingConfiguration()
        cfg.optimizer = .momentum; cfg.momentum = momentum; cfg.learningRate = 0.05; cfg.regularization = regularization
        func trainer(clip: Double?) throws -> Trainer<Double> {
            var rng = SeededRNG(seed: 9)
            var c = cfg
            c.clipNorm = clip
            return try Trainer(model: try Sequential<Double>.mlp(inputs: 6, hidden: [16, 8], outputs: 3, rng: &rng), loss: .softmaxCrossEntropy, configuration: c)
        }
        let fused = try trainer(clip: nil), plain = try trainer(clip: 1e300)
        var scales: [Double] = [], worst = 0.0
        for step in 0..<steps {
            let (x, y) = try blobs(20, seed: UInt64(step))
            try fused.step(x, .classes(y))
            try plain.step(x, .classes(y))
            let sgd = try #require(fused.optimizer as? SGD<Double>)
            scales.append(sgd.velocityScales.min() ?? 1)
            guard step % 25 == 24 || step == steps - 1 else { continue }
            for (a, b) in zip(fused.model.parameters, plain.model.parameters) {
                let d = try (a.variable.value - b.variable.value).abs().max()! / max(1e-300, b.variable.value.abs().max()!)
                worst = max(worst, d)
            }
            let va = sgd.currentVelocities, vb = try #require((plain.optimizer as? SGD<Double>)?.currentVelocities)
            #expect(va.count == vb.count)
            for (a, b) in zip(va, vb) {
                worst = max(worst, try (a - b).abs().max()! / max(1e-300, b.abs().max()!))
            }
        }
        return (scales, worst)
    }

    @Test func deferredScaleFoldsBackAndMatchesUnfused() throws {
        let (scales, worst) = try compare(momentum: 0.9, regularization: .none, steps: 260)
        #expect(worst < 1e-11, "largest relative difference \(worst)")
        // The deferral ran (a weight's scale below μ), fell to the floor and was folded back (rose again).
        #expect(scales.contains { $0 < 0.5 })
        #expect(scales.allSatisfy { $0 >= 0x1p-16 * 0.9 })
        let low = try #require(scales.firstIndex { $0 < 0x1p-15 })
        #expect(scales[low...].contains { $0 > 0.5 })
    }

    @Test func deferredScalesTravelWithTheStateAndBadOnesAreRefused() throws {
        var rng = SeededRNG(seed: 2)
        var cfg = TrainingConfiguration()
        cfg.optimizer = .momentum; cfg.learningRate = 0.05
        let trainer = try Trainer(model: try Sequential<Double>.mlp(inputs: 6, hidden: [8], outputs: 3, rng: &rng), loss: .softmaxCrossEntropy, configuration: cfg)
        for step in 0..<5 { let (x, y) = try blobs(10, seed: UInt64(step)); try trainer.step(x, .classes(y)) }
        var state = trainer.state
        let scales = try #require(state.optimizer?.scalars["velocity scale"])
        #expect(scales.count == trainer.model.parameters.count && scales.contains { $0 < 1 })
        // The state read back from a checkpoint's bytes keeps the scales exactly.
        let bytes = try Checkpoint(file: ModelFile(model: trainer.model, loss: trainer.loss, classNames: ["a", "b", "c"]),
                                   state: state, fingerprint: "test").encode()
        let back = try Checkpoint<Double>.decode(bytes)
        #expect(back.state.optimizer?.scalars["velocity scale"] == scales)
        state.optimizer?.scalars["velocity scale"]![0] = -1
        #expect(throws: LayerError.self) { try trainer.restore(state) }
    }

    @Test func weightDecayTakesTheUndeferredPath() throws {
        let (scales, worst) = try compare(momentum: 0.99, regularization: .l2(1e-3), steps: 60)
        #expect(worst < 1e-11, "largest relative difference \(worst)")
        // Weight decay reaches every weight through a pass of its own: after the first step nothing defers.
        #expect(scales.dropFirst(2).allSatisfy { $0 == 1 })
    }
}

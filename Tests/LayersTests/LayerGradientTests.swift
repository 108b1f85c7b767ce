import Testing
import Foundation
@testable import Layers

/// Layers and whole models against central differences in Double.
@Suite("Layers: gradients, regularization, metrics")
struct LayerGradientTests {
    func input(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { _ in let v = rng.uniform(0.1, 1.2); return rng.nextDouble() < 0.5 ? v : -v }
    }

    @Test(arguments: UnaryFunction.activations.map(\.function))
    func mlpGradient(activation: UnaryFunction) throws {
        var rng = SeededRNG(seed: 5)
        let model = try Sequential<Double>.mlp(inputs: 3, hidden: [4, 5], outputs: 3, activation: activation, rng: &rng)
        let x = input([6, 3], seed: 1)
        let labels = [0, 2, 1, 1, 0, 2]
        let params = model.parameters
        // Check the gradient with respect to every parameter by feeding the parameters in as inputs.
        let r = try GradientCheck.check(params.map(\.variable.value)) { tape, vars in
            // The tape's variables stand in for the Dense layers' parameters; other layers run as is.
            var h = tape.constant(x)
            var k = 0
            for layer in model.layers {
                if layer is Dense<Double> {
                    h = try h.affine(vars[k], vars[k + 1]); k += 2
                } else {
                    h = try layer.forward(h)
                }
            }
            return try h.softmaxCrossEntropy(labels: labels)
        }
        #expect(r.worstRelativeError < 1e-7, "\(activation): \(r)")
    }

    @Test func dropoutIsInvertedAndOffInEval() throws {
        let d = try Dropout<Double>(probability: 0.5, seed: 3)
        let x = Tensor<Double>.ones([100, 100])
        let tape = Tape<Double>()
        let y = try d.forward(tape.variable(x))
        let kept = y.value.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 2 })                    // survivors scaled by 1/(1−p)
        #expect(abs(Double(kept.count) / 10_000 - 0.5) < 0.03)
        #expect(abs(y.value.mean() - 1) < 0.06)                   // expectation preserved
        let probe = tape.variable(x)
        let z = try d.forward(probe)
        try tape.backward(z.sum())
        #expect(probe.grad! == z.value)        // for x = 1 the gradient is the mask itself
        d.isTraining = false
        #expect(try d.forward(Variable(x)).value == x)
        #expect(throws: TensorError.self) { try Dropout<Double>(probability: 1, seed: 0) }
        // Same seed, same mask.
        let a = try Dropout<Double>(probability: 0.3, seed: 9), b = try Dropout<Double>(probability: 0.3, seed: 9)
        #expect(try a.forward(Variable(x)).value == b.forward(Variable(x)).value)
    }

    @Test func dropoutGradientMatchesItsMask() throws {
        let x = input([3, 4], seed: 2)
        let r = try GradientCheck.check([x]) { _, v in
            let d = try Dropout<Double>(probability: 0.4, seed: 11)   // same mask every evaluation
            return try d.forward(v[0]).tanh().sum()
        }
        #expect(r.worstRelativeError < 1e-7, "\(r)")
    }

    @Test func regularizationPullsWeightsNotBiases() throws {
        var rng = SeededRNG(seed: 8)
        let model = try Sequential<Double>.mlp(inputs: 3, hidden: [2], outputs: 2, rng: &rng)
        let params = model.parameters
        let reg = Regularization.elasticNet(l1: 0.3, l2: 0.7)
        for p in params { p.variable.zeroGrad() }
        reg.addGradients(params)
        #expect(params.filter { !$0.isRegularized }.allSatisfy { $0.variable.grad == nil })
        // Gradient of the penalty against central differences.
        let h = 1e-6
        for p in params where p.isRegularized {
            for i in 0..<p.variable.value.count {
                let orig = p.variable.value[flat: i]
                p.variable.value[flat: i] = orig + h; let plus = reg.penalty(params)
                p.variable.value[flat: i] = orig - h; let minus = reg.penalty(params)
                p.variable.value[flat: i] = orig
                let numerical = (plus - minus) / (2 * h)
                #expect(abs(p.variable.grad![flat: i] - numerical) < 1e-6)
            }
        }
        // L2 with λ = 1 is the guide's pull: gradient equals the weight.
        for p in params { p.variable.zeroGrad() }
        Regularization.l2(1).addGradients(params)
        #expect(params[0].variable.grad! == params[0].variable.value)
    }

    @Test func initializers() throws {
        var rng = SeededRNG(seed: 4)
        let g: Tensor<Double> = try Initializer.guideUniform.weights(inputs: 50, outputs: 40, as: Double.self, using: &rng)
        #expect(g.scalars.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
        let x: Tensor<Double> = try Initializer.xavier.weights(inputs: 50, outputs: 40, as: Double.self, using: &rng)
        let a = (6.0 / 90).squareRoot()
        #expect(x.scalars.allSatisfy { abs($0) <= a })
        let he: Tensor<Double> = try Initializer.he.weights(inputs: 400, outputs: 300, as: Double.self, using: &rng)
        let variance = he.scalars.map { $0 * $0 }.reduce(0, +) / Double(he.count)
        #expect(abs(variance - 2.0 / 400) < 0.0005)
        for (i, o) in [(30, 10), (10, 30), (16, 16)] {
            let q: Tensor<Double> = try Initializer.orthogonal.weights(inputs: i, outputs: o, as: Double.self, using: &rng)
            let gram = i >= o ? try q.matmul(q, transposeLeft: true) : try q.matmul(q, transposeRight: true)
            #expect(gram.isApproximatelyEqual(to: Tensor.identity(min(i, o)) * 2, tolerance: 1e-10))
        }
    }

    @Test func metrics() throws {
        let m = try ClassificationMetrics(predictions: [0, 1, 1, 2, 2, 2], labels: [0, 1, 2, 2, 2, 1], classes: 3)
        #expect(m.confusion == [[1, 0, 0], [0, 1, 1], [0, 1, 2]])
        #expect(abs(m.accuracy - 4.0 / 6) < 1e-12)
        #expect(abs(m.precision(2) - 2.0 / 3) < 1e-12 && abs(m.recall(2) - 2.0 / 3) < 1e-12)
        #expect(m.precision(1) == 0.5 && m.recall(1) == 0.5 && m.f1(0) == 1)
        #expect(throws: TrainingError.self) { try ClassificationMetrics(predictions: [3], labels: [0], classes: 3) }
        let r = try RegressionMetrics(predictions: Tensor<Double>([1, 2, 3]), targets: Tensor([1, 2, 4]))
        #expect(abs(r.rmse - (1.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(r.r2 - (1 - 1 / (14.0 / 3))) < 1e-12)
    }
}

@Suite("Gradient-check catalogue: layers")
struct LayerCatalogueTests {
    @Test("Every layer entry of the catalogue", arguments: GradientCatalogue.layers.map(\.name))
    func layerEntry(name: String) throws {
        let entry = try #require(GradientCatalogue.layers.first { $0.name == name })
        let r = try entry.check(seed: 5)
        #expect(r.worstRelativeError < 1e-7, "\(name): \(r)")
    }
}

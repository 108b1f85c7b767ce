import Testing
import Foundation
@testable import Tensor

/// Every backward kernel against central differences in Double, on random shapes including 1×1 and
/// non-square. Inputs of kinked functions (ReLU, |x|, hinge) are kept away from their kinks.
@Suite("Backward kernels match central differences")
struct GradientTests {
    static let shapes: [[Int]] = [[1, 1], [3, 5], [4, 2]]
    static let tolerance = 1e-7

    /// Random values with |x| ≥ 0.1, so no kink lies within h of an input.
    func randomInput(_ shape: [Int], seed: UInt64, positive: Bool = false) -> Tensor<Double> {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { _ in
            let v = rng.uniform(0.1, 1.5)
            return positive || rng.nextDouble() < 0.5 ? v : -v
        }
    }

    func expectGradient(_ name: String, _ inputs: [Tensor<Double>],
                        _ f: (Tape<Double>, [Variable<Double>]) throws -> Variable<Double>) throws {
        let r = try GradientCheck.check(inputs, f)
        #expect(r.worstRelativeError < Self.tolerance, "\(name): \(r)")
    }

    @Test("Every entry of the gradient-check catalogue", arguments: GradientCatalogue.tensorOps.map(\.name))
    func catalogue(name: String) throws {
        let entry = try #require(GradientCatalogue.tensorOps.first { $0.name == name })
        let r = try entry.check(seed: 7)
        #expect(r.worstRelativeError < Self.tolerance, "\(name): \(r)")
    }

    @Test(arguments: shapes)
    func unary(shape: [Int]) throws {
        let x = randomInput(shape, seed: 1)
        let pos = randomInput(shape, seed: 2, positive: true)
        // Weighted sums make each output element's gradient distinct.
        let w = randomInput(shape, seed: 3)
        func weighted(_ v: Variable<Double>, _ t: Tape<Double>) throws -> Variable<Double> { try (v * t.constant(w)).sum() }
        for f in UnaryFunction.catalogue {
            try expectGradient(f.description, [f.needsPositiveInput ? pos : x]) { t, v in try weighted(v[0].apply(f), t) }
        }
        try expectGradient("scale, shift, negate", [x]) { t, v in try weighted(-(v[0] * 3 + 2), t) }
    }

    @Test(arguments: shapes)
    func binaryWithBroadcasting(shape: [Int]) throws {
        let a = randomInput(shape, seed: 4)
        let b = randomInput(shape, seed: 5, positive: true)
        let row = randomInput([shape[1]], seed: 6, positive: true)
        let col = randomInput([shape[0], 1], seed: 7, positive: true)
        let one = randomInput([1], seed: 8, positive: true)
        let w = randomInput(shape, seed: 9)
        for (name, other) in [("same", b), ("row", row), ("column", col), ("scalar", one)] {
            try expectGradient("add \(name)", [a, other]) { t, v in try ((v[0] + v[1]) * t.constant(w)).sum() }
            try expectGradient("subtract \(name)", [a, other]) { t, v in try ((v[1] - v[0]) * t.constant(w)).sum() }
            try expectGradient("multiply \(name)", [a, other]) { t, v in try ((v[0] * v[1]) * t.constant(w)).sum() }
            try expectGradient("divide \(name)", [a, other]) { t, v in try ((v[0] / v[1]) * t.constant(w)).sum() }
        }
    }

    @Test func branchingWireSumsGradients() throws {
        // f(x) = x·x + x: the wire x branches three ways; d/dx = 2x + 1.
        let tape = Tape<Double>()
        let x = tape.variable(Tensor([3.0]))
        let y = try (x * x + x).sum()
        try tape.backward(y)
        #expect(x.grad?.scalars == [7])
        try expectGradient("branching", [randomInput([2, 3], seed: 10)]) { t, v in try (v[0] * v[0] + v[0].tanh() * v[0]).sum() }
    }

    @Test(arguments: [(1, 1, 1), (3, 4, 2), (5, 2, 7)])
    func matmulAndAffine(m: Int, k: Int, n: Int) throws {
        let a = randomInput([m, k], seed: 11), b = randomInput([k, n], seed: 12)
        let at = randomInput([k, m], seed: 13), bt = randomInput([n, k], seed: 14)
        let w = randomInput([m, n], seed: 15)
        try expectGradient("matmul", [a, b]) { t, v in try (v[0].matmul(v[1]) * t.constant(w)).sum() }
        try expectGradient("matmul Aᵀ", [at, b]) { t, v in try (v[0].matmul(v[1], transposeLeft: true) * t.constant(w)).sum() }
        try expectGradient("matmul Bᵀ", [a, bt]) { t, v in try (v[0].matmul(v[1], transposeRight: true) * t.constant(w)).sum() }
        try expectGradient("matmul AᵀBᵀ", [at, bt]) { t, v in
            try (v[0].matmul(v[1], transposeLeft: true, transposeRight: true) * t.constant(w)).sum()
        }
        let bias = randomInput([n], seed: 16)
        try expectGradient("affine", [a, b, bias]) { t, v in try (v[0].affine(v[1], v[2]) * t.constant(w)).sum() }
        // The fused affine equals matmul + broadcast bias, forward and backward.
        let fused = try Tensor.affine(a, b, bias)
        #expect(fused.isApproximatelyEqual(to: try a.matmul(b) + bias, tolerance: 1e-12))
        func gradients(_ f: (Variable<Double>, Variable<Double>, Variable<Double>) throws -> Variable<Double>) throws -> [Tensor<Double>] {
            let t = Tape<Double>()
            let vs = [a, b, bias].map { t.variable($0) }
            try t.backward(try (f(vs[0], vs[1], vs[2]) * t.constant(w)).sum())
            return vs.map { $0.grad! }
        }
        let one = try gradients { try $0.affine($1, $2) }, two = try gradients { try $0.matmul($1) + $2 }
        for (g1, g2) in zip(one, two) { #expect(g1.isApproximatelyEqual(to: g2, tolerance: 1e-12)) }
    }

    @Test(arguments: shapes)
    func reductionsAndGather(shape: [Int]) throws {
        let x = randomInput(shape, seed: 17)
        let w0 = randomInput([shape[1]], seed: 18), w1 = randomInput([shape[0]], seed: 19)
        try expectGradient("sum", [x]) { _, v in v[0].sum() }
        try expectGradient("mean", [x]) { _, v in v[0].mean() }
        try expectGradient("sum axis 0", [x]) { t, v in try (v[0].sum(axis: 0) * t.constant(w0)).sum() }
        try expectGradient("sum axis 1", [x]) { t, v in try (v[0].sum(axis: 1) * t.constant(w1)).sum() }
        try expectGradient("logSumExp axis 1", [x]) { t, v in try (v[0].logSumExp(axis: 1) * t.constant(w1)).sum() }
        try expectGradient("logSumExp axis 0", [x]) { t, v in try (v[0].logSumExp(axis: 0) * t.constant(w0)).sum() }
        let idx = [shape[0] - 1, 0, shape[0] - 1]
        let wg = randomInput([3, shape[1]], seed: 20)
        try expectGradient("gatherRows", [x]) { t, v in try (v[0].gatherRows(idx) * t.constant(wg)).sum() }
    }

    @Test(arguments: [(1, 1), (4, 3), (6, 10)])
    func losses(n: Int, k: Int) throws {
        var rng = SeededRNG(seed: UInt64(n * 31 + k))
        let scores = randomInput([n, k], seed: 21)
        let labels = (0..<n).map { _ in rng.nextInt(below: k) }
        let weights = (0..<n).map { _ in rng.uniform(0.5, 2) }
        let signs = Tensor<Double>(shape: [n, k]) { _ in rng.nextDouble() < 0.5 ? 1 : -1 }
        let targets = randomInput([n, k], seed: 22)
        // Scores for the hinge family, kept ≥ 0.1 away from the margin at y·s = 1.
        let margins = Tensor<Double>(shape: [n, k]) { i in signs[flat: i] * (rng.nextDouble() < 0.5 ? rng.uniform(0, 0.9) : rng.uniform(1.1, 2)) }
        try expectGradient("softmaxCrossEntropy", [scores]) { _, v in try v[0].softmaxCrossEntropy(labels: labels) }
        try expectGradient("softmaxCrossEntropy weighted", [scores]) { _, v in try v[0].softmaxCrossEntropy(labels: labels, weights: weights) }
        if k > 1 {
            // Keep score differences away from the margin (kinks at s_j − s_y = −1).
            let spaced = Tensor<Double>(shape: [n, k]) { i in Double(i % k) * 1.37 + 0.05 * Double(i / k) }
            try expectGradient("multiclassHinge", [spaced]) { _, v in try v[0].multiclassHinge(labels: labels) }
            try expectGradient("multiclassHinge weighted", [spaced]) { _, v in try v[0].multiclassHinge(labels: labels, weights: weights) }
        }
        try expectGradient("hinge", [margins]) { _, v in try v[0].hinge(targets: signs) }
        try expectGradient("squaredHinge", [margins]) { _, v in try v[0].squaredHinge(targets: signs, weights: weights) }
        try expectGradient("logistic", [scores]) { _, v in try v[0].logistic(targets: signs) }
        try expectGradient("meanSquaredError", [scores]) { _, v in try v[0].meanSquaredError(targets: targets, weights: weights) }
        let far = scores * 3
        try expectGradient("huber", [far]) { _, v in try v[0].huber(targets: targets, delta: 0.7) }
    }

    @Test func softmaxCrossEntropyIsStableAtExtremeLogits() throws {
        let s = try Tensor<Float>([[1000, -1000, 0], [-1000, 1000, 999]])
        let loss = try Tensor.softmaxCrossEntropy(s, labels: [0, 2])
        #expect(loss.isFinite)
        #expect(abs(loss - (0 + Float(log1p(exp(-1.0)) + 1)) / 2) < 1e-3)
        let tape = Tape<Float>()
        let v = tape.variable(s)
        try tape.backward(try v.softmaxCrossEntropy(labels: [0, 2]))
        #expect(v.grad!.isFinite)
        #expect(throws: TensorError.indexOutOfRange(op: "softmaxCrossEntropy label at row 1", index: 3, bound: 3)) {
            try Tensor.softmaxCrossEntropy(s, labels: [0, 3])
        }
        let l = try Tensor.logistic(try Tensor<Float>([[1000], [-1000]]), targets: try Tensor([[-1], [1]]))
        #expect(abs(l - 1000) < 1e-2)
    }

    @Test func knownLossValues() throws {
        // Multiclass SVM, cs231n-style example: scores [3.2, 5.1, −1.7], label 0 → 2.9 + 0 = 2.9.
        let s = try Tensor<Double>([[3.2, 5.1, -1.7]])
        #expect(abs(try Tensor.multiclassHinge(s, labels: [0]) - 2.9) < 1e-12)
        // Softmax cross-entropy of uniform scores over k classes is log k.
        #expect(abs(try Tensor.softmaxCrossEntropy(Tensor.zeros([2, 4]), labels: [1, 3]) - log(4.0)) < 1e-12)
        #expect(try Tensor.hinge(Tensor([[0.5], [2]]), targets: Tensor([[1], [1]])) == 0.25)
        #expect(try Tensor.huber(Tensor([[3.0]]), targets: Tensor([[0.0]]), delta: 1) == 2.5)
    }

    @Test func tapeArenaReusesBuffersAcrossSteps() throws {
        var rng = SeededRNG(seed: 3)
        let w = Variable(Tensor<Float>.randomNormal([8, 4], using: &rng))
        let b = Variable(Tensor<Float>.zeros([4]))
        let x = Tensor<Float>.randomNormal([16, 8], using: &rng)
        let labels = (0..<16).map { $0 % 4 }
        let tape = Tape<Float>()
        var counts: [Int] = []
        for _ in 0..<4 {
            tape.reset()
            w.zeroGrad(); b.zeroGrad()
            let loss = try tape.constant(x).affine(w, b).relu().softmaxCrossEntropy(labels: labels)
            try tape.backward(loss)
            counts.append(tape.arenaBufferCount)
        }
        #expect(Set(counts).count == 1, "arena grew: \(counts)")
        #expect(w.grad != nil && b.grad != nil)
    }

    @Test func backwardSeedShapeIsChecked() throws {
        let tape = Tape<Double>()
        let x = tape.variable(Tensor([1.0, 2.0]))
        let y = x * 2
        #expect(throws: TensorError.self) { try tape.backward(y, seed: Tensor([1.0])) }
        try tape.backward(y, seed: Tensor([1.0, -1.0]))
        #expect(x.grad?.scalars == [2, -2])
    }
}

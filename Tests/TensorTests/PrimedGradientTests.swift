import Testing
@testable import Tensor

/// A primed gradient buffer (an optimizer's velocity) after a backward holds scale·base +
/// contributionScale·gradient, whichever kernels contribute: GEMMs take the scales as their α and β,
/// other kernels scale the buffer around their own addition.
@Suite("Primed gradients: scale·base + contributionScale·gradient")
struct PrimedGradientTests {
    /// The gradient of sum((x·w + w) ⊙ m) with respect to w, and that of the same through a primed buffer.
    func gradients(scale: Double, contributionScale: Double, elementwise: Bool) throws -> (plain: Tensor<Double>, primed: Tensor<Double>, base: Tensor<Double>, onlyGEMM: Bool) {
        var rng = SeededRNG(seed: 3)
        let x = Tensor<Double>.randomNormal([4, 3], using: &rng), w0 = Tensor<Double>.randomNormal([3, 2], using: &rng)
        let m = Tensor<Double>.randomNormal([4, 2], using: &rng), m2 = Tensor<Double>.randomNormal([3, 2], using: &rng)
        let base = Tensor<Double>.randomNormal([3, 2], using: &rng)
        func run(_ w: Variable<Double>) throws {
            let t = Tape<Double>()
            var loss = try (t.constant(x).matmul(w) * t.constant(m)).sum()
            // A second use of w through the matmul again (GEMM), and optionally through an elementwise op.
            loss = try loss + (t.constant(x).matmul(w) * t.constant(m)).sum()
            if elementwise { loss = try loss + (w * t.constant(m2)).sum() }
            try t.backward(loss)
        }
        let plain = Variable(w0)
        try run(plain)
        let primed = Variable(w0)
        let buffer = base.map { $0 }   // storage of its own: the primed buffer is written in place
        try primed.primeGradient(buffer, scale: scale, contributionScale: contributionScale)
        try run(primed)
        primed.settlePrimedGradient()
        return (plain.grad!, primed.grad!, base, primed.gradientCameOnlyFromGEMMs)
    }

    @Test(arguments: [(1.0, 0.25), (0.9, 1.0), (1.0, 1.0 / 0.9), (0.5, 3.0)])
    func primedBufferHoldsScaledBasePlusScaledGradient(scales: (Double, Double)) throws {
        for elementwise in [false, true] {
            let (plain, primed, base, onlyGEMM) = try gradients(scale: scales.0, contributionScale: scales.1, elementwise: elementwise)
            let expected = try base * scales.0 + plain * scales.1
            #expect(primed.isApproximatelyEqual(to: expected, tolerance: 1e-12), "scales \(scales), elementwise \(elementwise)")
            #expect(onlyGEMM == !elementwise)
        }
    }

    @Test func invalidScalesAreRefused() throws {
        let v = Variable(Tensor<Double>(zeros: [2, 2]))
        #expect(throws: TensorError.self) { try v.primeGradient(Tensor(zeros: [2, 2]), scale: 1, contributionScale: 0) }
        #expect(throws: TensorError.self) { try v.primeGradient(Tensor(zeros: [2, 2]), scale: .nan) }
        #expect(throws: TensorError.self) { try v.primeGradient(Tensor(zeros: [2, 3]), scale: 1) }
    }
}

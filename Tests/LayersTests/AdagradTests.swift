import Testing
@testable import Layers
import Tensor

/// Adagrad against numpy (Tests/LayersTests/Reference/adagrad.py, whose PyTorch-form figures equal
/// `torch.optim.Adagrad`'s to the last bit), and clipping by value.
@Suite("Adagrad matches the numpy reference; clipping by value")
struct AdagradTests {
    static let expected: [String: [Double]] = [
        "torch": [0.08992924792978746, -0.6768329355265535, 1.9182542916758076, -0.210777382936414],
        "min-char-rnn": [0.08992931138375107, -0.6768329574179612, 1.9182542961126927, -0.2107773820420775],
        "decay": [0.38391433058732993, -0.8924256110428828, 1.9584881351118462, -0.14532490066411663],
    ]

    func replay<S: BLASScalar>(_ name: String, _: S.Type, tolerance: Double) throws {
        let v = Variable(Tensor<S>([0.5, -1.0, 2.0, 0.0]))
        let params = [Parameter(name: "p", variable: v, isRegularized: true)]
        let optimizer = switch name {
        case "torch": try Adagrad<S>(learningRate: 0.1)
        case "min-char-rnn": try Adagrad<S>(learningRate: 0.1, epsilon: 1e-8, epsilonInsideSquareRoot: true)
        default: try Adagrad<S>(learningRate: 0.1, learningRateDecay: 0.5, initialAccumulatorValue: 0.2)
        }
        for k in 0..<5 {
            let g: [Double] = [0.1 * Double(k + 1), -0.2, 0.3 * (k % 2 == 0 ? 1 : -1), 1.0 / Double(k + 1)]
            try v.setGrad(Tensor(g.map { S($0) }))
            try optimizer.step(params)
        }
        let got = v.value.scalars.map(Double.init)
        for (a, b) in zip(got, Self.expected[name]!) {
            #expect(abs(a - b) <= tolerance * max(1, abs(b)), "\(name) \(S.self): \(got) vs \(Self.expected[name]!)")
        }
    }

    @Test(arguments: ["torch", "min-char-rnn", "decay"])
    func float(name: String) throws { try replay(name, Float.self, tolerance: 1e-6) }

    @Test(arguments: ["torch", "min-char-rnn", "decay"])
    func double(name: String) throws { try replay(name, Double.self, tolerance: 1e-15) }

    @Test func stateRoundTripsAndSettingsAreChecked() throws {
        let v = Variable(Tensor<Double>([1, 2]))
        let params = [Parameter(name: "p", variable: v, isRegularized: true)]
        let a = try Adagrad<Double>(learningRate: 0.1)
        try v.setGrad(Tensor([0.3, -0.1])); try a.step(params)
        #expect(a.state.buffers["sum"]?.first?.scalars == [0.09, 0.010000000000000002])
        let b = try Adagrad<Double>(learningRate: 0.1)
        try b.restore(a.state)
        let w = Variable(v.value)
        let paramsW = [Parameter(name: "p", variable: w, isRegularized: true)]
        try v.setGrad(Tensor([0.2, 0.2])); try a.step(params)
        try w.setGrad(Tensor([0.2, 0.2])); try b.step(paramsW)
        #expect(v.value == w.value)
        #expect(throws: TrainingError.self) { try Adagrad<Float>(learningRate: 0) }
        #expect(throws: TrainingError.self) { try Adagrad<Float>(learningRate: 0.1, learningRateDecay: -1) }
        #expect(throws: TrainingError.self) { try Adagrad<Float>(learningRate: 0.1, epsilon: .nan) }
        // A restored state whose shapes do not fit the parameters is an error, not a crash.
        let c = try Adagrad<Double>(learningRate: 0.1)
        try c.restore(OptimizerState(buffers: ["sum": [Tensor([1.0, 2.0, 3.0])]], steps: 1))
        #expect(throws: TrainingError.self) { try c.step(params) }
    }

    /// Adagrad's `clipValue` against `clipGradientValues` then `step`: the same weights and sums bit for
    /// bit over a few steps of gradients of which a third lie outside the bound (lengths 1…40 reach the
    /// kernels' vector bodies and tails), and the gradients themselves stay unclipped.
    func checkFusedClip<S: BLASScalar>(_: S.Type) throws {
        var rng = SeededRNG(seed: 7)
        for (count, inside) in [(1, true), (17, false), (40, true), (33, false)] {
            let a = Variable(Tensor<S>.randomNormal([count], std: 1, using: &rng)), b = Variable(a.value)
            let pa = [Parameter(name: "a", variable: a, isRegularized: true)], pb = [Parameter(name: "b", variable: b, isRegularized: true)]
            let separate = try Adagrad<S>(learningRate: 0.1, epsilon: 1e-8, epsilonInsideSquareRoot: inside)
            let fused = try Adagrad<S>(learningRate: 0.1, epsilon: 1e-8, epsilonInsideSquareRoot: inside, clipValue: 5)
            for _ in 0..<3 {
                let g = Tensor<S>.randomNormal([count], std: 5, using: &rng)
                try a.setGrad(g); try b.setGrad(g)
                try clipGradientValues(pa, limit: 5)
                try separate.step(pa)
                try fused.step(pb)
                #expect(b.grad == g)
            }
            #expect(a.value == b.value, "\(S.self) n=\(count)")
            #expect(separate.state.buffers["sum"] == fused.state.buffers["sum"])
        }
        #expect(throws: TrainingError.self) { try Adagrad<S>(learningRate: 0.1, clipValue: 0) }
        #expect(throws: TrainingError.self) { try Adagrad<S>(learningRate: 0.1, clipValue: .infinity) }
    }

    @Test func fusedClipFloat() throws { try checkFusedClip(Float.self) }
    @Test func fusedClipDouble() throws { try checkFusedClip(Double.self) }

    @Test func clippingByValueBoundsEachElement() throws {
        let a = Variable(Tensor<Double>([0, 0, 0, 0])), b = Variable(Tensor<Double>([0])), none = Variable(Tensor<Double>([0]))
        try a.setGrad(Tensor([-7, 4.5, 5, .nan])); try b.setGrad(Tensor([12]))
        let params = [a, b, none].map { Parameter(name: "p", variable: $0, isRegularized: true) }
        #expect(try clipGradientValues(params, limit: 5) == 2)
        #expect(Array(a.grad!.scalars.prefix(3)) == [-5, 4.5, 5] && a.grad![flat: 3].isNaN)
        #expect(b.grad?.scalars == [5] && none.grad == nil)
        #expect(throws: TrainingError.self) { try clipGradientValues(params, limit: 0) }
    }
}

import Testing
import Foundation
@testable import Layers

/// Replays five steps of each optimizer on a fixed gradient sequence and compares with numpy.
/// Expected values come from Tests/LayersTests/Reference/optimizers.py; rerun it to regenerate.
@Suite("Optimizers match the numpy reference")
struct OptimizerTests {
    static let expected: [String: [Double]] = [
        "sgd": [0.3499999999999999, -0.8999999999999999, 1.97, -0.22833333333333333],
        "momentum": [0.1829689999999999, -0.7371179999999998, 1.9260169999999999, -0.7392933333333334],
        "nesterov": [0.0646720999999999, -0.6634061999999998, 1.9034152999999998, -0.8936973333333333],
        "adam": [0.014916931736010122, -0.5000000250000003, 1.856505481519273, -0.4401460836593799],
    ]

    func replay<S: BLASScalar>(_ name: String, _: S.Type, tolerance: Double) throws {
        let v = Variable(Tensor<S>([0.5, -1.0, 2.0, 0.0]))
        let params = [Parameter(name: "p", variable: v, isRegularized: true)]
        let optimizer: any Optimizer<S> = switch name {
        case "sgd": try SGD<S>(learningRate: 0.1)
        case "momentum": try SGD<S>(learningRate: 0.1, momentum: 0.9)
        case "nesterov": try SGD<S>(learningRate: 0.1, momentum: 0.9, nesterov: true)
        default: try Adam<S>(learningRate: 0.1)
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

    @Test(arguments: ["sgd", "momentum", "nesterov", "adam"])
    func float(name: String) throws { try replay(name, Float.self, tolerance: 1e-5) }

    @Test(arguments: ["sgd", "momentum", "nesterov", "adam"])
    func double(name: String) throws { try replay(name, Double.self, tolerance: 1e-12) }

    @Test func invalidSettingsAreErrors() {
        #expect(throws: TrainingError.self) { try SGD<Float>(learningRate: -1) }
        #expect(throws: TrainingError.self) { try SGD<Float>(learningRate: 0.1, momentum: 1.5) }
        #expect(throws: TrainingError.self) { try Adam<Float>(learningRate: 0.1, beta1: 1) }
    }

    @Test func optimizerStateRoundTrips() throws {
        let v = Variable(Tensor<Double>([1, 2]))
        let params = [Parameter(name: "p", variable: v, isRegularized: true)]
        let a = try Adam<Double>(learningRate: 0.1)
        try v.setGrad(Tensor([0.3, -0.1])); try a.step(params)
        let b = try Adam<Double>(learningRate: 0.1)
        try b.restore(a.state)
        let w = Variable(v.value)
        let paramsW = [Parameter(name: "p", variable: w, isRegularized: true)]
        try v.setGrad(Tensor([0.2, 0.2])); try a.step(params)
        try w.setGrad(Tensor([0.2, 0.2])); try b.step(paramsW)
        #expect(v.value == w.value)
    }

    @Test func gradientClippingRescalesGlobalNorm() throws {
        let a = Variable(Tensor<Double>([0, 0])), b = Variable(Tensor<Double>([0]))
        try a.setGrad(Tensor([3, 0])); try b.setGrad(Tensor([4]))
        let params = [Parameter(name: "a", variable: a, isRegularized: true), Parameter(name: "b", variable: b, isRegularized: false)]
        let norm = clipGradients(params, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(a.grad![flat: 0] - 0.6) < 1e-12 && abs(b.grad![flat: 0] - 0.8) < 1e-12)
        #expect(clipGradients(params, maxNorm: 10) == 1)   // under the limit: unchanged
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.constant.rate(base: 0.1, epoch: 7, totalEpochs: 10) == 0.1)
        #expect(abs(LearningRateSchedule.step(every: 2, factor: 0.5).rate(base: 0.1, epoch: 5, totalEpochs: 10) - 0.025) < 1e-15)
        #expect(abs(LearningRateSchedule.exponential(factor: 0.9).rate(base: 1, epoch: 2, totalEpochs: 10) - 0.81) < 1e-15)
        let cosine = LearningRateSchedule.cosine(minimumFactor: 0.1)
        #expect(cosine.rate(base: 0.1, epoch: 0, totalEpochs: 10) == 0.1)
        #expect(abs(cosine.rate(base: 0.1, epoch: 5, totalEpochs: 10) - 0.055) < 1e-12)
        #expect(abs(cosine.rate(base: 0.1, epoch: 10, totalEpochs: 10) - 0.01) < 1e-12)
        // Relative: the same schedule over 20 epochs is halfway at epoch 10, and scales with the base.
        #expect(abs(cosine.rate(base: 0.1, epoch: 10, totalEpochs: 20) - 0.055) < 1e-12)
        #expect(abs(cosine.rate(base: 1, epoch: 10, totalEpochs: 20) - 0.55) < 1e-12)
        #expect(abs(cosine.factor(epoch: 5, totalEpochs: 10) - 0.55) < 1e-12)
        // Three drops over the run, whatever its length.
        let steps = LearningRateSchedule.stepsOverRun(count: 3, factor: 0.5)
        #expect((0..<9).map { steps.factor(epoch: $0, totalEpochs: 9) } == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
        #expect(steps.factor(epoch: 10, totalEpochs: 30) == 0.5)
        #expect(throws: TrainingError.self) { try LearningRateSchedule.cosine(minimumFactor: 2).validate() }
    }

    @Test func lbfgsMinimizesRosenbrock() throws {
        let v = Variable(Tensor<Double>([-1.2, 1]))
        let params = [Parameter(name: "x", variable: v, isRegularized: false)]
        let lbfgs = try LBFGS<Double>(maxIterations: 500)
        let f = try lbfgs.minimize(params) {
            let x = v.value[flat: 0], y = v.value[flat: 1]
            try v.setGrad(Tensor([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]))
            return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
        }
        #expect(f < 1e-12)
        #expect(abs(v.value[flat: 0] - 1) < 1e-5 && abs(v.value[flat: 1] - 1) < 1e-5)
    }
}

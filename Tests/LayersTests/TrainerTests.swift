import Testing
import Foundation
@testable import Layers

/// The guide's six points (chapter 2) with labels ±1, as classes 1 / 0.
let guidePoints: [[Double]] = [[1.2, 0.7], [-0.3, -0.5], [3.0, 0.1], [-0.1, -1.0], [-1.0, 1.1], [2.1, -3]]
let guideLabels: [Double] = [1, -1, 1, -1, -1, 1]

@Suite("Trainer: the guide vectorized, regression, reproducibility, errors")
struct TrainerTests {
    func guideOrder(_ n: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in rng.nextInt(below: guidePoints.count) }
    }

    /// Chapter 2's SVM, vectorized with batch size 1, against the guide's own update rule written out:
    /// pull +1/−1 when the margin is violated, regularization pull −a, −b (not c), a += step·pull.
    @Test func guideSVMMatchesTheForceSpecification() throws {
        let order = guideOrder(400, seed: 1)
        var (a, b, c) = (1.0, -2.0, -1.0)
        for i in order {
            let (x, y, label) = (guidePoints[i][0], guidePoints[i][1], guideLabels[i])
            let score = a * x + b * y + c
            var pull = 0.0
            if label == 1 && score < 1 { pull = 1 }
            if label == -1 && score > -1 { pull = -1 }
            a += 0.01 * (x * pull - a)
            b += 0.01 * (y * pull - b)
            c += 0.01 * pull
        }
        let dense = try Dense<Double>(weight: Tensor([[1], [-2]]), bias: Tensor([-1]))
        let model = try Sequential<Double>([dense])
        var cfg = TrainingConfiguration()
        cfg.optimizer = .sgd; cfg.learningRate = 0.01; cfg.regularization = .l2(1); cfg.batchSize = 1
        let trainer = try Trainer(model: model, loss: .hinge, configuration: cfg)
        for i in order {
            try trainer.step(try Tensor([guidePoints[i]]), .classes([guideLabels[i] == 1 ? 1 : 0]))
        }
        #expect(abs(dense.weight.value[0, 0] - a) < 1e-9)
        #expect(abs(dense.weight.value[1, 0] - b) < 1e-9)
        #expect(abs(dense.bias!.value[flat: 0] - c) < 1e-9)
    }

    /// Chapter 2's 2-layer net (3 ReLU neurons), vectorized, against the guide's unrolled update.
    @Test func guideTwoLayerNetMatchesTheUnrolledUpdate() throws {
        var rng = SeededRNG(seed: 7)
        var p = (0..<13).map { _ in rng.uniform(-0.5, 0.5) }   // a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4
        let w1 = try Tensor<Double>([[p[0], p[3], p[6]], [p[1], p[4], p[7]]])
        let b1 = Tensor<Double>([p[2], p[5], p[8]])
        let w2 = try Tensor<Double>([[p[9]], [p[10]], [p[11]]])
        let b2 = Tensor<Double>([p[12]])
        let order = guideOrder(300, seed: 2)
        for i in order {
            let (x, y, label) = (guidePoints[i][0], guidePoints[i][1], guideLabels[i])
            let n = (0..<3).map { j in max(0, p[3 * j] * x + p[3 * j + 1] * y + p[3 * j + 2]) }
            let score = p[9] * n[0] + p[10] * n[1] + p[11] * n[2] + p[12]
            var pull = 0.0
            if label == 1 && score < 1 { pull = 1 }
            if label == -1 && score > -1 { pull = -1 }
            var d = [Double](repeating: 0, count: 13)
            for j in 0..<3 {
                d[9 + j] = n[j] * pull
                let dn = n[j] > 0 ? p[9 + j] * pull : 0
                d[3 * j] = x * dn; d[3 * j + 1] = y * dn; d[3 * j + 2] = dn
            }
            d[12] = pull
            for k in [0, 1, 3, 4, 6, 7, 9, 10, 11] { d[k] -= p[k] }   // springs on weights, not biases
            for k in 0..<13 { p[k] += 0.01 * d[k] }
        }
        let l1 = try Dense<Double>(weight: w1, bias: b1), l2 = try Dense<Double>(weight: w2, bias: b2)
        let model = try Sequential<Double>([l1, Activation<Double>(.relu), l2])
        var cfg = TrainingConfiguration()
        cfg.optimizer = .sgd; cfg.learningRate = 0.01; cfg.regularization = .l2(1); cfg.batchSize = 1
        let trainer = try Trainer(model: model, loss: .hinge, configuration: cfg)
        for i in order { try trainer.step(try Tensor([guidePoints[i]]), .classes([guideLabels[i] == 1 ? 1 : 0])) }
        for j in 0..<3 {
            #expect(abs(l1.weight.value[0, j] - p[3 * j]) < 1e-9 && abs(l1.weight.value[1, j] - p[3 * j + 1]) < 1e-9)
            #expect(abs(l1.bias!.value[flat: j] - p[3 * j + 2]) < 1e-9 && abs(l2.weight.value[j, 0] - p[9 + j]) < 1e-9)
        }
        #expect(abs(l2.bias!.value[flat: 0] - p[12]) < 1e-9)
    }

    /// Ridge regression: full-batch momentum SGD and L-BFGS reach the closed-form LAPACK solution.
    @Test(arguments: [OptimizerKind.momentum, .lbfgs])
    func ridgeRegressionReachesClosedForm(optimizer: OptimizerKind) throws {
        var rng = SeededRNG(seed: 11)
        let (n, d, lambda) = (200, 5, 0.1)
        let x = Tensor<Double>.randomNormal([n, d], using: &rng)
        let trueW = Tensor<Double>.randomNormal([d, 1], using: &rng)
        let y = try x.matmul(trueW) + 0.5 + Tensor<Double>.randomNormal([n, 1], std: 0.1, using: &rng)
        // Closed form: centre, then (XcᵀXc + (nλ/2)·I)·w = Xcᵀ·yc; b = ȳ − x̄ᵀw.
        let xMean = try x.mean(axis: 0), yMean = y.mean()
        let xc = try x - xMean, yc = y - yMean
        let gram = try xc.matmul(xc, transposeLeft: true) + Tensor<Double>.identity(d) * (Double(n) * lambda / 2)
        let w = try gram.solve(try xc.matmul(yc, transposeLeft: true))
        let b = yMean - (try xMean.dot(w))

        var cfg = TrainingConfiguration()
        cfg.optimizer = optimizer; cfg.learningRate = 0.1; cfg.batchSize = n; cfg.epochs = 600
        cfg.regularization = .l2(lambda)
        var initRng = SeededRNG(seed: 1)
        let model = try Sequential<Double>.mlp(inputs: d, hidden: [], outputs: 1, rng: &initRng)
        let trainer = try Trainer(model: model, loss: .meanSquaredError, configuration: cfg)
        try trainer.fit(try TrainingData(features: x, values: y))
        let dense = model.layers[0] as! Dense<Double>
        let learned = try dense.weight.value.reshaped([d, 1])
        let relError = try (learned - w).abs().max()! / w.abs().max()!
        #expect(relError < 1e-4, "\(optimizer): relative error \(relError)")
        #expect(abs(dense.bias!.value[flat: 0] - b) / abs(b) < 1e-4)
    }

    func blobs(seed: UInt64, n: Int = 300) throws -> TrainingData<Float> {
        var rng = SeededRNG(seed: seed)
        var rows: [[Float]] = [], labels: [Int] = []
        let centers: [[Float]] = [[2, 0], [-2, 1], [0, -2]]
        for i in 0..<n {
            let c = i % 3
            rows.append([centers[c][0] + Float(rng.nextNormal()) * 0.5, centers[c][1] + Float(rng.nextNormal()) * 0.5])
            labels.append(c)
        }
        return try TrainingData(features: try Tensor(rows), labels: labels, classes: 3)
    }

    func train(seed: UInt64, threads: Int = 1, _ configure: (inout TrainingConfiguration) -> Void = { _ in }) throws -> (Sequential<Float>, TrainingHistory) {
        BLAS.threads = threads
        var cfg = TrainingConfiguration()
        cfg.epochs = 5; cfg.batchSize = 16; cfg.seed = seed
        configure(&cfg)
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>.mlp(inputs: 2, hidden: [8], outputs: 3, dropout: 0.1, rng: &rng)
        let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: cfg)
        let data = try blobs(seed: 3)
        let history = try trainer.fit(data, validation: try blobs(seed: 4, n: 90))
        return (model, history)
    }

    @Test func sameSeedSameThreadsIsBitIdentical() throws {
        for threads in [1, 2] {
            let (a, ha) = try train(seed: 5, threads: threads)
            let (b, hb) = try train(seed: 5, threads: threads)
            for (p, q) in zip(a.parameters, b.parameters) { #expect(p.variable.value == q.variable.value) }
            #expect(ha.epochs.map(\.trainLoss) == hb.epochs.map(\.trainLoss))
        }
        let (c, _) = try train(seed: 6)
        let (d, _) = try train(seed: 5)
        #expect(c.parameters[0].variable.value != d.parameters[0].variable.value)
        BLAS.threads = 1
    }

    @Test func learnsBlobsAndReportsEachEpoch() throws {
        var events = 0
        let (model, history) = try train(seed: 1) { $0.epochs = 20; $0.optimizer = .adam; $0.learningRate = 0.01 }
        _ = events
        events = history.epochs.count
        #expect(events == 20)
        #expect(history.epochs.last!.validationAccuracy! > 0.95)
        #expect(history.epochs.last!.trainLoss < history.epochs.first!.trainLoss)
        let test = try blobs(seed: 9, n: 60)
        let m = try ClassificationMetrics(predictions: try model.predictClasses(test.features), labels: test.labels, classes: 3)
        #expect(m.accuracy > 0.95)
    }

    @Test func nonFiniteLossStopsWithEpochAndStep() throws {
        var caught: TrainingError? = nil
        do {
            _ = try train(seed: 1) { $0.learningRate = 1e30; $0.optimizer = .sgd }
        } catch let e as TrainingError {
            caught = e
        }
        guard case let .nonFinite(what, epoch, step, last)? = caught else {
            Issue.record("expected a non-finite error, got \(String(describing: caught))")
            return
        }
        #expect(epoch == 0 && step >= 1, "\(what) at \(epoch)/\(step)")
        #expect(last != nil && last!.isFinite)
        #expect(caught!.description.contains("epoch 0, step \(step)"))
    }

    @Test func badLabelsNameTheRow() throws {
        #expect(throws: TrainingError.invalidLabel(row: 2, label: "5", expected: "a class index in 0..<3")) {
            try TrainingData(features: Tensor<Float>.zeros([3, 2]), labels: [0, 1, 5], classes: 3)
        }
        let data = try TrainingData(features: Tensor<Float>.zeros([3, 2]), labels: [0, 2, 1], classes: 3)
        var rng = SeededRNG(seed: 1)
        let binary = try Sequential<Float>.mlp(inputs: 2, hidden: [], outputs: 1, rng: &rng)
        let trainer = try Trainer(model: binary, loss: .hinge, configuration: TrainingConfiguration())
        #expect(throws: TrainingError.self) { try trainer.fit(data) }   // 3 classes for a binary loss
        let trainer2 = try Trainer(model: binary, loss: .hinge, configuration: TrainingConfiguration())
        let twoClass = try TrainingData(features: Tensor<Float>.zeros([3, 2]), labels: [0, 1, 1], classes: 2)
        #expect(throws: Never.self) { try trainer2.fit(twoClass) }
        #expect(throws: TrainingError.self) {
            try Trainer(model: binary, loss: .meanSquaredError, configuration: TrainingConfiguration()).fit(twoClass)
        }
    }

    @Test func earlyStoppingRestoresTheBestEpoch() throws {
        let (_, history) = try train(seed: 2) {
            $0.epochs = 60; $0.earlyStoppingPatience = 2; $0.learningRate = 0.5; $0.optimizer = .sgd
        }
        let best = history.epochs.min { $0.validationLoss! < $1.validationLoss! }!
        #expect(history.bestEpoch == best.epoch)
        if history.stoppedEarly { #expect(history.epochs.count < 60) }
    }

    @Test func classWeightsShiftTheDecision() throws {
        // Heavily weighting class 0 makes the model predict it more often on ambiguous points.
        let (plain, _) = try train(seed: 3) { $0.epochs = 10 }
        let (weighted, _) = try train(seed: 3) { $0.epochs = 10; $0.classWeights = [20, 1, 1] }
        let probe = Tensor<Float>.randomNormal([400, 2], std: 2, using: &rngForProbe)
        let a = try plain.predictClasses(probe).filter { $0 == 0 }.count
        let b = try weighted.predictClasses(probe).filter { $0 == 0 }.count
        #expect(b > a)
    }

    @Test func callbackCanStopAfterTheCurrentBatch() throws {
        var cfg = TrainingConfiguration(); cfg.epochs = 3; cfg.batchSize = 10
        var rng = SeededRNG(seed: 1)
        let model = try Sequential<Float>.mlp(inputs: 2, hidden: [4], outputs: 3, rng: &rng)
        let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: cfg)
        var batches = 0
        let history = try trainer.fit(try blobs(seed: 1)) { event in
            if case .batch = event { batches += 1 }
            return batches == 7 ? .stop : .proceed
        }
        #expect(history.interrupted && batches == 7 && trainer.completedEpochs == 0)
    }
}

nonisolated(unsafe) var rngForProbe = SeededRNG(seed: 99)

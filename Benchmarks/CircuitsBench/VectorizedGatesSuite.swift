import Foundation
import Gates
import Layers
import Tensor

// The vectorized side of the gates suite: the same nets as the scalar engine's `ScalarNet` — same
// architecture, loss, regularization, initial weights (copied from the scalar net), data and sample
// order — trained by `Layers` (`Sequential` + `Trainer.step`) at batch 1, 32, 128 and 512. The speed-up
// is vectorized examples/s over the scalar engine's per-example SGD examples/s. `gatesSuite(quick:)`
// (GatesSuite.swift, the gates engineer's) compares the gate engine with unrolled scalar code; this file
// adds the comparison the design exists for: one number per wire against a matrix per wire.

let vectorizedBatches = [1, 32, 128, 512]

/// A net described once and built twice: as a `ScalarNet` and as a `Sequential<Float>` with the same
/// parameters.
private struct TwinNet {
    var name: String
    var widths: [Int]
    var scalarLoss: ScalarLoss
    var loss: LossFunction
    var learningRate: Double
    var lambda: Double
    /// Per layer, row-major out × in (the scalar net's layout).
    var weights: [[Double]]
    var biases: [[Double]]

    func scalarNet() -> ScalarNet {
        ScalarNet(inputWidth: widths[0], hiddenWidths: Array(widths.dropFirst().dropLast()), outputCount: widths.last!,
                  loss: scalarLoss, weights: weights, biases: biases)
    }

    /// The same parameters as Dense layers, whose weight is stored in × out: the transpose.
    func sequential() throws -> Sequential<Float> {
        var layers: [any Layer<Float>] = []
        for l in 0..<(widths.count - 1) {
            let nIn = widths[l], nOut = widths[l + 1], w = weights[l]
            let dense = Tensor<Float>(shape: [nIn, nOut]) { flat in Float(w[(flat % nOut) * nIn + flat / nOut]) }
            layers.append(try Dense<Float>(weight: dense, bias: Tensor(biases[l].map { Float($0) })))
            if l < widths.count - 2 { layers.append(Activation<Float>(.relu)) }
        }
        return try Sequential(layers)
    }

    func trainer(batch: Int) throws -> Trainer<Float> {
        var config = TrainingConfiguration()
        config.optimizer = .sgd
        config.learningRate = learningRate
        config.batchSize = batch
        config.regularization = .l2(lambda)
        return try Trainer(model: try sequential(), loss: loss, configuration: config)
    }
}

/// Inputs and labels as both engines want them: [[Double]] with the scalar net's labels, and a Float
/// tensor with the Layers labels (the binary hinge's −1/+1 become classes 0/1).
private struct TwinData {
    var inputs: [[Double]]
    var scalarLabels: [Int]
    var features: Tensor<Float>
    var classLabels: [Int]
    var source: String
}

/// Batches cut from `order` in sequence (the scalar engine visits the same indices in the same order),
/// gathered before timing as the scalar engine's inputs are indexed for free.
private func cutBatches(_ data: TwinData, order: [Int], batch: Int, examples: Int) throws -> [(Tensor<Float>, [Int])] {
    var out: [(Tensor<Float>, [Int])] = []
    var start = 0
    while start + batch <= order.count && start < examples {
        let idx = Array(order[start..<(start + batch)])
        out.append((try data.features.gatherRows(idx), idx.map { data.classLabels[$0] }))
        start += batch
    }
    return out
}

func vectorizedGatesSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    var figures: [BenchFigure] = []
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    // The scalar engine uses one core; so does the vectorized side here (the mlp suite covers threads).
    BLAS.threads = 1

    // --- The guide's 2-3-1 net on its six points, initial weights and order as in GatesSuite.swift ----
    var initRNG = GatesRNG(seed: 2)
    let p = (0..<13).map { _ in initRNG.uniform() - 0.5 }
    let guide = TwinNet(name: "2-3-1 (guide's 6 points)", widths: [2, 3, 1], scalarLoss: .binaryHinge, loss: .hinge,
                        learningRate: 0.01, lambda: 1,
                        weights: [[p[0], p[1], p[3], p[4], p[6], p[7]], [p[9], p[10], p[11]]],
                        biases: [[p[2], p[5], p[8]], [p[12]]])
    let guideData = TwinData(
        inputs: GuideData.points, scalarLabels: GuideData.labels,
        features: try Tensor(GuideData.points.flatMap { $0.map { Float($0) } }, shape: [6, 2]),
        classLabels: GuideData.labels.map { $0 == 1 ? 1 : 0 }, source: "guide")
    var orderRNG = GatesRNG(seed: 1)
    let guideOrder = randomSampleOrder(count: 6, iterations: quick ? 20_000 : 200_000, rng: &orderRNG)
    figures += try compare(guide, guideData, order: guideOrder, scalarExamples: guideOrder.count,
                           vectorizedExamples: quick ? 4096 : 32768, context: context)

    // --- 784-H-10 multiclass SVM on Fashion-MNIST -------------------------------------------------
    guard let fashion = context.fashionMNIST else {
        context.report.say("gates: 784-H-10 figures skipped, Fashion-MNIST not readable")
        return figures
    }
    let subset = quick ? 512 : 4096
    let features = try fashion.trainFeatures.rows(0..<subset)
    let rowsAsDouble: [[Double]] = features.withUnsafeBufferPointer { px in
        (0..<subset).map { r in (0..<784).map { Double(px[r * 784 + $0]) } }
    }
    let labels = Array(fashion.trainLabels[0..<subset])
    let mnist = TwinData(inputs: rowsAsDouble, scalarLabels: labels, features: features, classLabels: labels,
                         source: "Fashion-MNIST")
    var shuffle = GatesRNG(seed: 4)
    let order = Array(0..<subset).shuffled(using: &shuffle)
    for hidden in [16, 64, 256] {
        var wRNG = GatesRNG(seed: 3)
        var w: [[Double]] = [], b: [[Double]] = []
        let widths = [784, hidden, 10]
        for l in 0..<2 {
            let scale = 1 / Double(widths[l]).squareRoot()
            w.append((0..<(widths[l] * widths[l + 1])).map { _ in wRNG.uniform(-scale, scale) })
            b.append([Double](repeating: 0, count: widths[l + 1]))
        }
        let net = TwinNet(name: "784-\(hidden)-10", widths: widths, scalarLoss: .multiclassSVM, loss: .multiclassHinge,
                          learningRate: 0.01, lambda: 1e-4, weights: w, biases: b)
        // The scalar engine is the slow side: time it on a subset sized to take a fraction of a second.
        let scalarCount = (quick ? 32_768 : 131_072) / hidden
        figures += try compare(net, mnist, order: order, scalarExamples: min(scalarCount, subset),
                               vectorizedExamples: quick ? 2048 : 8192, context: context)
    }
    return figures
}

/// Times the scalar net on `scalarExamples` of `order` at batch 1 and the vectorized net at each batch
/// size, and checks on a short run that both engines compute the same training (same weights after it).
private func compare(_ net: TwinNet, _ data: TwinData, order: [Int], scalarExamples: Int, vectorizedExamples: Int,
                     context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let repetitions = quick ? 3 : 5
    let scalarOrder = Array(order.prefix(scalarExamples))

    // Same training, both engines: 32 per-example steps from the same weights should end at the same
    // weights up to Float rounding. A large difference would mean the comparison is not like for like.
    let check = net.scalarNet()
    check.train(inputs: data.inputs, labels: data.scalarLabels, order: Array(order.prefix(32)), batchSize: 1,
                learningRate: net.learningRate, regularization: net.lambda)
    let checkTrainer = try net.trainer(batch: 1)
    for (x, y) in try cutBatches(data, order: order, batch: 1, examples: 32) { try checkTrainer.step(x, .classes(y)) }
    var worst = 0.0
    let dense = checkTrainer.model.layers.compactMap { $0 as? Dense<Float> }
    for (l, layer) in dense.enumerated() {
        let nIn = net.widths[l], nOut = net.widths[l + 1], scalarW = check.weights[l]
        let vw = layer.weight.value
        for i in 0..<nIn { for o in 0..<nOut { worst = max(worst, Swift.abs(Double(vw[i, o]) - scalarW[o * nIn + i])) } }
    }

    let scalar = net.scalarNet()
    let scalarSeconds = medianSeconds(warmup: quick ? 0 : 1, repetitions: repetitions) {
        scalar.train(inputs: data.inputs, labels: data.scalarLabels, order: scalarOrder, batchSize: 1,
                     learningRate: net.learningRate, regularization: net.lambda)
    }
    let scalarRate = Double(scalarOrder.count) / scalarSeconds
    var figures = [BenchFigure(suite: "gates", name: "gates \(net.name) scalar ScalarNet batch=1",
                               value: scalarRate, unit: "ex/s",
                               note: "\(scalar.gateCount) gates, \(scalarOrder.count) examples per sample, Double; max |Δw| vs vectorized after 32 identical steps \(String(format: "%.1e", worst))")]
    for batch in vectorizedBatches {
        let batches = try cutBatches(data, order: order, batch: batch, examples: max(vectorizedExamples, batch * 8))
        guard !batches.isEmpty else { continue }
        let trainer = try net.trainer(batch: batch)
        // Batch 1 pays the whole per-step overhead per example: fewer steps keep its sample short.
        let steps = batch == 1 ? (quick ? 100 : 400) : max(5, vectorizedExamples / batch)
        var cursor = 0
        let run = {
            for _ in 0..<steps {
                let (x, y) = batches[cursor]
                cursor = (cursor + 1) % batches.count
                try trainer.step(x, .classes(y))
            }
        }
        let t = try medianSeconds(warmup: 1, repetitions: repetitions, run)
        let rate = Double(steps * batch) / t
        figures.append(BenchFigure(suite: "gates", name: "gates \(net.name) vectorized batch=\(batch)",
                                   value: rate, unit: "ex/s", baseline: scalarRate, baselineName: "scalar",
                                   ratio: rate / scalarRate,
                                   note: "Layers Sequential + Trainer.step, Float, 1 BLAS thread; speed-up over scalar per-example SGD"))
    }
    return figures
}

import Testing
@testable import Gates

// The general scalar net against a plain reference implementation (loops over arrays, no gates). Same
// initial weights, same sample order, same hyperparameters → same weights, to 1e-9 in Double.

/// The reference: what a vectorized engine computes, written as straightforward loops.
/// Weights row-major out × in, `L = mean loss + (λ/2)ΣW²`, `W ← W − lr·∂L/∂W`.
struct ReferenceNet {
    var widths: [Int]
    var weights: [[Double]]
    var biases: [[Double]]
    var loss: ScalarLoss

    /// Pre-activations and activations of every layer (activations[0] is the input).
    func forward(_ x: [Double]) -> (pre: [[Double]], act: [[Double]]) {
        var act = [x], pre: [[Double]] = []
        for l in 0..<(widths.count - 1) {
            let nIn = widths[l], nOut = widths[l + 1]
            var z = [Double](repeating: 0, count: nOut)
            for o in 0..<nOut {
                var s = 0.0
                for i in 0..<nIn { s += weights[l][o * nIn + i] * act[l][i] }
                z[o] = s + biases[l][o]
            }
            pre.append(z)
            act.append(l == widths.count - 2 ? z : z.map { max(0, $0) })
        }
        return (pre, act)
    }

    /// Data loss of one example and its gradient with respect to the scores.
    func lossAndScoreGradient(_ s: [Double], label y: Int) -> (Double, [Double]) {
        var ds = [Double](repeating: 0, count: s.count)
        var total = 0.0
        switch loss {
        case .binaryHinge:
            let margin = 1 - Double(y) * s[0]
            if margin > 0 { total = margin; ds[0] = -Double(y) }
        case .multiclassSVM:
            for j in s.indices where j != y {
                let margin = s[j] - s[y] + 1
                if margin > 0 { total += margin; ds[j] += 1; ds[y] -= 1 }
            }
        }
        return (total, ds)
    }

    /// Adds `scale ·` this example's parameter gradient into `dW`, `db`.
    func accumulateGradient(_ x: [Double], label: Int, scale: Double, dW: inout [[Double]], db: inout [[Double]]) {
        let (pre, act) = forward(x)
        var dz = lossAndScoreGradient(act[act.count - 1], label: label).1.map { $0 * scale }
        for l in stride(from: widths.count - 2, through: 0, by: -1) {
            let nIn = widths[l], nOut = widths[l + 1]
            var da = [Double](repeating: 0, count: nIn)
            for o in 0..<nOut {
                db[l][o] += dz[o]
                for i in 0..<nIn {
                    dW[l][o * nIn + i] += dz[o] * act[l][i]
                    da[i] += weights[l][o * nIn + i] * dz[o]
                }
            }
            if l > 0 { dz = (0..<nIn).map { pre[l - 1][$0] > 0 ? da[$0] : 0 } }
        }
    }

    mutating func train(inputs: [[Double]], labels: [Int], order: [Int], batchSize: Int, learningRate lr: Double, regularization lambda: Double) {
        var start = 0
        while start < order.count {
            let end = min(start + batchSize, order.count)
            var dW = weights.map { $0.map { _ in 0.0 } }, db = biases.map { $0.map { _ in 0.0 } }
            for t in start..<end {
                accumulateGradient(inputs[order[t]], label: labels[order[t]], scale: 1 / Double(end - start), dW: &dW, db: &db)
            }
            for l in weights.indices {
                for k in weights[l].indices { weights[l][k] -= lr * (dW[l][k] + lambda * weights[l][k]) }
                for k in biases[l].indices { biases[l][k] -= lr * db[l][k] }
            }
            start = end
        }
    }

    func meanLoss(inputs: [[Double]], labels: [Int]) -> Double {
        var total = 0.0
        for (x, y) in zip(inputs, labels) { total += lossAndScoreGradient(forward(x).act.last!, label: y).0 }
        return total / Double(inputs.count)
    }
}

/// Random initial parameters, row-major out × in.
func randomParameters(_ widths: [Int], scale: Double, rng: inout GatesRNG) -> ([[Double]], [[Double]]) {
    var w: [[Double]] = [], b: [[Double]] = []
    for l in 0..<(widths.count - 1) {
        w.append((0..<(widths[l] * widths[l + 1])).map { _ in rng.uniform(-scale, scale) })
        b.append((0..<widths[l + 1]).map { _ in rng.uniform(-0.1, 0.1) })
    }
    return (w, b)
}

/// `count` points in 2-D around `classes` centers on a circle; labels 0..<classes.
func blobs(count: Int, classes: Int, spread: Double, rng: inout GatesRNG) -> ([[Double]], [Int]) {
    var x: [[Double]] = [], y: [Int] = []
    let centers = [[2.0, 0], [-1, 1.7], [-1, -1.7], [0, 0]]
    for n in 0..<count {
        let k = n % classes
        x.append([centers[k][0] + spread * rng.uniform(-1, 1), centers[k][1] + spread * rng.uniform(-1, 1)])
        y.append(k)
    }
    return (x, y)
}

/// Trains the gate net and the reference on identical inputs and returns the largest weight difference.
func compareWithReference(
    widths: [Int], loss: ScalarLoss, inputs: [[Double]], labels: [Int], order: [Int],
    batchSize: Int, learningRate: Double, regularization: Double, seed: UInt64, wiring: NeuronWiring
) -> (difference: Double, net: ScalarNet, reference: ReferenceNet, initial: [[Double]]) {
    var rng = GatesRNG(seed: seed)
    let (w, b) = randomParameters(widths, scale: 1 / Double(widths[0]).squareRoot(), rng: &rng)
    let net = ScalarNet(inputWidth: widths[0], hiddenWidths: Array(widths.dropFirst().dropLast()),
                        outputCount: widths.last!, loss: loss, weights: w, biases: b, wiring: wiring)
    var reference = ReferenceNet(widths: widths, weights: w, biases: b, loss: loss)
    net.train(inputs: inputs, labels: labels, order: order, batchSize: batchSize,
              learningRate: learningRate, regularization: regularization)
    reference.train(inputs: inputs, labels: labels, order: order, batchSize: batchSize,
                    learningRate: learningRate, regularization: regularization)
    let difference = max(maxAbsDifference(net.weights, reference.weights), maxAbsDifference(net.biases, reference.biases))
    return (difference, net, reference, w)
}

@Test("Reference net's backward agrees with central differences (so the comparison below is against a correct engine)")
func referenceGradientIsCorrect() {
    var rng = GatesRNG(seed: 5)
    for loss in [ScalarLoss.binaryHinge, .multiclassSVM] {
        let widths = loss == .binaryHinge ? [3, 4, 1] : [3, 5, 4, 3]
        let (w, b) = randomParameters(widths, scale: 0.8, rng: &rng)
        let x = [0.3, -1.2, 0.8], y = loss == .binaryHinge ? -1 : 2
        let ref = ReferenceNet(widths: widths, weights: w, biases: b, loss: loss)
        var dW = w.map { $0.map { _ in 0.0 } }, db = b.map { $0.map { _ in 0.0 } }
        ref.accumulateGradient(x, label: y, scale: 1, dW: &dW, db: &db)
        let flat = w.flatMap { $0 }
        let numerical = numericalGradient({ v in
            var r = ref
            var k = 0
            for l in r.weights.indices { for j in r.weights[l].indices { r.weights[l][j] = v[k]; k += 1 } }
            return r.meanLoss(inputs: [x], labels: [y])
        }, at: flat, h: 1e-6, scheme: .central)
        let worst = zip(dW.flatMap { $0 }, numerical).map { relativeError($0, $1) }.max()!
        #expect(worst < 1e-5, "\(loss): worst relative error \(worst)")
        #expect(dW.flatMap { $0 }.contains { $0 != 0 }, "\(loss): a case with some active margins")
    }
}

@Test("Scalar net, 2-D toy data, binary hinge, per-example SGD: same weights as the reference to 1e-9",
      arguments: [NeuronWiring.weightedSum, .multiplyAndSum])
func scalarNetBinaryPerExample(wiring: NeuronWiring) {
    var rng = GatesRNG(seed: 11)
    let (x, k) = blobs(count: 40, classes: 2, spread: 1.2, rng: &rng)
    let labels = k.map { $0 == 0 ? 1 : -1 }
    let order = randomSampleOrder(count: x.count, iterations: 400, rng: &rng)
    let r = compareWithReference(widths: [2, 5, 1], loss: .binaryHinge, inputs: x, labels: labels, order: order,
                                 batchSize: 1, learningRate: 0.05, regularization: 0.01, seed: 12, wiring: wiring)
    #expect(r.difference < 1e-9, "largest parameter difference \(r.difference)")
    #expect(maxAbsDifference(r.net.weights, r.initial) > 0.01, "training moved the weights")
    #expect(r.net.accuracy(inputs: x, labels: labels) > 0.9)
}

@Test("Scalar net, 2-D toy data, 3 classes, two hidden layers, mini-batch 7 (uneven last batch): matches reference",
      arguments: [NeuronWiring.weightedSum, .multiplyAndSum])
func scalarNetMulticlassMiniBatch(wiring: NeuronWiring) {
    var rng = GatesRNG(seed: 21)
    let (x, labels) = blobs(count: 60, classes: 3, spread: 1.0, rng: &rng)
    var order: [Int] = []
    for _ in 0..<10 { order += Array(0..<60).shuffled(using: &rng) }
    order.removeLast(3)  // 597 = 85·7 + 2: the last batch is short
    let r = compareWithReference(widths: [2, 8, 6, 3], loss: .multiclassSVM, inputs: x, labels: labels, order: order,
                                 batchSize: 7, learningRate: 0.1, regularization: 0.001, seed: 22, wiring: wiring)
    #expect(r.difference < 1e-9, "largest parameter difference \(r.difference)")
    #expect(r.net.accuracy(inputs: x, labels: labels) > 0.9)
    for i in 0..<5 {
        #expect(allClose(r.net.scores(for: x[i]), r.reference.forward(x[i]).act.last!, tolerance: 1e-9))
    }
}

@Test("Scalar net, Fashion-MNIST-like input (784 wide, 10 classes), mini-batch 4: matches reference",
      arguments: [NeuronWiring.weightedSum, .multiplyAndSum])
func scalarNetFashionShaped(wiring: NeuronWiring) {
    var rng = GatesRNG(seed: 31)
    let inputs = (0..<24).map { _ in (0..<784).map { _ in rng.uniform() } }  // pixel-like values in [0, 1)
    let labels = (0..<24).map { $0 % 10 }
    var order = Array(0..<24).shuffled(using: &rng)
    order += Array(0..<24).shuffled(using: &rng)
    let r = compareWithReference(widths: [784, 12, 10], loss: .multiclassSVM, inputs: inputs, labels: labels,
                                 order: order, batchSize: 4, learningRate: 0.05, regularization: 0.01, seed: 32, wiring: wiring)
    #expect(r.difference < 1e-9, "largest parameter difference \(r.difference)")
    #expect(maxAbsDifference(r.net.weights, r.initial) > 1e-3)
    #expect(r.net.gateCount > (wiring == .multiplyAndSum ? 784 * 12 : 12))
}

@Test("Scalar net with no hidden layer, λ = 1, step 0.01, batch 1 is the guide's SVM")
func scalarNetIsTheGuideSVM() {
    var rng = GatesRNG(seed: 8)
    let order = randomSampleOrder(count: 6, iterations: 500, rng: &rng)
    let net = ScalarNet(inputWidth: 2, hiddenWidths: [], outputCount: 1, loss: .binaryHinge,
                        weights: [[1, -2]], biases: [[-1]])
    net.train(inputs: GuideData.points, labels: GuideData.labels, order: order, learningRate: 0.01, regularization: 1)
    let svm = SVM()
    svm.train(on: GuideData.points, labels: GuideData.labels, order: order, logEvery: 0)
    #expect(allClose(net.weights[0] + net.biases[0], svm.parameters, tolerance: 1e-12),
            "net \(net.weights[0] + net.biases[0]) svm \(svm.parameters)")
}

@Test("Scalar net 2-3-1 with the guide's parameters is the guide's 2-layer net")
func scalarNetIsTheTwoLayerNet() {
    var rng = GatesRNG(seed: 9)
    let guideNet = TwoLayerNet(rng: &rng)
    let p = guideNet.parameterValues  // a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4
    let net = ScalarNet(inputWidth: 2, hiddenWidths: [3], outputCount: 1, loss: .binaryHinge,
                        weights: [[p[0], p[1], p[3], p[4], p[6], p[7]], [p[9], p[10], p[11]]],
                        biases: [[p[2], p[5], p[8]], [p[12]]])
    let order = randomSampleOrder(count: 6, iterations: 600, rng: &rng)
    guideNet.train(on: GuideData.points, labels: GuideData.labels, order: order, logEvery: 0)
    net.train(inputs: GuideData.points, labels: GuideData.labels, order: order, learningRate: 0.01, regularization: 1)
    let q = guideNet.parameterValues
    #expect(allClose(net.weights[0], [q[0], q[1], q[3], q[4], q[6], q[7]], tolerance: 1e-12))
    #expect(allClose(net.weights[1], [q[9], q[10], q[11]], tolerance: 1e-12))
    #expect(allClose(net.biases[0] + net.biases[1], [q[2], q[5], q[8], q[12]], tolerance: 1e-12))
}

@Test("Scalar net's own seeded initializer: same seed, same net; weights within ±1/√fan-in")
func scalarNetInitializer() {
    var a = GatesRNG(seed: 4), b = GatesRNG(seed: 4)
    let n1 = ScalarNet(inputWidth: 16, hiddenWidths: [8], outputCount: 3, loss: .multiclassSVM, rng: &a)
    let n2 = ScalarNet(inputWidth: 16, hiddenWidths: [8], outputCount: 3, loss: .multiclassSVM, rng: &b)
    #expect(n1.weights == n2.weights)
    #expect(n1.weights[0].allSatisfy { abs($0) <= 0.25 } && n1.weights[1].allSatisfy { abs($0) <= 1 / 8.0.squareRoot() })
    #expect(n1.biases.allSatisfy { $0.allSatisfy { $0 == 0 } })
    #expect(n1.widths == [16, 8, 3])
}

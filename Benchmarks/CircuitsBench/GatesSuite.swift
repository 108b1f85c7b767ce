import Foundation
import Gates

// Scalar engine throughput: the gate engine (circuits built once, re-run per example) against the same
// training loop written as plain unrolled scalar code — the guide's "what it all boils down to", the
// limit for anything that moves one number at a time. Target: the gate engine within 5× of it.

/// Gate-engine figures: examples per second of per-example SGD on the guide's 2-3-1 net and on a
/// 784-32-10 multiclass-SVM net over a Fashion-MNIST subset, each beside its unrolled scalar baseline.
func gatesSuite(quick: Bool) -> [BenchFigure] {
    var figures: [BenchFigure] = []
    let repetitions = quick ? 7 : 21

    // --- The guide's 2-3-1 net on its six points -------------------------------------------------
    // Each timed run restarts from the same parameters and stays short: a dead ReLU's weights shrink by
    // (1 − 0.01) per step under the spring, and within ~20k steps products of them fall into subnormal
    // numbers, whose arithmetic is ~10× slower (measured: 140 vs 940 ns/example) and would swamp what
    // is being compared. 0.99^5000 ≈ 1e-22 keeps every number normal.
    let toySteps = 5_000
    var rng = GatesRNG(seed: 1)
    let toyOrder = randomSampleOrder(count: 6, iterations: toySteps, rng: &rng)
    let points = GuideData.points, labels = GuideData.labels
    var initRNG = GatesRNG(seed: 2)
    let initial = (0..<13).map { _ in initRNG.uniform() - 0.5 }

    let unrolled = UnrolledTwoLayerNet(parameters: initial)
    let runUnrolledToy = {
        unrolled.p = initial
        for i in toyOrder { unrolled.learn(points[i][0], points[i][1], label: labels[i]) }
    }

    let net = TwoLayerNet(parameters: initial)
    figures.append(figure("gates TwoLayerNet 2-3-1 per-example SGD", pairedThroughput(
        examples: toySteps, repetitions: repetitions, baseline: runUnrolledToy,
        candidate: {
            net.setParameters(initial)
            for i in toyOrder { net.learnFrom(points[i][0], points[i][1], label: labels[i]) }
        }),
        note: "guide's 6 points, force spec, step 0.01, multiply/sum/ReLU gates; baseline: guide's unrolled loop"))

    let toyWeights = [[initial[0], initial[1], initial[3], initial[4], initial[6], initial[7]],
                      [initial[9], initial[10], initial[11]]]
    let toyBiases = [[initial[2], initial[5], initial[8]], [initial[12]]]
    let general = ScalarNet(inputWidth: 2, hiddenWidths: [3], outputCount: 1, loss: .binaryHinge,
                            weights: toyWeights, biases: toyBiases)
    figures.append(figure("gates ScalarNet 2-3-1 per-example SGD", pairedThroughput(
        examples: toySteps, repetitions: repetitions, baseline: runUnrolledToy,
        candidate: {
            general.setParameters(weights: toyWeights, biases: toyBiases)
            general.train(inputs: points, labels: labels, order: toyOrder, learningRate: 0.01, regularization: 1)
        }),
        note: "general scalar net, weighted-sum gates (\(general.gateCount) gates incl. loss); baseline: guide's unrolled loop"))

    // --- 784-32-10 on Fashion-MNIST --------------------------------------------------------------
    let count = quick ? 100 : 500
    let (images, classes, source) = fashionSubset(count: count)
    var wRNG = GatesRNG(seed: 3)
    let widths = [784, 32, 10]
    var w: [[Double]] = [], b: [[Double]] = []
    for l in 0..<2 {
        let scale = 1 / Double(widths[l]).squareRoot()
        w.append((0..<(widths[l] * widths[l + 1])).map { _ in wRNG.uniform(-scale, scale) })
        b.append([Double](repeating: 0, count: widths[l + 1]))
    }
    var oRNG = GatesRNG(seed: 4)
    let order = Array(0..<count).shuffled(using: &oRNG)
    let (lr, lambda) = (0.01, 1e-4)

    let mlp = UnrolledMLP(widths: widths, weights: w, biases: b)
    let runUnrolledMLP = {
        for i in order { mlp.learn(images[i], label: classes[i], learningRate: lr, regularization: lambda) }
    }
    for wiring in [NeuronWiring.weightedSum, .multiplyAndSum] {
        let scalarNet = ScalarNet(inputWidth: 784, hiddenWidths: [32], outputCount: 10, loss: .multiclassSVM,
                                  weights: w, biases: b, wiring: wiring)
        let name = wiring == .weightedSum ? "gates ScalarNet 784-32-10 per-example SGD"
                                          : "gates ScalarNet 784-32-10 multiply+sum gates"
        let how = wiring == .weightedSum ? "weighted-sum gate per neuron" : "one multiply gate per connection"
        figures.append(figure(name, pairedThroughput(
            examples: count, repetitions: repetitions, baseline: runUnrolledMLP,
            candidate: { scalarNet.train(inputs: images, labels: classes, order: order, batchSize: 1,
                                         learningRate: lr, regularization: lambda) }),
            note: "\(count) images (\(source)), multiclass SVM, \(how) (\(scalarNet.gateCount) gates); baseline: unrolled scalar loops"))
    }
    return figures
}

/// Times `baseline` and `candidate` alternately, `repetitions` pairs after one warm-up pair, and returns
/// examples per second of each (median) and the median of the per-pair throughput ratios. Alternating
/// keeps a busy machine's slow moments from landing on one side only.
private func pairedThroughput(
    examples: Int, repetitions: Int, baseline: () -> Void, candidate: () -> Void
) -> (value: Double, baseline: Double, ratio: Double) {
    baseline(); candidate()
    var b: [Double] = [], c: [Double] = [], r: [Double] = []
    for _ in 0..<repetitions {
        let tb = seconds(baseline), tc = seconds(candidate)
        b.append(tb); c.append(tc); r.append(tb / tc)
    }
    func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
    return (Double(examples) / median(c), Double(examples) / median(b), median(r))
}

private func figure(_ name: String, _ t: (value: Double, baseline: Double, ratio: Double), note: String) -> BenchFigure {
    BenchFigure(suite: "gates", name: name, value: t.value, unit: "ex/s", baseline: t.baseline,
                baselineName: "unrolled scalar", ratio: t.ratio,
                note: note + "; ratio = median of alternating gate/unrolled timings")
}

/// The first `count` Fashion-MNIST training images scaled to [0, 1] and their labels, read by piping
/// the IDX files through `gzip -dc` (the bench stays independent of the Datasets module). Falls back to
/// seeded random 784-wide data if the files cannot be read; the third value says which.
private func fashionSubset(count: Int) -> ([[Double]], [Int], String) {
    let dir = "/usr/share/datasets/fashion-mnist"
    if let imageBytes = gunzipPrefix("\(dir)/train-images-idx3-ubyte.gz", bytes: 16 + 784 * count),
       let labelBytes = gunzipPrefix("\(dir)/train-labels-idx1-ubyte.gz", bytes: 8 + count),
       imageBytes.count == 16 + 784 * count, labelBytes.count == 8 + count,
       imageBytes.prefix(4).elementsEqual([0, 0, 8, 3]), labelBytes.prefix(4).elementsEqual([0, 0, 8, 1]) {
        let pixels = [UInt8](imageBytes), tags = [UInt8](labelBytes)
        let images = (0..<count).map { n in (0..<784).map { Double(pixels[16 + 784 * n + $0]) / 255 } }
        return (images, (0..<count).map { Int(tags[8 + $0]) }, "Fashion-MNIST train subset")
    }
    var rng = GatesRNG(seed: 5)
    let images = (0..<count).map { _ in (0..<784).map { _ in rng.uniform() } }
    return (images, (0..<count).map { $0 % 10 }, "synthetic random 784-wide data: Fashion-MNIST not readable")
}

/// The first `bytes` bytes of a gzip file, by `gzip -dc file | head -c bytes`.
private func gunzipPrefix(_ path: String, bytes: Int) -> Data? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -dc '\(path)' | head -c \(bytes)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data
}

/// The guide's 2-layer net as it "boils down to": local variables and hand-written derivatives.
private final class UnrolledTwoLayerNet {
    var p: [Double]
    init(parameters: [Double]) { p = parameters }

    func learn(_ x: Double, _ y: Double, label: Int) {
        var (a1, b1, c1, a2, b2, c2, a3, b3, c3) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])
        var (a4, b4, c4, d4) = (p[9], p[10], p[11], p[12])
        let n1 = max(0, a1 * x + b1 * y + c1)
        let n2 = max(0, a2 * x + b2 * y + c2)
        let n3 = max(0, a3 * x + b3 * y + c3)
        let score = a4 * n1 + b4 * n2 + c4 * n3 + d4
        var pull = 0.0
        if label == 1 && score < 1 { pull = 1 }
        if label == -1 && score > -1 { pull = -1 }
        let dn1 = n1 == 0 ? 0 : a4 * pull, dn2 = n2 == 0 ? 0 : b4 * pull, dn3 = n3 == 0 ? 0 : c4 * pull
        let step = 0.01
        a1 += step * (x * dn1 - a1); b1 += step * (y * dn1 - b1); c1 += step * dn1
        a2 += step * (x * dn2 - a2); b2 += step * (y * dn2 - b2); c2 += step * dn2
        a3 += step * (x * dn3 - a3); b3 += step * (y * dn3 - b3); c3 += step * dn3
        a4 += step * (n1 * pull - a4); b4 += step * (n2 * pull - b4); c4 += step * (n3 * pull - c4)
        d4 += step * pull
        p[0] = a1; p[1] = b1; p[2] = c1; p[3] = a2; p[4] = b2; p[5] = c2; p[6] = a3; p[7] = b3; p[8] = c3
        p[9] = a4; p[10] = b4; p[11] = c4; p[12] = d4
    }
}

/// A ReLU MLP with multiclass SVM loss as plain scalar loops, per-example SGD with the update fused into
/// the backward sweep (row-major out × in weights). Everything lives in buffers allocated once and is
/// reached through raw pointers: no bounds, uniqueness or exclusivity checks, so this is the honest
/// speed limit of a one-number-at-a-time implementation.
private final class UnrolledMLP {
    let widths: [Int]
    let layers: Int
    let w: [UnsafeMutablePointer<Double>], b: [UnsafeMutablePointer<Double>]
    let act: [UnsafeMutablePointer<Double>], delta: [UnsafeMutablePointer<Double>]

    init(widths: [Int], weights: [[Double]], biases: [[Double]]) {
        self.widths = widths
        layers = widths.count - 1
        func buffer(_ values: [Double]) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(values.count, 1))
            p.initialize(from: values, count: values.count)
            return p
        }
        w = weights.map(buffer)
        b = biases.map(buffer)
        act = widths.map { buffer([Double](repeating: 0, count: $0)) }
        delta = widths.map { buffer([Double](repeating: 0, count: $0)) }
    }

    deinit { for p in w + b + act + delta { p.deallocate() } }

    func learn(_ x: [Double], label y: Int, learningRate lr: Double, regularization lambda: Double) {
        x.withUnsafeBufferPointer { act[0].update(from: $0.baseAddress!, count: widths[0]) }
        for l in 0..<layers {
            let nIn = widths[l], nOut = widths[l + 1], wl = w[l], a = act[l], next = act[l + 1], bl = b[l]
            let relu = l < layers - 1
            for o in 0..<nOut {
                var s = bl[o]
                let row = wl + o * nIn
                for i in 0..<nIn { s += row[i] * a[i] }
                next[o] = relu ? max(0, s) : s
            }
        }
        let s = act[layers], ds = delta[layers], n = widths[layers]
        for j in 0..<n { ds[j] = 0 }
        for j in 0..<n where j != y && s[j] - s[y] + 1 > 0 {
            ds[j] += 1
            ds[y] -= 1
        }
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let nIn = widths[l], nOut = widths[l + 1], wl = w[l], a = act[l], d = delta[l + 1], bl = b[l]
            let below = delta[l]
            if l > 0 { for i in 0..<nIn { below[i] = 0 } }
            for o in 0..<nOut {
                let g = d[o]
                let row = wl + o * nIn
                if l > 0 { for i in 0..<nIn { below[i] += row[i] * g } }
                for i in 0..<nIn { row[i] -= lr * (g * a[i] + lambda * row[i]) }
                bl[o] -= lr * g
            }
            if l > 0 { for i in 0..<nIn where a[i] <= 0 { below[i] = 0 } }
        }
    }
}

import Foundation
import Tensor

// The convolution kernels of issue #14, layer by layer: the small CNN's conv and pooling layers at batch
// 64 on Fashion-MNIST-sized images (conv1 1→32 3×3 on 28×28, pool1 2×2, conv2 32→64 3×3 on 14×14,
// pool2 2×2; padding 1), each timed as one forward + backward on a tape — what the layer costs in a
// training step — against PyTorch's conv2d / max_pool2d doing the same (Benchmarks/peers/
// conv_layers_torch.py). Both sides run as paired fresh processes (ours `CircuitsBench --worker
// conv-layers`, PairedRunner.swift), alternating, with the same warm-up and sample rules; medians.
//
// Targets: conv2's forward + backward at ≥ 70% of the one-thread SGEMM peak measured in this run (FLOPs
// 2·N·Cout·Hout·Wout·Cin·kh·kw forward, twice that backward), and conv1 (whose input needs no gradient:
// FLOPs counted once backward) at ≥ 2× PyTorch.

/// One layer of the CNN as a timed forward + backward on its own tape, with fixed inputs and upstream
/// gradient: the tape is reset each call, so after the first call every buffer comes from the arena.
final class ConvLayerBench {
    let name: String
    let label: String
    /// Forward FLOPs (0 for pooling), and how many times that the backward costs.
    let forwardFLOPs: Double
    let backwardFactor: Double
    let tape = Tape<Float>()
    private let forward: (Tape<Float>) throws -> Variable<Float>
    private let parameters: [Variable<Float>]
    private let seed: Tensor<Float>

    init(name: String, label: String, forwardFLOPs: Double = 0, backwardFactor: Double = 0, outputShape: [Int],
         parameters: [Variable<Float>], forward: @escaping (Tape<Float>) throws -> Variable<Float>) {
        self.name = name
        self.label = label
        self.forwardFLOPs = forwardFLOPs
        self.backwardFactor = backwardFactor
        self.parameters = parameters
        self.forward = forward
        var rng = SeededRNG(seed: 99)
        seed = Tensor.randomNormal(outputShape, using: &rng)
    }

    /// Forward and backward, as in a training step.
    func step() throws {
        tape.reset()
        for p in parameters { p.zeroGrad() }
        let y = try forward(tape)
        try tape.backward(y, seed: seed)
    }

    /// The forward alone (the backward closure is recorded but not run).
    func forwardOnly() throws {
        tape.reset()
        _ = try forward(tape)
    }

    var stepFLOPs: Double { forwardFLOPs * (1 + backwardFactor) }

    /// The small CNN's four layers at `batch`.
    static func cnnLayers(batch n: Int) -> [ConvLayerBench] {
        var rng = SeededRNG(seed: 14)
        func conv(_ name: String, cin: Int, cout: Int, size: Int, inputNeedsGradient: Bool) -> ConvLayerBench {
            let x = Tensor<Float>.randomNormal([n, cin, size, size], using: &rng)
            let w = Variable(Tensor<Float>.randomNormal([cout, cin, 3, 3], std: 0.1, using: &rng))
            let b = Variable(Tensor<Float>(zeros: [cout]))
            let flops = 2 * Double(n * cout * size * size * cin * 9)
            return ConvLayerBench(
                name: name, label: "\(name) \(cin)→\(cout) 3×3 pad 1 on \(size)×\(size)" + (inputNeedsGradient ? "" : " (input needs no gradient)"),
                forwardFLOPs: flops, backwardFactor: inputNeedsGradient ? 2 : 1, outputShape: [n, cout, size, size],
                parameters: [w, b]) { tape in
                    let input = inputNeedsGradient ? tape.variable(x) : tape.constant(x)
                    return try input.conv2D(weight: w, bias: b, padding: 1)
                }
        }
        func pool(_ name: String, channels c: Int, size: Int) -> ConvLayerBench {
            let x = Tensor<Float>.randomNormal([n, c, size, size], using: &rng)
            return ConvLayerBench(name: name, label: "\(name) max 2×2 on [\(n), \(c), \(size), \(size)]",
                                  outputShape: [n, c, size / 2, size / 2], parameters: []) { tape in
                try tape.variable(x).maxPool2D(kernel: 2)
            }
        }
        return [
            conv("conv1", cin: 1, cout: 32, size: 28, inputNeedsGradient: false),
            pool("pool1", channels: 32, size: 28),
            conv("conv2", cin: 32, cout: 64, size: 14, inputNeedsGradient: true),
            pool("pool2", channels: 64, size: 14),
        ]
    }
}

/// Calls per timed sample so that one sample lasts at least `minimumSeconds` (at least 3 calls).
private func calls(for body: () throws -> Void, minimumSeconds: Double) throws -> Int {
    try body()
    let one = max(try seconds(body), 1e-7)
    return max(3, Int((minimumSeconds / one).rounded(.up)))
}

/// Median seconds per call of `body` over `repetitions` samples.
private func perCall(_ body: () throws -> Void, minimumSeconds: Double, repetitions: Int) throws -> Double {
    let n = try calls(for: body, minimumSeconds: minimumSeconds)
    return median(try (0..<repetitions).map { _ in try seconds { for _ in 0..<n { try body() } } / Double(n) })
}

/// `CircuitsBench --worker conv-layers`: each layer of the small CNN timed as conv_layers_torch.py times
/// torch's (3 warm calls, calls per sample for at least `--sample-ms`, median of `--repetitions` samples),
/// one JSON record per layer: forward + backward ms, and the forward alone.
func convLayersWorker(_ o: WorkerOptions) throws {
    let batch = o.batches.first ?? 64
    let minimumSeconds = Double(o.extra["sample-ms"] ?? "") .map { $0 / 1000 } ?? (o.quick ? 0.04 : 0.15)
    for layer in ConvLayerBench.cnnLayers(batch: batch) {
        for _ in 0..<3 { try layer.step() }
        let ms = 1e3 * (try perCall(layer.step, minimumSeconds: minimumSeconds, repetitions: o.repetitions))
        for _ in 0..<3 { try layer.forwardOnly() }
        let forwardMS = 1e3 * (try perCall(layer.forwardOnly, minimumSeconds: minimumSeconds, repetitions: o.repetitions))
        emitRecord(["name": layer.name, "value": ms, "unit": "ms", "batch": batch, "threads": o.threads,
                    "forward_ms": forwardMS, "repetitions": o.repetitions, "version": "circuits"])
    }
}

func convSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let batch = 64
    let rounds = quick ? 1 : 3
    let repetitions = quick ? 3 : 5
    let minimumSeconds = quick ? 0.04 : 0.15
    context.refreshPeak()
    let peak = context.peak()
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    let runner = PeerRunner(context: context)
    let layers = ConvLayerBench.cnnLayers(batch: batch)   // names, labels and FLOPs (the worker times its own)
    let threadCounts = context.options.threads

    // ours[threads][layer] and theirs[threads][layer]: one median per fresh-process sample, in ms.
    var ours: [Int: [String: [Double]]] = [:], oursForward: [Int: [String: [Double]]] = [:]
    var theirs: [Int: [String: [Double]]] = [:], theirsForward: [Int: [String: [Double]]] = [:]
    var contaminated: [Int: Int] = [:], retries: [Int: Int] = [:]
    var version = "?"
    for threads in threadCounts {
        var args = ["--threads", "\(threads)", "--batch", "\(batch)", "--repetitions", "\(repetitions)",
                    "--sample-ms", "\(Int(minimumSeconds * 1000))"]
        if quick { args.append("--quick") }
        var sides = [context.worker("conv-layers", args)]
        if let peer = runner.side("conv_layers_torch.py", args, timeout: 300) { sides.append(peer) }
        context.report.say("  (conv layers vs torch, threads=\(threads): \(rounds) rounds, each side in a fresh process)")
        let result = runPaired(sides, rounds: rounds, threads: threads, report: context.report, label: "conv layers threads=\(threads)")
        contaminated[threads] = result.contaminated
        retries[threads] = result.retries
        for (side, sample) in result.records.flatMap({ name, samples in samples.map { (name, $0) } }) {
            for r in sample {
                guard let v = r.value else { continue }
                if side == "circuits" {
                    ours[threads, default: [:]][r.name, default: []].append(v)
                    if let f = r.double("forward_ms") { oursForward[threads, default: [:]][r.name, default: []].append(f) }
                } else {
                    theirs[threads, default: [:]][r.name, default: []].append(v)
                    if let f = r.double("forward_ms") { theirsForward[threads, default: [:]][r.name, default: []].append(f) }
                    version = r.version ?? version
                }
            }
        }
        if ours[threads] == nil {
            throw WorkerFailure(description: "conv-layers worker gave no figures at threads=\(threads): \(result.unavailable["circuits"] ?? "no output")")
        }
    }

    var figures: [BenchFigure] = []
    for threads in threadCounts {
        for layer in layers {
            let ms = median(ours[threads]![layer.name]!)
            let forwardMS = median(oursForward[threads]![layer.name]!)
            let theirSamples = theirs[threads]?[layer.name] ?? []
            let base = theirSamples.isEmpty ? nil : median(theirSamples)
            let baseForward = (theirsForward[threads]?[layer.name]).flatMap { $0.isEmpty ? nil : median($0) }
            var note = String(format: "forward %.3f ms", forwardMS)
            if let baseForward { note += String(format: " (torch %.3f)", baseForward) }
            if layer.forwardFLOPs > 0 {
                let gflops = layer.stepFLOPs / (ms / 1e3) / 1e9
                note += String(format: "; %.1f GFLOP/s = %.0f%% of %d× the measured per-core peak %.1f", gflops,
                               gflops / (peak * Double(threads)) * 100, threads, peak)
            }
            note += base == nil ? "; torch not measured"
                : "; torch \(version), medians of \(ours[threads]![layer.name]!.count) fresh-process samples per side, alternating"
                  + ((retries[threads] ?? 0) > 0 ? "; \(retries[threads]!) sample(s) retaken after the core check" : "")
            var f = BenchFigure(suite: "conv", name: "\(layer.label) forward+backward batch=\(batch) threads=\(threads)",
                                value: ms, unit: "ms", baseline: base, baselineName: "torch",
                                ratio: base.map { $0 / ms }, note: note)
            if layer.name == "conv1" { f.requireRatio(atLeast: 2, "≥ 2× torch") }
            // Times, not rates: the spread is the same relative measure either way.
            f.judgeNoise(ours: ours[threads]![layer.name]!, theirs: theirSamples, contaminated: contaminated[threads] ?? 0)
            figures.append(f)
        }
    }

    // conv2 as a fraction of the GEMM peak (one thread: the issue's target; two: for the record).
    for threads in threadCounts {
        guard let layer = layers.first(where: { $0.name == "conv2" }) else { continue }
        let ms = median(ours[threads]![layer.name]!)
        let gflops = layer.stepFLOPs / (ms / 1e3) / 1e9
        var f = BenchFigure(suite: "conv", name: "conv2 forward+backward GFLOP/s batch=\(batch) threads=\(threads)",
                            value: gflops, unit: "GFLOP/s", baseline: peak * Double(threads),
                            baselineName: "measured SGEMM peak × threads", ratio: gflops / (peak * Double(threads)),
                            note: String(format: "%.0f MFLOP per call (forward once, backward twice)", layer.stepFLOPs / 1e6))
        if threads == 1 { f.requireRatio(atLeast: 0.70, "≥ 70% of the SGEMM peak") }
        f.judgeNoise(ours: ours[threads]![layer.name]!, theirs: [], contaminated: contaminated[threads] ?? 0)
        figures.append(f)
    }

    figures.append(try batchFoldedComparison(context, batch: batch, minimumSeconds: minimumSeconds, repetitions: repetitions))
    figures.append(try allocationCheck(batch: batch))
    return figures
}

/// The design choice of Tensor+Conv2D.swift, measured: conv2's forward as our per-image im2col + GEMM
/// (scratch in L2, output written in place) against the batch folded into one GEMM — im2col of the
/// whole batch into [K, N·HW], W·col → [Cout, N·HW], then a reorder to NCHW with the bias.
private func batchFoldedComparison(_ context: BenchContext, batch n: Int, minimumSeconds: Double, repetitions: Int) throws -> BenchFigure {
    BLAS.threads = 1
    var rng = SeededRNG(seed: 3)
    let (cin, cout, size) = (32, 64, 14)
    let x = Tensor<Float>.randomNormal([n, cin, size, size], using: &rng)
    let w = Tensor<Float>.randomNormal([cout, cin, 3, 3], std: 0.1, using: &rng)
    let b = Tensor<Float>.randomNormal([cout], using: &rng)
    let g = try Conv2DShape(x.shape, w.shape, b.shape, Window2D(kernel: 3, padding: 1))
    let (k, hw) = (g.columnRows, g.outputPixels)
    let col = Tensor<Float>.uninitialized([k, n * hw])
    let product = Tensor<Float>.uninitialized([cout, n * hw])
    let y = Tensor<Float>.uninitialized(g.outputShape)
    let tape = Tape<Float>()
    let weight = Variable(w), bias = Variable(b)
    let input = tape.constant(x)
    let perImage = {
        tape.reset()
        _ = try input.conv2D(weight: weight, bias: bias, padding: 1)
    }
    let folded = {
        let xp = x.unsafeReadPointer, cp = col.unsafeWritePointer, pp = product.unsafeWritePointer
        for i in 0..<n { Tensor<Float>.im2col(g, xp + i * g.inputImageCount, into: cp + i * hw, rowStride: n * hw) }
        Float.gemm(transA: false, transB: false, m: Int32(cout), n: Int32(n * hw), k: Int32(k), alpha: 1,
                   a: w.unsafeReadPointer, lda: Int32(k), b: cp, ldb: Int32(n * hw), beta: 0, c: pp, ldc: Int32(n * hw))
        let yp = y.unsafeWritePointer, bp = b.unsafeReadPointer
        for i in 0..<n {
            for o in 0..<cout {
                let src = pp + o * n * hw + i * hw, dst = yp + (i * cout + o) * hw, bo = bp[o]
                for p in 0..<hw { dst[p] = src[p] + bo }
            }
        }
    }
    try perImage()
    folded()
    // Same numbers both ways (up to summation order inside the GEMM).
    let ours = try Tensor.conv2D(x, weight: w, bias: b, padding: 1)
    var worst: Float = 0
    for i in 0..<y.count { worst = max(worst, abs(ours[flat: i] - y[flat: i])) }
    var tPer: [Double] = [], tFolded: [Double] = []
    for _ in 0..<3 {
        tPer.append(try perCall(perImage, minimumSeconds: minimumSeconds, repetitions: repetitions))
        tFolded.append(try perCall(folded, minimumSeconds: minimumSeconds, repetitions: repetitions))
    }
    let (a, f) = (median(tPer), median(tFolded))
    return BenchFigure(suite: "conv", name: "conv2 forward: per-image im2col+GEMM vs batch folded into one GEMM, threads=1",
                       value: a * 1e3, unit: "ms", baseline: f * 1e3, baselineName: "batch-folded GEMM + reorder",
                       ratio: f / a,
                       note: String(format: "max |difference| %.2g; batch-folded %.3f ms (column matrix %.1f MB)", worst, f * 1e3,
                                    Double(k * n * hw * 4) / 1e6))
}

/// The hot-path rule for the conv ops: the CNN's layers chained on one tape (conv, ReLU, max pool,
/// conv, ReLU, max pool, global average pool, batch norm on the features), 20 warm steps, no new tensor
/// buffer.
private func allocationCheck(batch n: Int) throws -> BenchFigure {
    var rng = SeededRNG(seed: 8)
    let x = Tensor<Float>.randomNormal([n, 1, 28, 28], using: &rng)
    let w1 = Variable(Tensor<Float>.randomNormal([32, 1, 3, 3], std: 0.3, using: &rng)), b1 = Variable(Tensor<Float>(zeros: [32]))
    let w2 = Variable(Tensor<Float>.randomNormal([64, 32, 3, 3], std: 0.05, using: &rng)), b2 = Variable(Tensor<Float>(zeros: [64]))
    let gamma = Variable(Tensor<Float>.ones([64])), beta = Variable(Tensor<Float>(zeros: [64]))
    var statistics = BatchNormStatistics<Float>(channels: 64)
    let seed = Tensor<Float>.ones([n, 64])
    let tape = Tape<Float>()
    func step() throws {
        tape.reset()
        for p in [w1, b1, w2, b2, gamma, beta] { p.zeroGrad() }
        let h1 = try tape.constant(x).conv2D(weight: w1, bias: b1, padding: 1).relu().maxPool2D(kernel: 2)
        let h2 = try h1.conv2D(weight: w2, bias: b2, padding: 1).relu().maxPool2D(kernel: 2)
        let features = try h2.globalAveragePool().batchNorm(scale: gamma, shift: beta, statistics: &statistics, training: true)
        try tape.backward(features, seed: seed)
    }
    for _ in 0..<3 { try step() }
    let before = Tensor<Float>.buffersAllocated
    for _ in 0..<20 { try step() }
    let delta = Tensor<Float>.buffersAllocated - before
    var f = BenchFigure(suite: "conv", name: "conv ops allocations (conv/relu/maxpool ×2, global avg pool, batch norm) batch=\(n)",
                        value: Double(delta), unit: "buffers/20 steps",
                        note: "Tensor<Float>.buffersAllocated delta over 20 warm steps")
    f.target = "= 0"
    f.pass = delta == 0
    f.gap = delta == 0 ? nil : "\(Double(delta) / 20) buffers per step"
    return f
}

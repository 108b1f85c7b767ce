import Foundation
import Datasets
import Layers
import Tensor

// The small CNN of issue #14 — conv3x3-32, relu, maxpool2, conv3x3-64, relu, maxpool2, dense128, relu,
// dense10 (421,642 parameters) — as one Adam training step at batch 64 on Fashion-MNIST images, the
// same recipe as Benchmarks/peers/cnn_step_torch.py.

/// The small CNN's layers in the `--model` language (padding 1 = `same` for 3×3).
let smallCNNLayers: [LayerSpec] = [
    .conv2D(32, kernel: 3), .relu, .maxPool2D(2),
    .conv2D(64, kernel: 3), .relu, .maxPool2D(2),
    .flatten, .dense(128), .relu, .dense(10),
]

/// FLOPs of one training step per example, counted as the issue counts them: 2·Cout·Hout·Wout·Cin·kh·kw
/// forward per conv layer, twice that backward (once for the first layer, whose input needs no
/// gradient), and the dense layers' GEMMs (forward, dW, dX except for the first layer's input).
let smallCNNFLOPsPerExample: Double = {
    let conv1 = 2.0 * 32 * 28 * 28 * 1 * 9, conv2 = 2.0 * 64 * 14 * 14 * 32 * 9
    let dense1 = 2.0 * 3136 * 128, dense2 = 2.0 * 128 * 10
    return conv1 * 2 + conv2 * 3 + dense1 * 3 + dense2 * 3
}()

/// One small-CNN trainer stepping through pre-cut batches of the first 4096 training images (row views,
/// cut before timing and cycled, as the torch peer does).
final class CNNStepBench {
    let batch: Int
    let trainer: Trainer<Float>
    private var batches: StepBatches

    init(batch: Int, data: FashionMNIST, seed: UInt64 = 1, layers: [LayerSpec] = smallCNNLayers) throws {
        self.batch = batch
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>(inputShape: [1, 28, 28], specs: layers, rng: &rng)
        var config = TrainingConfiguration()
        config.optimizer = .adam
        config.learningRate = 1e-3
        config.batchSize = batch
        config.seed = seed
        trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: config)
        batches = try StepBatches(data, batch: batch)
    }

    func run(steps: Int) throws {
        for _ in 0..<steps {
            let (x, y) = batches.next()
            try trainer.step(x, .classes(y))
        }
    }

    /// Examples/s of each of `repetitions` samples of `steps` steps.
    func samples(steps: Int, repetitions: Int) throws -> [Double] {
        try (0..<repetitions).map { _ in Double(batch * steps) / (try seconds { try run(steps: steps) }) }
    }

    /// Median milliseconds of forward + loss, backward, and the rest (update, checks) over `steps` steps.
    func phases(steps: Int) throws -> (forward: Double, backward: Double, update: Double) {
        try stepPhases(trainer, batches: &batches, steps: steps)
    }
}

/// `CircuitsBench --worker cnn-step --threads N [--batch 64] [--repetitions R] [--steps S] [--seconds T]`:
/// our side of the CNN step in a process of its own (the paired runner alternates such processes with
/// the torch peer's). Prints one JSON line per batch size like a peer script: examples/s (median of R
/// samples of S steps), the phase split, tensor buffers allocated over the timed steps. `--seconds T`
/// instead steps for T seconds (for `perf record`).
func cnnStepWorker(_ o: WorkerOptions) throws {
    let steps = try o.extra["steps"].map { text -> Int in
        guard let v = Int(text), v > 0 else { throw BenchOptions.UsageError(description: "--steps needs a positive integer, got '\(text)'") }
        return v
    } ?? 40
    let secondsToRun = o.extra["seconds"].flatMap(Double.init)
    let data = try loadFashionMNISTForWorker()
    for batch in o.batches {
        let bench = try CNNStepBench(batch: batch, data: data, seed: o.seed &+ 1)
        try bench.run(steps: o.quick ? 5 : 20)   // warm-up: arena, gradient and Adam buffers, threads
        if let secondsToRun {
            let start = DispatchTime.now().uptimeNanoseconds
            var n = 0
            while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < secondsToRun { try bench.run(steps: 1); n += 1 }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            emitRecord(["name": "cnn_step", "value": Double(n * batch) / elapsed, "unit": "examples/s", "threads": o.threads,
                        "batch": batch, "steps": n])
            continue
        }
        let before = Tensor<Float>.buffersAllocated
        let samples = try bench.samples(steps: steps, repetitions: o.repetitions)
        let allocated = Tensor<Float>.buffersAllocated - before
        let phase = try bench.phases(steps: steps)
        emitRecord(["name": "cnn_step", "value": median(samples), "unit": "examples/s", "threads": o.threads, "batch": batch,
                    "steps": steps, "repetitions": o.repetitions, "samples": samples,
                    "forward_ms": phase.forward, "backward_ms": phase.backward, "update_ms": phase.update,
                    "buffers_allocated": allocated, "version": "circuits"])
    }
}

/// `--suite cnn`: one Adam training step of the small CNN at batch 64 against PyTorch's
/// (Benchmarks/peers/cnn_step_torch.py) at each thread count, paired: each sample a fresh process, the
/// sides alternating round by round, two-thread samples bracketed by the core check (PairedRunner.swift).
/// Target (issue #14): ≥ 1.5× torch's examples/s at 1 and at 2 threads.
func cnnSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let rounds = quick ? 2 : 5
    let runner = PeerRunner(context: context)
    var figures: [BenchFigure] = []
    for threads in context.options.threads {
        let args = ["--threads", "\(threads)", "--batch", "64", "--repetitions", quick ? "3" : "5", "--steps", quick ? "10" : "30"]
        var sides = [context.worker("cnn-step", args)]
        if let torch = runner.side("cnn_step_torch.py", args) { sides.append(torch) }
        context.report.say("  (cnn step vs torch, threads=\(threads): \(rounds) rounds of \(sides.map(\.name).joined(separator: ", ")), each a fresh process)")
        let result = runPaired(sides, rounds: rounds, threads: threads, report: context.report, label: "cnn step threads=\(threads)")
        if let why = result.unavailable["circuits"] { throw BenchOptions.UsageError(description: "cnn-step worker failed: \(why)") }
        let ours = result.values("circuits"), theirs = result.values("cnn_step_torch.py")
        guard !ours.isEmpty else { continue }
        let our = median(ours), base = theirs.isEmpty ? nil : median(theirs)
        let records = (result.records["circuits"] ?? []).compactMap(\.first)
        let phases = ["forward_ms", "backward_ms", "update_ms"].map { key in median(records.compactMap { $0.double(key) }) }
        let allocated = records.compactMap { $0.int("buffers_allocated") }.max() ?? -1
        let version = result.records["cnn_step_torch.py"]?.first?.first?.version ?? "?"
        var f = BenchFigure(suite: "cnn", name: "cnn-step adam batch=64 threads=\(threads)", value: our, unit: "ex/s", baseline: base,
                            baselineName: "torch", ratio: base.map { our / $0 },
                            note: String(format: "%.2f ms/step (forward+loss %.2f, backward %.2f, update %.2f); %.1f GFLOP/s; "
                                         + "tensor buffers allocated over the timed steps: %d; ", 64 / our * 1e3, phases[0], phases[1], phases[2],
                                         our * smallCNNFLOPsPerExample / 1e9, allocated)
                                + (base == nil ? "torch not measured"
                                   : "torch \(version), medians over \(ours.count) ours / \(theirs.count) theirs, fresh processes, alternating"
                                     + (result.retries > 0 ? "; \(result.retries) sample(s) retaken after the core check" : "")))
        f.requireRatio(atLeast: 1.5, "≥ 1.5× torch")
        f.judgeNoise(ours: ours, theirs: theirs, contaminated: result.contaminated)
        figures.append(f)
    }
    return figures
}

import Foundation
import Layers
import Tensor

// The training step the package exists for: 784-256-10, ReLU, softmax cross-entropy, SGD momentum 0.9,
// lr 0.05, on Fashion-MNIST images — expressed as examples/s and as a fraction of the GEMM peak this
// run measured, plus a check that a warm step allocates no tensor buffer.

/// The GEMMs one step of the 784-256-10 net needs, in FLOPs per example: forward 784·256 + 256·10,
/// backward dW2 (256·10), dX2 (10·256) and dW1 (784·256); the first layer needs no input gradient.
let mlpFLOPsPerExample: Double = {
    let forward = 784 * 256 + 256 * 10
    let backward = 256 * 10 + 10 * 256 + 784 * 256
    return 2 * Double(forward + backward)
}()

/// One model and trainer stepping through pre-cut batches, the same recipe as the torch peer
/// (`Benchmarks/peers/mlp_step_torch.py`): batches are row views of the first max(8·batch, 4096)
/// training images, cut before timing and cycled, so the timed loop is the step alone.
final class MLPStepBench {
    let batch: Int
    let trainer: Trainer<Float>
    private var batches: [(x: Tensor<Float>, y: [Int])] = []
    private var cursor = 0

    /// - Parameter optimizer: `.momentum` (0.9, lr 0.05: the recipe of the targets) or `.adam` (lr 1e-3,
    ///   the command line's default), as the torch peer's `--optimizer`.
    init(batch: Int, data: FashionMNIST, seed: UInt64 = 1, optimizer: OptimizerKind = .momentum) throws {
        self.batch = batch
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>.mlp(inputs: 784, hidden: [256], outputs: 10, rng: &rng)
        var config = TrainingConfiguration()
        config.optimizer = optimizer
        config.momentum = 0.9
        config.learningRate = optimizer == .adam ? 1e-3 : 0.05
        config.batchSize = batch
        config.seed = seed
        trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: config)
        let pool = min(max(batch * 8, 4096), data.trainFeatures.rows)
        for start in stride(from: 0, through: pool - batch, by: batch) {
            // A row view shares the data set's storage: no copy, as a gathered batch buffer would be.
            batches.append((try data.trainFeatures.rows(start..<(start + batch)), Array(data.trainLabels[start..<(start + batch)])))
        }
    }

    /// Runs `steps` full training steps.
    func run(steps: Int) throws {
        for _ in 0..<steps {
            let (x, y) = batches[cursor]
            cursor = (cursor + 1) % batches.count
            try trainer.step(x, .classes(y))
        }
    }

    /// Median milliseconds of a step's three phases over `steps` steps, timed apart from the throughput
    /// samples so the clock reads do not touch those: forward with the loss (until the scores exist),
    /// backward (until the trainer's gradient hook runs), and the rest — finiteness check, optimizer
    /// update, tape reset. A kernel that regresses shows up here before it hides in a ratio.
    func phases(steps: Int) throws -> (forward: Double, backward: Double, update: Double) {
        var forward: [Double] = [], backward: [Double] = [], update: [Double] = []
        var scored: UInt64 = 0, backwardDone: UInt64 = 0
        trainer.gradientHook = { _ in backwardDone = DispatchTime.now().uptimeNanoseconds }
        defer { trainer.gradientHook = nil }
        for _ in 0..<steps {
            let (x, y) = batches[cursor]
            cursor = (cursor + 1) % batches.count
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.step(x, .classes(y), scores: { _ in scored = DispatchTime.now().uptimeNanoseconds })
            let end = DispatchTime.now().uptimeNanoseconds
            forward.append(Double(scored - start) / 1e6)
            backward.append(Double(backwardDone - scored) / 1e6)
            update.append(Double(end - backwardDone) / 1e6)
        }
        return (median(forward), median(backward), median(update))
    }

    /// Steps per timed sample, as the torch peer chooses them: at least 10, about `examples` examples.
    static func stepsPerSample(batch: Int, quick: Bool) -> Int { max(10, (quick ? 2048 : 16384) / batch) }

    /// Examples/s of each of `repetitions` samples of `steps` steps.
    func samples(steps: Int, repetitions: Int) throws -> [Double] {
        try (0..<repetitions).map { _ in Double(batch * steps) / (try seconds { try run(steps: steps) }) }
    }
}

let mlpBatches = [32, 128, 512]

func mlpSuite(_ context: BenchContext) throws -> [BenchFigure] {
    guard let data = context.fashionMNIST else {
        context.report.say("mlp: skipped, Fashion-MNIST not readable")
        return []
    }
    let quick = context.quick
    context.refreshPeak()
    let peak = context.peak()
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    var figures: [BenchFigure] = []
    // One bench per (threads, batch). Samples go round-robin over all of them, switching the BLAS thread
    // count each time (with a few warm steps, so waking OpenBLAS's workers is not timed): a burst of load
    // on this shared machine — seen lasting from one to thirty seconds, and hitting two-thread runs
    // hardest — then costs each figure a sample or two spread over the suite, not its median.
    let configs = context.options.threads.flatMap { threads in mlpBatches.map { (threads: threads, batch: $0) } }
    let benches = try configs.map { try MLPStepBench(batch: $0.batch, data: data) }
    for (config, bench) in zip(configs, benches) {
        BLAS.threads = config.threads
        try bench.run(steps: quick ? 20 : 50)   // warm-up: arena, gradient and velocity buffers, BLAS threads
    }
    var samples = [[Double]](repeating: [], count: benches.count)
    for _ in 0..<(quick ? 3 : 7) {
        for (i, bench) in benches.enumerated() {
            BLAS.threads = configs[i].threads
            try bench.run(steps: 5)
            samples[i] += try bench.samples(steps: MLPStepBench.stepsPerSample(batch: bench.batch, quick: quick), repetitions: 1)
        }
    }
    for (i, bench) in benches.enumerated() {
        let (threads, batch) = configs[i]
        BLAS.threads = threads
        let exPerSecond = median(samples[i])
        let phase = try bench.phases(steps: MLPStepBench.stepsPerSample(batch: batch, quick: quick))
        // The throughput the step's GEMMs would reach at the measured peak on `threads` cores.
        let atPeak = peak * Double(threads) * 1e9 / mlpFLOPsPerExample
        var f = BenchFigure(suite: "mlp", name: "mlp-step batch=\(batch) threads=\(threads)",
                            value: exPerSecond, unit: "ex/s", baseline: atPeak, baselineName: "at GEMM peak",
                            ratio: exPerSecond / atPeak,
                            note: String(format: "%.0f%% of measured GEMM peak (%.1f GFLOP/s × %d); %.3f ms/step "
                                         + "(forward+loss %.3f, backward %.3f, update %.3f: medians)",
                                         exPerSecond / atPeak * 100, peak, threads, Double(batch) / exPerSecond * 1e3,
                                         phase.forward, phase.backward, phase.update))
        if batch == 512 { f.requireRatio(atLeast: 0.70, "≥ 70% of GEMM peak") }
        figures.append(f)

        if threads == context.options.threads[0] {
            // The hot path must reuse its buffers: count tensor allocations over 100 warm steps.
            let before = Tensor<Float>.buffersAllocated
            try bench.run(steps: 100)
            let delta = Tensor<Float>.buffersAllocated - before
            var a = BenchFigure(suite: "mlp", name: "mlp-step allocations batch=\(batch) threads=\(threads)",
                                value: Double(delta), unit: "buffers/100 steps",
                                note: "Tensor<Float>.buffersAllocated delta over 100 warm steps")
            a.target = "= 0"
            a.pass = delta == 0
            a.gap = delta == 0 ? nil : "\(Double(delta) / 100) buffers per step"
            figures.append(a)
        }
    }
    return figures
}

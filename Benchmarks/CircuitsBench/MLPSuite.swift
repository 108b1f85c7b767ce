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
    private var batches: StepBatches

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
        batches = try StepBatches(data, batch: batch)
    }

    /// Runs `steps` full training steps.
    func run(steps: Int) throws {
        for _ in 0..<steps {
            let (x, y) = batches.next()
            try trainer.step(x, .classes(y))
        }
    }

    /// Median milliseconds of a step's three phases over `steps` steps, timed apart from the throughput
    /// samples so the clock reads do not touch those: forward with the loss (until the scores exist),
    /// backward (until the trainer's gradient hook runs), and the rest — finiteness check, optimizer
    /// update, tape reset. A kernel that regresses shows up here before it hides in a ratio.
    func phases(steps: Int) throws -> (forward: Double, backward: Double, update: Double) {
        try stepPhases(trainer, batches: &batches, steps: steps)
    }

    /// Steps per timed sample, as the torch peer chooses them: at least 10, about `examples` examples.
    static func stepsPerSample(batch: Int, quick: Bool) -> Int { max(10, (quick ? 2048 : 16384) / batch) }

    /// Examples/s of each of `repetitions` samples of `steps` steps.
    func samples(steps: Int, repetitions: Int) throws -> [Double] {
        try (0..<repetitions).map { _ in Double(batch * steps) / (try seconds { try run(steps: steps) }) }
    }
}

let mlpBatches = [32, 128, 512]

/// The goals for the step against the GEMM-only limit, by batch size (issue 19).
private let limitTargets: [Int: Double] = [32: 0.70, 128: 0.85, 512: 0.85]

func mlpSuite(_ context: BenchContext) throws -> [BenchFigure] {
    guard context.fashionMNIST != nil else {
        context.report.say("mlp: skipped, Fashion-MNIST not readable")
        return []
    }
    let quick = context.quick
    context.refreshPeak()
    let peak = context.peak()
    // Each thread count in fresh worker processes, rounds alternating thread counts, multi-thread
    // samples bracketed by the core check: a figure no longer depends on what ran before it in one
    // process (issue 19). The worker also times the step's GEMMs alone (the GEMM-only limit).
    let rounds = quick ? 1 : 3
    let batchList = mlpBatches.map(String.init).joined(separator: ",")
    var results: [Int: PairedResult] = [:]
    for round in 0..<rounds {
        for threads in context.options.threads {
            context.report.say("  (mlp step, threads=\(threads), round \(round + 1)/\(rounds), fresh process)")
            var args = ["--threads", "\(threads)", "--batch", batchList, "--repetitions", quick ? "3" : "5",
                        "--examples-per-rep", quick ? "2048" : "16384"]
            if quick { args.append("--quick") }
            let r = runPaired([context.worker("mlp-step", args)], rounds: 1, threads: threads, report: context.report,
                              label: "mlp step threads=\(threads)")
            if let why = r.unavailable["circuits"] { throw BenchOptions.UsageError(description: "mlp worker failed: \(why)") }
            var merged = results[threads] ?? PairedResult()
            merged.records["circuits", default: []] += r.records["circuits"] ?? []
            merged.retries += r.retries
            merged.contaminated += r.contaminated
            results[threads] = merged
        }
    }
    var figures: [BenchFigure] = []
    for threads in context.options.threads {
        guard let result = results[threads] else { continue }
        for batch in mlpBatches {
            let records = (result.records["circuits"] ?? []).compactMap { $0.first { $0.int("batch") == batch } }
            guard !records.isEmpty else { continue }
            let values = records.compactMap(\.value)
            let exPerSecond = median(values)
            let limit = median(records.compactMap { $0.double("gemm_limit") })
            let phase = (median(records.compactMap { $0.double("forward_ms") }), median(records.compactMap { $0.double("backward_ms") }),
                         median(records.compactMap { $0.double("update_ms") }))
            // The throughput the step's GEMMs would reach at the measured peak on `threads` cores.
            let atPeak = peak * Double(threads) * 1e9 / mlpFLOPsPerExample
            var f = BenchFigure(suite: "mlp", name: "mlp-step batch=\(batch) threads=\(threads)",
                                value: exPerSecond, unit: "ex/s", baseline: atPeak, baselineName: "at GEMM peak",
                                ratio: exPerSecond / atPeak,
                                note: String(format: "%.0f%% of measured GEMM peak (%.1f GFLOP/s × %d); %.3f ms/step "
                                             + "(forward+loss %.3f, backward %.3f, update %.3f: medians); %d fresh processes",
                                             exPerSecond / atPeak * 100, peak, threads, Double(batch) / exPerSecond * 1e3,
                                             phase.0, phase.1, phase.2, values.count))
            if batch == 512 { f.requireRatio(atLeast: 0.70, "≥ 70% of GEMM peak") }
            f.judgeNoise(ours: values, theirs: [], contaminated: result.contaminated)
            figures.append(f)

            var g = BenchFigure(suite: "mlp", name: "mlp-step batch=\(batch) threads=\(threads) vs GEMM-only",
                                value: exPerSecond, unit: "ex/s", baseline: limit, baselineName: "GEMMs alone",
                                ratio: exPerSecond / limit,
                                note: String(format: "%.0f%% of the step's five GEMMs timed alone in the same process (%@ ex/s)",
                                             exPerSecond / limit * 100, formatValue(limit, unit: "ex/s", withUnit: false)))
            if let goal = limitTargets[batch] { g.requireRatio(atLeast: goal, String(format: "≥ %.0f%% of GEMM-only", goal * 100)) }
            g.judgeNoise(ours: values, theirs: [], contaminated: result.contaminated)
            figures.append(g)

            if threads == context.options.threads[0] {
                // The hot path must reuse its buffers: tensor allocations over 100 warm steps (the worker counts).
                let delta = records.compactMap { $0.int("allocations_per_100_steps") }.max() ?? -1
                var a = BenchFigure(suite: "mlp", name: "mlp-step allocations batch=\(batch) threads=\(threads)",
                                    value: Double(delta), unit: "buffers/100 steps",
                                    note: "Tensor<Float>.buffersAllocated delta over 100 warm steps, worst of the worker processes")
                a.target = "= 0"
                a.pass = delta == 0
                a.gap = delta == 0 ? nil : "\(Double(delta) / 100) buffers per step"
                figures.append(a)
            }
        }
    }
    return figures
}

/// The batches a step benchmark cycles through (MLP and CNN, as their torch peers): row views of the first
/// max(8·batch, 4096) training images, cut before timing — a row view shares the data set's storage, so
/// the timed loop is the step alone.
struct StepBatches {
    private var batches: [(x: Tensor<Float>, y: [Int])] = []
    private var cursor = 0

    init(_ data: FashionMNIST, batch: Int) throws {
        let pool = min(max(batch * 8, 4096), data.trainFeatures.rows)
        for start in stride(from: 0, through: pool - batch, by: batch) {
            batches.append((try data.trainFeatures.rows(start..<(start + batch)), Array(data.trainLabels[start..<(start + batch)])))
        }
    }

    /// The next batch, cycling.
    mutating func next() -> (x: Tensor<Float>, y: [Int]) {
        defer { cursor = (cursor + 1) % batches.count }
        return batches[cursor]
    }
}

/// Median milliseconds of a training step's three phases over `steps` steps of `trainer` on the next of
/// `batches` (the MLP and CNN step benchmarks): forward with the loss (until the scores exist), backward
/// (until the trainer's gradient hook runs), and the rest — finiteness check, optimizer update, tape reset.
func stepPhases(_ trainer: Trainer<Float>, batches: inout StepBatches,
                steps: Int) throws -> (forward: Double, backward: Double, update: Double) {
    var forward: [Double] = [], backward: [Double] = [], update: [Double] = []
    var scored: UInt64 = 0, backwardDone: UInt64 = 0
    trainer.gradientHook = { _ in backwardDone = DispatchTime.now().uptimeNanoseconds }
    defer { trainer.gradientHook = nil }
    for _ in 0..<steps {
        let (x, y) = batches.next()
        let start = DispatchTime.now().uptimeNanoseconds
        try trainer.step(x, .classes(y), scores: { _ in scored = DispatchTime.now().uptimeNanoseconds })
        let end = DispatchTime.now().uptimeNanoseconds
        forward.append(Double(scored - start) / 1e6)
        backward.append(Double(backwardDone - scored) / 1e6)
        update.append(Double(end - backwardDone) / 1e6)
    }
    return (median(forward), median(backward), median(update))
}

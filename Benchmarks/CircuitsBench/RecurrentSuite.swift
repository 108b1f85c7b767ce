import Foundation
import Layers
import Tensor

// Recurrent networks (issue 15): the character LSTM language model's training step against PyTorch's
// nn.LSTM, the vanilla RNN with min-char-rnn's recipe against the gist's numpy loop, the LSTM op's
// kernels as a fraction of the GEMM peak, and the allocation check. Built from the ops directly
// (Tensor+LSTM.swift, Tensor+RNN.swift): the layers and `circuits lm` come later and will run the same
// kernels.

// MARK: - Data

/// tinyshakespeare as character ids over its sorted distinct characters (65), or random ids over 65
/// symbols when the file cannot be read. TINYSHAKESPEARE names the file; the default is
/// ../shared/data/tinyshakespeare.txt beside the repository, where the peers read it too.
struct CharacterText {
    var ids: [Int]
    var vocabulary: Int
    var source: String

    static func load(repoRoot: String?) -> CharacterText {
        let path = ProcessInfo.processInfo.environment["TINYSHAKESPEARE"]
            ?? (repoRoot.map { $0 + "/../shared/data/tinyshakespeare.txt" } ?? "tinyshakespeare.txt")
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
            let characters = Array(text)
            let vocabulary = Array(Set(characters)).sorted()
            let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
            return CharacterText(ids: characters.map { index[$0]! }, vocabulary: vocabulary.count, source: "tinyshakespeare")
        }
        var rng = SeededRNG(seed: 1)
        return CharacterText(ids: (0..<200_000).map { _ in rng.nextInt(below: 65) }, vocabulary: 65, source: "random")
    }
}

// MARK: - LSTM language model

/// One-hot characters → LSTM(65, 256) → LSTM(256, 256) → affine 256 → 65 → softmax cross-entropy (mean
/// over the 64·100 predictions) → Adam (lr 2e-3), float32, the states carried from step to step: the
/// torch peer's step (Benchmarks/peers/lstm_lm_step_torch.py), batches cut the same way (64 streams of
/// the text, batch b = characters [100b, 100b + 101) of each stream, eight batches cycled).
///
/// The first layer's input projection is a column gather of W_ih (`SequenceInput.oneHot`): the one-hot
/// GEMM torch runs, without its multiplications by zero.
final class LSTMLanguageModelBench {
    let batch = 64, steps = 100, hidden = 256, layers = 2
    let vocabulary: Int
    let weights: [RecurrentWeights<Float>]
    let head: (w: Variable<Float>, b: Variable<Float>)
    let parameters: [Parameter<Float>]
    let adam: Adam<Float>
    let tape = Tape<Float>()
    private var batches: [(ids: [Int], targets: [Int])] = []
    private var hiddenStates: [Tensor<Float>], cellStates: [Tensor<Float>]
    private var cursor = 0
    private(set) var lastLoss: Float = 0

    init(text: CharacterText, seed: UInt64 = 1) throws {
        vocabulary = text.vocabulary
        var rng = SeededRNG(seed: seed)
        weights = (0..<layers).map { l in
            RecurrentWeights<Float>.random(gates: 4, inputs: l == 0 ? text.vocabulary : 256, hidden: 256, using: &rng)
        }
        let bound = 1 / Float(Double(hidden).squareRoot())
        head = (Variable(Tensor.randomUniform([hidden, vocabulary], low: -bound, high: bound, using: &rng)),
                Variable(Tensor.randomUniform([vocabulary], low: -bound, high: bound, using: &rng)))
        var list: [Parameter<Float>] = []
        for (l, w) in weights.enumerated() {
            for (name, v) in zip(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], w.all) {
                list.append(Parameter(name: "\(name)_l\(l)", variable: v, isRegularized: name.hasPrefix("weight")))
            }
        }
        parameters = list + [Parameter(name: "head.weight", variable: head.w, isRegularized: true),
                             Parameter(name: "head.bias", variable: head.b, isRegularized: false)]
        adam = try Adam<Float>(learningRate: 2e-3)
        hiddenStates = Array(repeating: Tensor.zeros([batch, hidden]), count: layers)
        cellStates = hiddenStates
        let stream = text.ids.count / batch
        for b in 0..<8 {
            var ids: [Int] = [], targets: [Int] = []
            for s in 0..<batch {
                let start = s * stream + b * steps
                ids += text.ids[start..<(start + steps)]
                targets += text.ids[(start + 1)...(start + steps)]
            }
            batches.append((ids, targets))
        }
        // Separate buffers per layer (the `Array(repeating:)` copies share one until written).
        for l in 0..<layers { hiddenStates[l] = Tensor.zeros([batch, hidden]); cellStates[l] = Tensor.zeros([batch, hidden]) }
    }

    /// One training step; `marks` receives the time after the loss and after backward (for `phases`).
    func step(marks: ((Int) -> Void)? = nil) throws {
        try Parallel.withOwnThreads { try ownThreadsStep(marks: marks) }
    }

    private func ownThreadsStep(marks: ((Int) -> Void)?) throws {
        let (ids, targets) = batches[cursor]
        cursor = (cursor + 1) % batches.count
        for p in parameters { p.variable.zeroGrad() }
        let finals: [(Tensor<Float>, Tensor<Float>)] = try {
            var input = SequenceInput<Float>.oneHot(ids: ids, batch: batch, steps: steps, tape: tape)
            var finals: [(Tensor<Float>, Tensor<Float>)] = []
            for l in 0..<layers {
                let r = try Variable.lstm(input, weights: weights[l], h0: tape.constant(hiddenStates[l]), c0: tape.constant(cellStates[l]))
                finals.append((r.hidden.value, r.cell.value))
                input = .dense(r.output)
            }
            guard case let .dense(top) = input else { return finals }
            let loss = try top.reshaped([batch * steps, hidden]).affine(head.w, head.b).softmaxCrossEntropy(labels: targets)
            marks?(0)
            try tape.backward(loss)
            marks?(1)
            lastLoss = loss.value[flat: 0]
            return finals
        }()
        try adam.step(parameters)
        tape.reset()
        // Truncated BPTT: the final states become the next step's constant initial states, copied into
        // buffers the bench owns (the arena reuses its own next step).
        for l in 0..<layers {
            hiddenStates[l].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: finals[l].0.unsafeReadPointer, count: batch * hidden) }
            cellStates[l].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: finals[l].1.unsafeReadPointer, count: batch * hidden) }
        }
    }

    func run(steps count: Int) throws { for _ in 0..<count { try step() } }

    /// Characters per second of `count` steps.
    func sample(steps count: Int) throws -> Double {
        Double(batch * steps * count) / (try seconds { try run(steps: count) })
    }

    /// Median milliseconds of forward + loss, backward, and the rest (Adam, tape reset, state copy).
    func phases(steps count: Int) throws -> (forward: Double, backward: Double, update: Double) {
        var f: [Double] = [], b: [Double] = [], u: [Double] = []
        for _ in 0..<count {
            var t = [UInt64](repeating: 0, count: 2)
            let start = DispatchTime.now().uptimeNanoseconds
            try step { t[$0] = DispatchTime.now().uptimeNanoseconds }
            let end = DispatchTime.now().uptimeNanoseconds
            f.append(Double(t[0] - start) / 1e6); b.append(Double(t[1] - t[0]) / 1e6); u.append(Double(end - t[1]) / 1e6)
        }
        return (median(f), median(b), median(u))
    }

    /// FLOPs of the step's GEMMs: per layer the recurrent product forward, its backward (dh) and dW_hh;
    /// layer 2 also its input projection, dx and dW_ih (layer 1's are a gather and a scatter); the head's
    /// forward, dW and dx.
    var flops: Double {
        let rows = Double(batch * steps), g = Double(4 * hidden), h = Double(hidden), v = Double(vocabulary)
        return 2 * rows * g * h * (3 * Double(layers) + 3 * Double(layers - 1)) + 3 * 2 * rows * h * v
    }
}

// MARK: - min-char-rnn

/// min-char-rnn's training update with our ops: one-hot characters (a column gather), the RNN op
/// (hidden 100, tanh), affine to the vocabulary, softmax cross-entropy × 25, gradients clipped to
/// [−5, 5], Adagrad 0.1 (ε = 1e-8 under the root), the state carried; one sequence of 25 characters per
/// update, as the gist. The recipe MinCharRNNTests checks against numpy to 1e-9. The clip is Adagrad's
/// `clipValue` (one pass over the gradients with the update; the same numbers as `clipGradientValues`).
final class MinCharRNNBench<Scalar: BLASScalar> {
    let hidden = 100, length = 25
    let text: CharacterText
    let weights: RecurrentWeights<Scalar>
    let head: (w: Variable<Scalar>, b: Variable<Scalar>)
    let parameters: [Parameter<Scalar>]
    let adagrad: Adagrad<Scalar>
    let tape = Tape<Scalar>()
    private var hprev: Tensor<Scalar>
    private var position = 0, updates = 0

    init(text: CharacterText, seed: UInt64 = 1) throws {
        self.text = text
        var rng = SeededRNG(seed: seed)
        let v = text.vocabulary
        weights = RecurrentWeights(weightIH: Variable(Tensor.randomNormal([hidden, v], std: 0.01, using: &rng)),
                                   weightHH: Variable(Tensor.randomNormal([hidden, hidden], std: 0.01, using: &rng)),
                                   biasIH: Variable(Tensor.zeros([hidden])))
        head = (Variable(Tensor.randomNormal([hidden, v], std: 0.01, using: &rng)), Variable(Tensor.zeros([v])))
        parameters = [weights.weightIH, weights.weightHH, head.w, weights.biasIH!, head.b]
            .map { Parameter(name: "p", variable: $0, isRegularized: true) }
        adagrad = try Adagrad<Scalar>(learningRate: 0.1, epsilon: 1e-8, epsilonInsideSquareRoot: true, clipValue: 5)
        hprev = Tensor.zeros([1, hidden])
    }

    func update() throws {
        if position + length + 1 >= text.ids.count || updates == 0 {
            hprev.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            position = 0
        }
        for p in parameters { p.variable.zeroGrad() }
        let inputs = Array(text.ids[position..<(position + length)]), targets = Array(text.ids[(position + 1)...(position + length)])
        let final: Tensor<Scalar> = try {
            let r = try Variable.rnn(.oneHot(ids: inputs, batch: 1, steps: length, tape: tape), weights: weights, h0: tape.constant(hprev))
            let loss = try r.output.reshaped([length, hidden]).affine(head.w, head.b).softmaxCrossEntropy(labels: targets) * Scalar(length)
            try tape.backward(loss)
            return r.hidden.value
        }()
        try adagrad.step(parameters)
        tape.reset()
        hprev.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: final.unsafeReadPointer, count: hidden) }
        position += length
        updates += 1
    }

    /// Characters per second over `count` updates.
    func sample(updates count: Int) throws -> Double {
        Double(length * count) / (try seconds { for _ in 0..<count { try update() } })
    }
}

// MARK: - Workers

// Our side of each comparison runs as `CircuitsBench --worker NAME` in a fresh process (Worker.swift),
// with the peer script's options and its timing rules: warm-up, then `repetitions` timings of a fixed
// amount of work, the median reported.

/// `--worker lstm-lm-step`: the step timed as lstm_lm_step_torch.py times torch's — 2 warm-up steps,
/// then `repetitions` timings of `steps-per-rep` steps (default 3; quick 1); characters/s = 64·100 ×
/// steps / median time. The record also carries the step's phases and the tensor buffers allocated over
/// 5 warm steps.
func lstmLanguageModelStepWorker(_ o: WorkerOptions) throws {
    let text = CharacterText.load(repoRoot: findRepoRoot())
    let lm = try LSTMLanguageModelBench(text: text, seed: o.seed &+ 1)
    let steps = Int(o.extra["steps-per-rep"] ?? "") ?? (o.quick ? 1 : 3)
    try lm.run(steps: 2)
    var times: [Double] = []
    for _ in 0..<o.repetitions { times.append(try seconds { try lm.run(steps: steps) }) }
    times.sort()
    let characters = Double(lm.batch * lm.steps * steps)
    let phase = try lm.phases(steps: o.quick ? 1 : 3)
    let before = Tensor<Float>.buffersAllocated
    try lm.run(steps: 5)
    let allocations = Tensor<Float>.buffersAllocated - before
    emitRecord(["name": "lstm_lm_step_2x256", "value": characters / median(times), "unit": "chars/s",
                "batch": lm.batch, "seq": lm.steps, "threads": o.threads, "steps": steps, "repetitions": o.repetitions,
                "step_ms": median(times) / Double(steps) * 1e3, "min_s": times.first!, "max_s": times.last!,
                "forward_ms": phase.forward, "backward_ms": phase.backward, "update_ms": phase.update,
                "allocations_per_5_steps": allocations, "loss": Double(lm.lastLoss), "flops_per_step": lm.flops,
                "data": text.source, "dtype": "float32", "version": "circuits"])
}

/// `--worker min-char-rnn`: the recipe timed as min_char_rnn_numpy.py times the gist's loop — 50 warm-up
/// updates (quick 20), then `repetitions` timings of `updates-per-rep` updates (default 400; quick 100);
/// characters/s = 25 × updates / median time. One record per precision (Double, as numpy; then Float).
func minCharRNNWorker(_ o: WorkerOptions) throws {
    let text = CharacterText.load(repoRoot: findRepoRoot())
    let updates = Int(o.extra["updates-per-rep"] ?? "") ?? (o.quick ? 100 : 400)
    func measure<S: BLASScalar>(_ bench: MinCharRNNBench<S>, dtype: String) throws {
        _ = try bench.sample(updates: o.quick ? 20 : 50)
        var times: [Double] = []
        for _ in 0..<o.repetitions { times.append(try seconds { for _ in 0..<updates { try bench.update() } }) }
        times.sort()
        emitRecord(["name": "min_char_rnn_h100_seq25", "value": Double(25 * updates) / median(times), "unit": "chars/s",
                    "batch": 1, "threads": o.threads, "updates": updates, "repetitions": o.repetitions,
                    "update_ms": median(times) / Double(updates) * 1e3, "min_s": times.first!, "max_s": times.last!,
                    "data": text.source, "dtype": dtype, "version": "circuits"])
    }
    try measure(try MinCharRNNBench<Double>(text: text, seed: o.seed &+ 1), dtype: "float64")
    try measure(try MinCharRNNBench<Float>(text: text, seed: o.seed &+ 1), dtype: "float32")
}

// MARK: - Suite

func recurrentSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let runner = PeerRunner(context: context)
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    context.refreshPeak()
    let peak = context.peak()
    var figures: [BenchFigure] = []
    let rounds = quick ? 1 : 3

    // The LSTM language model: ours and torch alternating, each sample a fresh process, multi-thread
    // samples bracketed by the core check (PairedRunner.swift).
    var allocations: Int? = nil
    for threads in context.options.threads {
        let args = ["--threads", "\(threads)", "--steps-per-rep", quick ? "1" : "2", "--repetitions", "3"] + (quick ? ["--quick"] : [])
        var sides = [context.worker("lstm-lm-step", args, timeout: 600)]
        if let torch = runner.side("lstm_lm_step_torch.py", args, timeout: 600) { sides.append(torch) }
        context.report.say("  (lstm lm step vs torch, threads=\(threads): \(rounds) rounds of \(sides.map(\.name).joined(separator: ", ")), each in a fresh process)")
        let result = runPaired(sides, rounds: rounds, threads: threads, report: context.report, label: "lstm lm step threads=\(threads)")
        if let why = result.unavailable["circuits"] { throw BenchOptions.UsageError(description: "lstm-lm-step worker failed: \(why)") }
        let ours = result.values("circuits"), theirs = result.values("lstm_lm_step_torch.py")
        guard !ours.isEmpty, let record = result.records["circuits"]?.first?.first else { continue }
        let our = median(ours), base = theirs.isEmpty ? nil : median(theirs)
        let torchRecord = result.records["lstm_lm_step_torch.py"]?.first?.first
        let gflops = (record.double("flops_per_step") ?? 0) * our / 6400 / 1e9
        allocations = max(allocations ?? 0, record.int("allocations_per_5_steps") ?? 0)
        var f = BenchFigure(
            suite: "recurrent", name: "lstm-lm-step 2×256 batch=64 seq=100 threads=\(threads)", value: our, unit: "chars/s",
            baseline: base, baselineName: "torch", ratio: base.map { our / $0 },
            note: String(format: "%.0f ms/step (forward+loss %.0f, backward %.0f, update %.0f); GEMMs at %.0f GFLOP/s = %.0f%% of peak × %d",
                         6400 / our * 1e3, record.double("forward_ms") ?? 0, record.double("backward_ms") ?? 0,
                         record.double("update_ms") ?? 0, gflops, gflops / (peak * Double(threads)) * 100, threads)
                + "; layer 1's input projection as a column gather"
                + (base == nil ? "; torch not measured"
                    : "; torch \(torchRecord?.version ?? "?") (mkldnn \(torchRecord?.bool("mkldnn") ?? false)), medians over \(ours.count) ours / \(theirs.count) theirs, each a fresh process, alternating"
                      + (result.retries > 0 ? "; \(result.retries) sample(s) retaken after the core check" : "")))
        f.requireRatio(atLeast: 1.5, "≥ 1.5× torch")
        f.judgeNoise(ours: ours, theirs: theirs, contaminated: result.contaminated)
        figures.append(f)
    }
    if let allocations {
        var a = BenchFigure(suite: "recurrent", name: "lstm-lm-step allocations", value: Double(allocations), unit: "buffers/5 steps",
                            note: "Tensor<Float>.buffersAllocated delta over 5 warm steps, worst of the worker processes")
        a.target = "= 0"
        a.pass = allocations == 0
        figures.append(a)
    }

    // The LSTM op alone at the language model's second-layer shape, forward and forward + backward.
    figures += try lstmKernelFigures(context, peak: peak)

    figures += lmBudgetFigure(context, runner)

    // min-char-rnn: batch 1, one sequence of 25 per update; numpy's loop uses one core.
    let args = ["--threads", "1", "--repetitions", "3", "--updates-per-rep", quick ? "100" : "400"] + (quick ? ["--quick"] : [])
    var sides = [context.worker("min-char-rnn", args)]
    if let numpy = runner.side("min_char_rnn_numpy.py", args) { sides.append(numpy) }
    context.report.say("  (min-char-rnn vs numpy: \(rounds) rounds of \(sides.map(\.name).joined(separator: ", ")), each in a fresh process)")
    let result = runPaired(sides, rounds: rounds, threads: 1, report: context.report, label: "min-char-rnn")
    if let why = result.unavailable["circuits"] { throw BenchOptions.UsageError(description: "min-char-rnn worker failed: \(why)") }
    let numpy = result.values("min_char_rnn_numpy.py")
    let base = numpy.isEmpty ? nil : median(numpy)
    let numpyVersion = result.records["min_char_rnn_numpy.py"]?.first?.first?.version ?? "?"
    for (precision, dtype) in [("Double", "float64"), ("Float", "float32")] {
        let mine = result.values("circuits") { ($0.fields["dtype"] as? String) == dtype }
        guard !mine.isEmpty else { continue }
        let our = median(mine)
        var f = BenchFigure(suite: "recurrent", name: "min-char-rnn \(precision) hidden=100 seq=25 threads=1", value: our, unit: "chars/s",
                            baseline: base, baselineName: "numpy", ratio: base.map { our / $0 },
                            note: String(format: "%.1f µs per update of 25 characters", 25 / our * 1e6)
                                + (base == nil ? "; numpy not measured" : "; numpy \(numpyVersion) float64 (the gist's loop without sampling), medians over \(mine.count) ours / \(numpy.count) theirs, each a fresh process, alternating"))
        f.requireRatio(atLeast: 20, "≥ 20× numpy")
        f.judgeNoise(ours: mine, theirs: numpy, contaminated: result.contaminated)
        figures.append(f)
    }
    return figures
}

/// Validation loss after the same training budget: `circuits lm train --time-budget B` against
/// Benchmarks/peers/lm_train_torch.py (the same recipe in PyTorch), 2×256 LSTM on tinyshakespeare at the
/// largest thread count, each in its own process, one after the other. Lower is better; the target is
/// ours ≤ torch's.
private func lmBudgetFigure(_ context: BenchContext, _ runner: PeerRunner) -> [BenchFigure] {
    guard let root = context.repoRoot, FileManager.default.isExecutableFile(atPath: root + "/.build/release/circuits") else {
        context.report.say("  (lm budget figure skipped: no .build/release/circuits; run `swift build -c release --product circuits`)")
        return []
    }
    let text = ProcessInfo.processInfo.environment["TINYSHAKESPEARE"] ?? root + "/../shared/data/tinyshakespeare.txt"
    guard FileManager.default.isReadableFile(atPath: text) else { return [] }
    let budget = context.quick ? 5.0 : 60.0
    let threads = context.options.threads.max() ?? 1
    let out = NSTemporaryDirectory() + "circuits-bench-lm-\(getpid()).safetensors"
    defer { try? FileManager.default.removeItem(atPath: out) }
    var sides = [Side(name: "circuits", executable: root + "/.build/release/circuits",
                      arguments: ["lm", "train", "--text", text, "--out", out, "--model", "lstm:2x256", "--time-budget", "\(budget)",
                                  "--threads", "\(threads)", "--sample-length", "0", "--json"], timeout: budget * 4 + 120)]
    if let torch = runner.side("lm_train_torch.py", ["--budget", "\(budget)", "--threads", "\(threads)"], timeout: budget * 4 + 120) {
        sides.append(torch)
    }
    context.report.say("  (lm validation after \(Int(budget)) s of training, threads=\(threads): \(sides.map(\.name).joined(separator: ", ")))")
    // A minute-long sample nearly always overlaps a window of lost cores on this machine, so retaking
    // it would only repeat minutes of training: one sample per side, its contamination noted.
    let result = runPaired(sides, rounds: 1, threads: threads, report: context.report, maxRetries: 0, label: "lm budget")
    guard let ours = result.records["circuits"]?.first?.first(where: { ($0.fields["event"] as? String) == "summary" })?.double("validationLoss") else {
        return []
    }
    let torch = result.records["lm_train_torch.py"]?.first?.first
    let theirs = torch?.value
    var f = BenchFigure(suite: "recurrent", name: "lm validation after \(Int(budget)) s lstm:2x256 threads=\(threads)", value: ours, unit: "nats/char",
                        baseline: theirs, baselineName: "torch", ratio: theirs.map { $0 / ours },
                        note: "tinyshakespeare, last 10% held out; batch 64 × 100, Adam 2e-3, clip 5; ratio = torch's loss / ours (> 1: ours lower)"
                            + (torch.map { "; torch \($0.version ?? "?") trained \($0.int("characters") ?? 0) characters" } ?? "; torch not measured")
                            + (result.contaminated > 0 ? "; \(result.contaminated) sample(s) ran while a core was taken away" : ""))
    if let theirs {
        f.target = "≤ torch's loss"
        f.pass = ours <= theirs
        if ours > theirs { f.gap = String(format: "%.4f vs %.4f", ours, theirs) }
    }
    return [f]
}

/// GFLOP/s of one LSTM layer (N 64, T 100, I 256, H 256) forward, and forward + backward, against the
/// measured per-core GEMM peak: what the gate passes and the per-step GEMMs cost beyond the arithmetic.
private func lstmKernelFigures(_ context: BenchContext, peak: Double) throws -> [BenchFigure] {
    let (n, t, i, h) = (64, 100, 256, 256)
    var rng = SeededRNG(seed: 3)
    let w = RecurrentWeights<Float>.random(gates: 4, inputs: i, hidden: h, using: &rng)
    let x = Tensor<Float>.randomUniform([n, t, i], low: -1, high: 1, using: &rng)
    let seed = Tensor<Float>.randomUniform([n, t, h], low: -1, high: 1, using: &rng)
    let tape = Tape<Float>()
    func forward(backward: Bool) throws {
        tape.reset()
        for p in w.all { p.zeroGrad() }
        let input = backward ? tape.variable(x) : tape.constant(x)
        let r = try input.lstm(weights: w)
        if backward { try tape.backward(r.output, seed: seed) }
    }
    let rows = Double(n * t), g = Double(4 * h)
    let forwardFLOPs = 2 * rows * g * (Double(i) + Double(h))
    // Backward: dx, dW_ih (input side), dh per step and dW_hh (recurrent side).
    let backwardFLOPs = 2 * rows * g * (2 * Double(i) + 2 * Double(h))
    var figures: [BenchFigure] = []
    for threads in context.options.threads {
        BLAS.threads = threads
        for (label, withBackward, flops) in [("forward", false, forwardFLOPs), ("forward+backward", true, forwardFLOPs + backwardFLOPs)] {
            let s = try medianSeconds(warmup: 1, repetitions: context.quick ? 3 : 7) { try forward(backward: withBackward) }
            let gflops = flops / s / 1e9
            figures.append(BenchFigure(
                suite: "recurrent", name: "lstm-op \(label) N=64 T=100 I=256 H=256 threads=\(threads)", value: gflops, unit: "GFLOP/s",
                baseline: peak * Double(threads), baselineName: "GEMM peak", ratio: gflops / (peak * Double(threads)),
                note: String(format: "%.1f ms; input projection 1 GEMM, 100 recurrent GEMMs [64×256]·[256×1024], gate pass per step", s * 1e3)))
        }
    }
    return figures
}

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
/// update, as the gist. The recipe MinCharRNNTests checks against numpy to 1e-9.
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
        adagrad = try Adagrad<Scalar>(learningRate: 0.1, epsilon: 1e-8, epsilonInsideSquareRoot: true)
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
        try clipGradientValues(parameters, limit: 5)
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

// MARK: - Suite

func recurrentSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let text = CharacterText.load(repoRoot: context.repoRoot)
    context.report.say("  (text: \(text.source), \(text.ids.count) characters, vocabulary \(text.vocabulary))")
    if let kind = ProcessInfo.processInfo.environment["SCRATCH_PROFILE"] {
        BLAS.threads = 1
        if kind == "float" { let b = try MinCharRNNBench<Float>(text: text); _ = try b.sample(updates: 30000) }
        else { let b = try MinCharRNNBench<Double>(text: text); _ = try b.sample(updates: 20000) }
        return []
    }
    let runner = PeerRunner(context: context)
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    context.refreshPeak()
    let peak = context.peak()
    var figures: [BenchFigure] = []

    // The LSTM language model, interleaved with torch: ours, torch, per thread count, per round.
    let rounds = quick ? 1 : 3
    let threadCounts = context.options.threads
    let lm = try LSTMLanguageModelBench(text: text)
    var ours: [Int: [Double]] = [:], theirs: [Int: [Double]] = [:]
    var torchVersion = "?", torchNotes: [String] = []
    for round in 0..<rounds {
        for threads in threadCounts {
            BLAS.threads = threads
            context.report.say("  (lstm lm step vs torch, threads=\(threads), round \(round + 1)/\(rounds))")
            try lm.run(steps: 1)    // warm: arena, Adam state, OpenBLAS's workers awake after the peer ran
            for _ in 0..<(quick ? 1 : 3) { ours[threads, default: []].append(try lm.sample(steps: quick ? 1 : 2)) }
            let args = ["--threads", "\(threads)", "--steps-per-rep", quick ? "1" : "2", "--repetitions", "3"] + (quick ? ["--quick"] : [])
            for r in runner.run("lstm_lm_step_torch.py", args, timeout: 600) ?? [] {
                guard let v = r.value else { continue }
                theirs[threads, default: []].append(v)
                torchVersion = r.version ?? torchVersion
                if let m = r.bool("mkldnn") { torchNotes = ["mkldnn \(m)"] }
            }
        }
    }
    for threads in threadCounts {
        BLAS.threads = threads
        let our = median(ours[threads]!), samples = theirs[threads] ?? []
        let base = samples.isEmpty ? nil : median(samples)
        let phase = try lm.phases(steps: quick ? 1 : 3)
        let gflops = lm.flops * our / Double(lm.batch * lm.steps) / 1e9
        var f = BenchFigure(
            suite: "recurrent", name: "lstm-lm-step 2×256 batch=64 seq=100 threads=\(threads)", value: our, unit: "chars/s",
            baseline: base, baselineName: "torch", ratio: base.map { our / $0 },
            note: String(format: "%.0f ms/step (forward+loss %.0f, backward %.0f, update %.0f); GEMMs at %.0f GFLOP/s = %.0f%% of peak × %d",
                         Double(lm.batch * lm.steps) / our * 1e3, phase.forward, phase.backward, phase.update,
                         gflops, gflops / (peak * Double(threads)) * 100, threads)
                + "; input projection of layer 1 as a column gather; loss \(lm.lastLoss)"
                + (base == nil ? "; torch not measured" : "; torch \(torchVersion) (\(torchNotes.joined())), medians over \(ours[threads]!.count) ours / \(samples.count) theirs interleaved"))
        f.requireRatio(atLeast: 1.5, "≥ 1.5× torch")
        figures.append(f)
    }
    BLAS.threads = threadCounts[0]
    let before = Tensor<Float>.buffersAllocated
    try lm.run(steps: quick ? 2 : 5)
    let delta = Tensor<Float>.buffersAllocated - before
    var a = BenchFigure(suite: "recurrent", name: "lstm-lm-step allocations", value: Double(delta), unit: "buffers/\(quick ? 2 : 5) steps",
                        note: "Tensor<Float>.buffersAllocated delta over warm steps")
    a.target = "= 0"
    a.pass = delta == 0
    figures.append(a)

    // The LSTM op alone at the language model's second-layer shape, forward and forward + backward.
    figures += try lstmKernelFigures(context, peak: peak)

    // min-char-rnn: batch 1, one sequence of 25 per update; numpy's loop uses one core.
    BLAS.threads = 1
    let single = try MinCharRNNBench<Float>(text: text), double = try MinCharRNNBench<Double>(text: text)
    var mine: [String: [Double]] = [:], numpy: [Double] = []
    var numpyVersion = "?"
    let updatesPerSample = quick ? 200 : 2000
    for round in 0..<rounds {
        context.report.say("  (min-char-rnn vs numpy, round \(round + 1)/\(rounds))")
        _ = try single.sample(updates: 50); _ = try double.sample(updates: 50)
        for _ in 0..<3 {
            mine["Float", default: []].append(try single.sample(updates: updatesPerSample))
            mine["Double", default: []].append(try double.sample(updates: updatesPerSample))
        }
        let args = ["--threads", "1", "--repetitions", "3"] + (quick ? ["--quick"] : [])
        for r in runner.run("min_char_rnn_numpy.py", args, timeout: 300) ?? [] {
            guard let v = r.value else { continue }
            numpy.append(v)
            numpyVersion = r.version ?? numpyVersion
        }
    }
    let base = numpy.isEmpty ? nil : median(numpy)
    for precision in ["Double", "Float"] {
        let our = median(mine[precision]!)
        var f = BenchFigure(suite: "recurrent", name: "min-char-rnn \(precision) hidden=100 seq=25 threads=1", value: our, unit: "chars/s",
                            baseline: base, baselineName: "numpy", ratio: base.map { our / $0 },
                            note: String(format: "%.1f µs per update of 25 characters", 25 / our * 1e6)
                                + (base == nil ? "; numpy not measured" : "; numpy \(numpyVersion) float64 (the gist's loop without sampling), medians over \(mine[precision]!.count) ours / \(numpy.count) theirs interleaved"))
        f.requireRatio(atLeast: 20, "≥ 20× numpy")
        figures.append(f)
    }
    return figures
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

import Foundation
import Layers
import Tensor

/// `circuits lm VERB …`: a character-level language model (char-rnn) — `train` on a text file, `sample`
/// new text from a trained model. The verb is the first word after `lm`; each has its own options.
enum LMCommand: Command {
    static let name = "lm"
    static let summary = "character language model: train an LSTM/GRU/RNN on a text file, sample text from it"
    static var options: [OptionSpec] {
        var seen = Set<String>()
        return LMVerb.allCases.flatMap(\.options).filter { seen.insert($0.name).inserted }
    }
    static var details: String {
        (["Verbs:"] + LMVerb.allCases.flatMap { ["  circuits lm \($0.usage)", "      \($0.summary)"] }
            + ["", "Run 'circuits lm VERB --help' for a verb's options."]).joined(separator: "\n")
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        throw CLIError.usage("lm needs a verb: \(LMVerb.allCases.map(\.rawValue).joined(separator: ", "))", command: name)
    }

    /// Runs `circuits lm ARGS` (called before the shared option parsing, as for word2vec).
    static func dispatch(_ arguments: [String], context: CommandContext) -> ExitCode {
        let console = context.console
        guard let first = arguments.first else {
            console.printError("circuits lm: missing verb (\(LMVerb.allCases.map(\.rawValue).joined(separator: ", ")))")
            return .usage
        }
        if ["--help", "-h", "help"].contains(first) { console.print(help); return .success }
        guard let verb = LMVerb(rawValue: first) else {
            console.printError("circuits lm: unknown verb '\(first)' (train, sample)")
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") { console.print(verb.help); return .success }
        let label = "lm \(verb.rawValue)"
        do {
            let parsed = try ArgumentParser.parse(rest, options: verb.options, command: label)
            switch verb {
            case .train: return try LMTrain.run(parsed, context: context)
            case .sample: return try LMSample.run(parsed, context: context)
            }
        } catch let error as CLIError {
            console.printError("circuits \(label): \(error)")
            return error.exitCode
        } catch {
            console.printError("circuits \(label): \(oneLine(error))")
            return .failure
        }
    }
}

enum LMVerb: String, CaseIterable {
    case train, sample

    var summary: String {
        switch self {
        case .train: return "train on a UTF-8 text file (last 10% held out) and write the model with its vocabulary"
        case .sample: return "generate text from a trained model"
        }
    }

    var usage: String {
        switch self {
        case .train: return "train --text FILE --out model.safetensors [--model lstm:2x256] [--epochs N | --time-budget S]"
        case .sample: return "sample --model FILE [--length N] [--temperature T] [--prime TEXT] [--seed S]"
        }
    }

    var options: [OptionSpec] {
        switch self {
        case .train:
            return [
                OptionSpec("text", value: "FILE", help: "training text, UTF-8; the last 10% is the validation text"),
                OptionSpec("out", value: "FILE", help: "where to write the model (safetensors, with the vocabulary)", default: "lm.safetensors"),
                OptionSpec("model", value: "CELL:[L×]H", help: "lstm:2x256, gru:512, rnn:100 (tanh), rnn-relu:100; L layers of H units", default: "lstm:2x256"),
                OptionSpec("dropout", value: "P", help: "dropout between stacked layers", default: "0"),
                OptionSpec("seq-length", value: "N", help: "characters per chunk: backpropagation through time is truncated to a chunk, the state carried to the next", default: "100"),
                OptionSpec("batch-size", value: "N", help: "parallel streams of the text", default: "64"),
                OptionSpec("epochs", value: "N", help: "passes over the training text", default: "10"),
                OptionSpec("time-budget", value: "SECONDS", help: "stop training after this long (then validate and write); with --epochs, whichever comes first"),
                OptionSpec("lr", value: "X", help: "Adam's learning rate", default: "0.002"),
                OptionSpec("schedule", value: "constant|cosine", help: "learning rate over the run: constant, or cosine from --lr to 0 over --time-budget (else over the epochs)", default: "constant"),
                OptionSpec("clip", value: "X", help: "largest gradient norm (global, over every parameter)", default: "5"),
                OptionSpec("validation-every", value: "SECONDS", help: "also validate every so many seconds of training (points of the curve)"),
                OptionSpec("seed", value: "N", help: "seed of the initial weights, dropout and samples", default: "1"),
                OptionSpec("threads", value: "N", help: "BLAS threads", default: "2"),
                OptionSpec("checkpoint", value: "FILE", help: "write model and optimizer state here after every epoch"),
                OptionSpec("resume", value: "FILE", help: "continue a run from its checkpoint (same text and settings)"),
                OptionSpec("report", value: "FILE", help: "write an HTML report: loss curves and samples"),
                OptionSpec("sample-length", value: "N", help: "characters of the sample taken after each epoch", default: "200"),
                OptionSpec("temperature", value: "T", help: "temperature of those samples", default: "0.8"),
                OptionSpec("json", help: "print JSON (one object per line) on standard output"),
            ]
        case .sample:
            return [
                OptionSpec("model", value: "FILE", help: "a model written by 'circuits lm train'"),
                OptionSpec("length", value: "N", help: "characters to generate", default: "500"),
                OptionSpec("temperature", value: "T", help: "softmax temperature: < 1 more likely text, > 1 more varied", default: "1"),
                OptionSpec("prime", value: "TEXT", help: "text fed to the model first (printed too)", default: "none"),
                OptionSpec("seed", value: "N", help: "seed of the draws", default: "1"),
                OptionSpec("threads", value: "N", help: "BLAS threads", default: "1"),
            ]
        }
    }

    var help: String {
        var lines = ["circuits lm \(rawValue) — \(summary)", "", "Usage: circuits lm \(usage)", "", "Options:"]
        let width = options.map { LMCommand.optionLabel($0).count }.max()! + 2
        for o in options {
            let label = LMCommand.optionLabel(o)
            lines.append("  " + label + String(repeating: " ", count: width - label.count) + o.help + (o.defaultValue.map { " (default: \($0))" } ?? ""))
        }
        return (lines + ["", exitCodesHelp]).joined(separator: "\n")
    }
}

// MARK: - Model

/// `--model lstm:2x256`: the cell, layers and hidden size.
func parseLanguageModelSpec(_ text: String, dropout: Double, command: String) throws -> RecurrentConfiguration {
    let bad = CLIError.usage("--model \"\(text)\": expected CELL:H or CELL:LxH with CELL lstm, gru, rnn or rnn-relu (lstm:2x256)", command: command)
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw bad }
    let cell: RecurrentConfiguration.Cell
    switch parts[0] {
    case "lstm": cell = .lstm
    case "gru": cell = .gru
    case "rnn": cell = .rnnTanh
    case "rnn-relu": cell = .rnnReLU
    default: throw bad
    }
    let sizes = parts[1].lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard sizes.count == 1 || sizes.count == 2, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw bad }
    let layers = sizes.count == 2 ? sizes[0]! : 1, hidden = sizes.last!!
    guard hidden <= 65_536, layers <= 64 else { throw CLIError.usage("--model \"\(text)\": at most 64 layers of 65536 units", command: command) }
    return RecurrentConfiguration(cell: cell, hidden: hidden, layers: layers, dropout: dropout, output: .sequence)
}

// MARK: - Train

/// One row of the curve: after `characters` characters trained on (and `trainSeconds` of training), the
/// mean training loss since the previous row and the validation loss, in nats per character. Printed
/// with `--json` in `train`'s schema: `event` is "epoch" after an epoch and "validation" for the points
/// `--validation-every` adds within one; `seconds` is the training time since the previous row (as
/// `train`'s per-epoch seconds); `epochs` is absent when only `--time-budget` bounds the run.
struct LMEpochLine: Codable {
    var event = "epoch"
    var epoch: Int
    var epochs: Int?
    var characters: Int
    var seconds: Double
    /// Training seconds so far (nil in the histories of files written before it existed, whose
    /// `seconds` held this).
    var trainSeconds: Double?
    var trainLoss: Double
    var validationLoss: Double
    var validationBitsPerCharacter: Double
    var charactersPerSecond: Double
    var learningRate: Double
    var sample: String?

    /// Training seconds when the row was taken.
    var elapsed: Double { trainSeconds ?? seconds }
}

enum LMTrain {
    static func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let console = context.console
        guard let path = a.string("text") else { throw CLIError.usage("--text FILE is required (the training text)", command: a.command) }
        try OutputPaths.check(a, options: ["out", "report", "checkpoint"], inputs: ["text"])
        let out = a.string("out") ?? "lm.safetensors"
        let dropout = try a.double("dropout", in: 0...0.99) ?? 0
        let seqLength = try a.int("seq-length", minimum: 1, maximum: 100_000) ?? 100
        let batchSize = try a.int("batch-size", minimum: 1, maximum: 100_000) ?? 64
        let givenEpochs = try a.int("epochs", minimum: 1, maximum: 1_000_000)
        let epochs = givenEpochs ?? (a.has("time-budget") ? 1_000_000 : 10)
        let budget = try a.double("time-budget", in: 0.001...1e9)
        let learningRate = try a.double("lr", in: 1e-12...10) ?? 2e-3
        let clip = try a.double("clip", in: 1e-12...1e12) ?? 5
        let cosine = try a.choice("schedule", ["constant", "cosine"]) == "cosine"
        let validateEvery = try a.double("validation-every", in: 0.001...1e9)
        let seed = UInt64(try a.int("seed", minimum: 0) ?? 1)
        let threads = try a.int("threads", minimum: 1, maximum: 256) ?? 2
        let sampleLength = try a.int("sample-length", minimum: 0, maximum: 1_000_000) ?? 200
        let temperature = try a.double("temperature", in: 1e-6...100) ?? 0.8
        let json = a.has("json")
        var configuration = try parseLanguageModelSpec(a.string("model") ?? "lstm:2x256", dropout: dropout, command: a.command)
        configuration.dropout = configuration.layers > 1 ? dropout : 0
        if dropout > 0 && configuration.layers == 1 {
            context.console.printError("warning: --dropout \(dropout) acts between stacked layers; \(configuration.description) has one layer, so it has no effect")
        }
        BLAS.threads = threads

        let scalars = try CharacterText.read(path)
        guard scalars.count >= 20 else { throw CLIError.failure("\(path): \(scalars.count) characters; at least 20 are needed (10% are held out)") }
        let symbols = Array(Set(scalars)).sorted { $0.value < $1.value }
        let vocabulary = symbols.map { String(Character($0)) }
        let index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        let ids = scalars.map { index[$0]! }
        let split = ids.count - ids.count / 10
        let trainIDs = Array(ids[..<split]), validationIDs = Array(ids[split...])

        // Sizes before any allocation: the weights, and a chunk's largest buffer (the gate
        // pre-activations, N·T rows of 4H), within BLAS's 32-bit sizes.
        let limit = Int(Int32.max)
        guard let weights = configuration.parameterCount(features: vocabulary.count), weights <= limit else {
            throw CLIError.usage("--model \(a.string("model") ?? "lstm:2x256"): \(configuration.description) over \(vocabulary.count) symbols has more than \(limit) parameters", command: a.command)
        }
        let (rows, o1) = batchSize.multipliedReportingOverflow(by: seqLength)
        let (widest, o2) = rows.multipliedReportingOverflow(by: max(4 * configuration.outputWidth, vocabulary.count))
        guard !o1, !o2, widest <= limit else {
            throw CLIError.usage("--batch-size \(batchSize) × --seq-length \(seqLength) makes buffers of more than \(limit) values for \(configuration.description)", command: a.command)
        }
        // Each of the batch's streams needs seq-length + 1 characters (inputs and their next characters)
        // for one full chunk, in the training part and in the validation part; with fewer, TextStreams
        // would quietly use fewer streams or shorter chunks than asked.
        let needed = batchSize * (seqLength + 1), shortest = min(trainIDs.count, validationIDs.count)
        if shortest < needed {
            let largestBatch = shortest / (seqLength + 1), largestSteps = shortest / batchSize - 1
            var fixes: [String] = []
            if largestBatch >= 1 { fixes.append("--batch-size \(largestBatch) at --seq-length \(seqLength)") }
            if largestSteps >= 1 { fixes.append("--seq-length \(largestSteps) at --batch-size \(batchSize)") }
            if fixes.isEmpty {
                // Neither alone fits: the longest chunks one stream can take (the text has at least 2 characters per part).
                let steps = min(seqLength, shortest - 1)
                fixes.append("--batch-size \(shortest / (steps + 1)) with --seq-length \(steps)")
            }
            throw CLIError.usage("--batch-size \(batchSize) × (--seq-length \(seqLength) + 1) needs \(needed) characters in both the training and the "
                                 + "validation part of the text, but \(path) has \(trainIDs.count) for training and \(validationIDs.count) for validation "
                                 + "(the last 10%); the largest that fit: " + fixes.joined(separator: ", or "),
                                 command: a.command)
        }
        var rng = SeededRNG(seed: seed)
        var model = try CharacterLanguageModel<Float>(vocabulary: vocabulary, configuration: configuration, rng: &rng)
        let adam = try Adam<Float>(learningRate: learningRate)
        var history: [LMEpochLine] = []
        var firstEpoch = 0
        if let resume = a.string("resume") {
            let checkpoint = try LMCheckpoint.read(resume)
            guard checkpoint.model.vocabulary == vocabulary, checkpoint.model.configuration == configuration else {
                throw CLIError.failure("\(resume): the checkpoint's model (\(checkpoint.model.configuration.description), \(checkpoint.model.vocabulary.count) symbols) is not the one these settings and text make (\(configuration.description), \(vocabulary.count) symbols)")
            }
            model = checkpoint.model
            try adam.restore(checkpoint.optimizer)
            history = checkpoint.history
            firstEpoch = checkpoint.epochs
            console.printError("resumed from \(resume) after epoch \(firstEpoch)")
        }
        let parameters = model.parameters
        let streams = TextStreams(ids: trainIDs, batch: batchSize, steps: seqLength)
        let count = parameters.reduce(0) { $0 + $1.variable.value.count }
        console.printError("text: \(path), \(ids.count) characters, \(vocabulary.count) symbols; training \(trainIDs.count), validation \(validationIDs.count) (last 10%)")
        console.printError("model: \(configuration.description) → dense \(vocabulary.count), \(count) parameters; \(streams.batch) streams × \(seqLength) steps, \(streams.chunks) chunks per epoch; Adam \(learningRate), clip \(clip), \(threads) thread\(threads == 1 ? "" : "s")")

        let interrupt = InterruptSignal()
        if context.handlesSignals { interrupt.install(console: console) }
        defer { if context.handlesSignals { interrupt.uninstall() } }
        let tape = Tape<Float>()
        let trainStart = DispatchTime.now().uptimeNanoseconds
        var trainedSeconds = history.last?.elapsed ?? 0
        var characters = history.last?.characters ?? 0
        var stopped = false, interrupted = false, partial = false
        var lastValidation = trainedSeconds
        var lossSum = 0.0, lossCount = 0, rowCharacters = 0, rowSeconds = 0.0
        let total = firstEpoch + max(epochs - firstEpoch, 0)

        /// A validation row: `final` at the end of an epoch (event "epoch") or of a run stopped inside one
        /// (`complete` false: event "validation", as for `--validation-every`, with the sample).
        func validate(epoch: Int, final: Bool, complete: Bool = true) throws {
            let v = try model.evaluate(ids: validationIDs, batch: batchSize, steps: seqLength)
            var sample: String? = nil
            if final && sampleLength > 0 {
                // A fresh generator each time: the sample is what `lm sample --seed SEED` prints for this model.
                var sampleRNG = SeededRNG(seed: seed)
                sample = try model.sample(prime: "", length: sampleLength, temperature: temperature, rng: &sampleRNG)
            }
            let endsEpoch = final && complete
            let line = LMEpochLine(event: endsEpoch ? "epoch" : "validation", epoch: epoch, epochs: givenEpochs ?? (budget == nil ? epochs : nil),
                                   characters: characters, seconds: rowSeconds, trainSeconds: trainedSeconds,
                                   trainLoss: lossCount > 0 ? lossSum / Double(lossCount) : .nan, validationLoss: v,
                                   validationBitsPerCharacter: v / Foundation.log(2.0), charactersPerSecond: Double(rowCharacters) / max(rowSeconds, 1e-9),
                                   learningRate: adam.learningRate, sample: sample)
            history.append(line)
            lossSum = 0; lossCount = 0; rowCharacters = 0; rowSeconds = 0
            if json {
                console.print(ProgressReporter.json(line))
            } else {
                if console.isTerminal { console.writeErrorText("\r\u{1B}[K") }
                console.printError((endsEpoch ? "epoch \(epoch)" : "within epoch \(epoch)") + (line.epochs.map { "/\($0)" } ?? "") + "  train " + String(format: "%.4f", line.trainLoss) + "  val "
                                   + String(format: "%.4f nats/char (%.4f bits/char)", v, line.validationBitsPerCharacter)
                                   + "  \(ProgressReporter.rate(line.charactersPerSecond)) chars/s  " + String(format: "%.0fs", trainedSeconds))
                if let sample { console.printError("  sample: " + sample.replacingOccurrences(of: "\n", with: "⏎")) }
            }
        }

        var epoch = firstEpoch
        while epoch < epochs && !stopped {
            model.isTraining = true
            var state: RecurrentState<Float>? = nil
            for chunk in 0..<streams.chunks {
                let start = DispatchTime.now().uptimeNanoseconds
                let (inputs, targets, length) = streams.chunk(chunk)
                if cosine {
                    // Progress through the run: training time over the budget, else chunks over all epochs'.
                    let progress = budget.map { min(trainedSeconds / $0, 1) }
                        ?? Double(epoch * streams.chunks + chunk) / Double(max(epochs * streams.chunks, 1))
                    adam.learningRate = learningRate * 0.5 * (1 + Foundation.cos(Double.pi * progress))
                }
                // The recurrent ops cut their work across the threads themselves (Tensor+Recurrent.swift).
                let value: Double = try Parallel.withOwnThreads {
                    for p in parameters { p.variable.zeroGrad() }
                    let (scores, final) = try model.scores(ids: inputs, batch: streams.batch, steps: length, initial: state, tape: tape)
                    let loss = try scores.softmaxCrossEntropy(labels: targets)
                    try tape.backward(loss)
                    let value = Double(loss.value[flat: 0])
                    guard value.isFinite else { throw CLIError.failure("training diverged at epoch \(epoch + 1), chunk \(chunk + 1): loss \(value) (try a smaller --lr)") }
                    _ = clipGradients(parameters, maxNorm: clip)
                    try adam.step(parameters)
                    // Truncated BPTT: the final states become the next chunk's constant initial states, copied
                    // out of the arena before the tape reuses it.
                    if state == nil { state = RecurrentState(copying: final) } else { state!.assign(final) }
                    tape.reset()
                    return value
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                trainedSeconds += seconds; rowSeconds += seconds
                characters += targets.count; rowCharacters += targets.count
                lossSum += value; lossCount += 1
                if !json && console.isTerminal {
                    console.writeErrorText("\r\u{1B}[K" + "epoch \(epoch + 1)" + (givenEpochs != nil || budget == nil ? "/\(total)" : "") + " \(chunk + 1)/\(streams.chunks)  loss " + String(format: "%.4f", value)
                                           + "  \(ProgressReporter.rate(Double(rowCharacters) / max(rowSeconds, 1e-9))) chars/s")
                }
                if interrupt.isRequested || context.interruptAfter?(epoch, chunk + 1) == true { interrupted = true; stopped = true }
                if let budget, trainedSeconds >= budget { stopped = true }
                if stopped { partial = chunk + 1 < streams.chunks; break }
                if let validateEvery, trainedSeconds - lastValidation >= validateEvery, chunk + 1 < streams.chunks {
                    lastValidation = trainedSeconds
                    try validate(epoch: epoch + 1, final: false)
                    model.isTraining = true
                }
            }
            // A run stopped inside an epoch reports where it stopped, not a completed epoch.
            if partial { try validate(epoch: epoch + 1, final: true, complete: false); break }
            epoch += 1
            try validate(epoch: epoch, final: true)
            if let path = a.string("checkpoint"), !stopped {
                try LMCheckpoint(model: model, optimizer: adam.state, epochs: epoch, history: history).write(path)
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - trainStart) / 1e9
        try model.write(to: URL(fileURLWithPath: out), extra: ["lm.history": try ModelFile<Float>.json(history)])
        if let report = a.string("report") {
            try LMReport(title: "circuits lm train: \(URL(fileURLWithPath: path).lastPathComponent)", history: history,
                         settings: [("text", path), ("model", configuration.description), ("symbols", "\(vocabulary.count)"),
                                    ("parameters", "\(count)"), ("streams × steps", "\(streams.batch) × \(seqLength)"),
                                    ("optimizer", "Adam \(learningRate)\(cosine ? " (cosine schedule)" : ""), gradient norm clipped to \(clip)"), ("threads", "\(threads)"),
                                    ("seed", "\(seed)"), ("sample temperature", "\(temperature)")])
                .write(to: report)
        }
        let last = history.last
        if json {
            struct Summary: Encodable {
                var event = "summary"
                var interrupted: Bool, epochs: Int, characters: Int, trainSeconds: Double, wallSeconds: Double
                var validationLoss: Double?, validationBitsPerCharacter: Double?, model: String, vocabulary: Int, parameters: Int
            }
            console.print(ProgressReporter.json(Summary(interrupted: interrupted, epochs: epoch, characters: characters, trainSeconds: trainedSeconds,
                                                        wallSeconds: wall, validationLoss: last?.validationLoss,
                                                        validationBitsPerCharacter: last?.validationBitsPerCharacter, model: out,
                                                        vocabulary: vocabulary.count, parameters: count)))
        } else {
            console.print("model: \(configuration.description), \(vocabulary.count) symbols → \(out)"
                          + (last.map { String(format: "; validation %.4f nats/char (%.4f bits/char) after %.0f s of training", $0.validationLoss, $0.validationBitsPerCharacter, trainedSeconds) } ?? ""))
        }
        if interrupted {
            console.printError("circuits lm train: interrupted after \(epoch) complete epoch\(epoch == 1 ? "" : "s")\(partial ? " and part of the next" : ""); the model trained so far was written")
            return .failure
        }
        return .success
    }
}

// MARK: - Checkpoint

/// The state of an `lm train` run after an epoch: the model, Adam's moments, the epochs done, the curve
/// so far and the dropout generators. Resuming continues exactly as the uninterrupted run (every epoch
/// starts from a zero state, and nothing else carries over).
struct LMCheckpoint {
    var model: CharacterLanguageModel<Float>
    var optimizer: OptimizerState<Float>
    var epochs: Int
    var history: [LMEpochLine]

    func write(_ path: String) throws {
        var file = try model.container(extra: [
            "lm.checkpoint.epochs": "\(epochs)", "lm.checkpoint.adamSteps": "\(optimizer.steps)",
            "lm.history": try ModelFile<Float>.json(history),
            "lm.checkpoint.dropoutRNG": try ModelFile<Float>.json(model.recurrent.state.generators),
        ], fileName: path)
        for (key, buffers) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
            for (p, t) in zip(model.parameters, buffers) { file.tensors.append(("adam.\(key).\(p.name)", AnyTensor(t))) }
        }
        try file.write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> LMCheckpoint {
        let file = try LMSample.languageModelFile(path)
        let model = try CharacterLanguageModel<Float>.decode(file)
        func entry<T: Decodable>(_ key: String, as: T.Type) throws -> T {
            guard let text = file.metadata[key], let v = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw CLIError.failure("\(path): not an lm checkpoint (metadata \(key) missing or malformed)")
            }
            return v
        }
        func int(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let v = Int(text), v >= 0 else {
                throw CLIError.failure("\(path): not an lm checkpoint (metadata \(key) missing or not a count)")
            }
            return v
        }
        let epochs = try int("lm.checkpoint.epochs"), steps = try int("lm.checkpoint.adamSteps")
        var buffers: [String: [Tensor<Float>]] = [:]
        if steps > 0 {
            for key in ["m", "v"] {
                buffers[key] = try model.parameters.map { try file.require("adam.\(key).\($0.name)", shape: $0.variable.value.shape, as: Float.self) }
            }
        }
        try model.recurrent.restore(LayerState(generators: try entry("lm.checkpoint.dropoutRNG", as: [SeededRNG].self)))
        return LMCheckpoint(model: model, optimizer: OptimizerState(buffers: buffers, steps: steps), epochs: epochs,
                            history: try entry("lm.history", as: [LMEpochLine].self))
    }
}

// MARK: - Report

/// The HTML report of `lm train`: validation and training loss against training time, the table of
/// epochs, and the sample taken after each epoch.
struct LMReport {
    var title: String
    var history: [LMEpochLine]
    var settings: [(String, String)]

    var html: String {
        var body = "<h1>\(escape(title))</h1>"
        if let last = history.last {
            body += "<p class=\"headline\">validation <b>" + String(format: "%.4f", last.validationLoss) + "</b> nats/char ("
                + String(format: "%.4f", last.validationBitsPerCharacter) + " bits/char) after " + String(format: "%.0f", last.elapsed) + " s of training</p>"
        }
        let minutes = history.map { $0.elapsed / 60 }
        body += "<section class=\"figures\"><figure>" + ReportCharts.lineChart(id: "loss-curve", title: "Loss (nats/char) against training minutes", series: [
            ("training", "#1f77b4", zip(minutes, history.map(\.trainLoss)).filter { $0.1.isFinite }),
            ("validation", "#ff7f0e", Array(zip(minutes, history.map(\.validationLoss)))),
        ], percent: false) + "<figcaption>Training loss (mean over the chunks since the previous point) and validation loss on the held-out last 10%.</figcaption></figure></section>"
        body += "<section class=\"tables\"><div><h2>Settings</h2><table class=\"kv\">"
            + settings.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table></div></section>"
        var rows = "<tr><th>epoch</th><th>minutes</th><th>characters</th><th>train</th><th>validation</th><th>bits/char</th><th>chars/s</th></tr>"
        for h in history {
            rows += "<tr><td>\(h.epoch)</td><td>" + String(format: "%.1f", h.elapsed / 60) + "</td><td>\(h.characters)</td><td>"
                + String(format: "%.4f", h.trainLoss) + "</td><td>" + String(format: "%.4f", h.validationLoss) + "</td><td>"
                + String(format: "%.4f", h.validationBitsPerCharacter) + "</td><td>\(ProgressReporter.rate(h.charactersPerSecond))</td></tr>"
        }
        body += "<section><h2>Epochs</h2><table id=\"epochs\">\(rows)</table></section>"
        for h in history {
            if let s = h.sample { body += "<section><h2>Sample after epoch \(h.epoch)</h2><pre class=\"sample\">\(escape(s))</pre></section>" }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(Report.css) pre.sample { white-space: pre-wrap; background: #f6f6f6; padding: 0.6em; }</style></head>
        <body>\(body)<footer>Written by circuits \(CircuitsCLI.version). Self-contained: no scripts, no network.</footer></body></html>
        """
    }

    func write(to path: String) throws {
        try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

// MARK: - Sample

enum LMSample {
    static func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        guard let path = a.string("model") else { throw CLIError.usage("--model FILE is required (a model written by 'circuits lm train')", command: a.command) }
        let length = try a.int("length", minimum: 0, maximum: 100_000_000) ?? 500
        let temperature = try a.double("temperature", in: 1e-6...100) ?? 1
        let prime = a.string("prime") ?? ""
        let seed = UInt64(try a.int("seed", minimum: 0) ?? 1)
        BLAS.threads = try a.int("threads", minimum: 1, maximum: 256) ?? 1
        try DataInput.requireReadableFile(path)
        let model = try CharacterLanguageModel<Float>.decode(try languageModelFile(path))
        var rng = SeededRNG(seed: seed)
        let text: String
        do {
            text = try model.sample(prime: prime, length: length, temperature: temperature, rng: &rng)
        } catch let LanguageModelError.unknownCharacter(c, position) {
            throw CLIError.failure("--prime: character \(c.debugDescription) (U+\(String(c.unicodeScalars.first!.value, radix: 16, uppercase: true))) at position \(position) is not in the model's vocabulary of \(model.vocabulary.count) symbols")
        }
        context.console.print(prime + text)
        return .success
    }

    /// The container of an `lm train` model or checkpoint at `path`; a model file of `circuits train`
    /// (format 1 or 2: a classifier or regressor) is an error pointing to the commands that use it.
    static func languageModelFile(_ path: String) throws -> SafeTensorsFile {
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: path))
        if let format = file.metadata["circuits.format"], format == ModelFile<Float>.formatVersion || format == "1" {
            throw CLIError.failure("\(path): a classifier or regressor written by 'circuits train', not a character language model; "
                                   + "use it with 'circuits predict --model \(path)' or 'circuits eval --model \(path)'")
        }
        return file
    }
}

import Foundation
import Word2Vec

/// `circuits word2vec train`: vocabulary (counted or read), corpus encoded once, training with progress,
/// vectors written atomically.
enum Word2VecTrain {
    static func configuration(_ a: ParsedArguments) throws -> Word2VecConfiguration {
        var c = Word2VecConfiguration()
        func flag(_ name: String) throws -> Bool? { try a.choice(name, ["0", "1"]).map { $0 == "1" } }
        if let cbow = try flag("cbow") { c.architecture = cbow ? .cbow : .skipGram }
        if let v = try a.int("size", minimum: 1) { c.size = v }
        if let v = try a.int("window", minimum: 1) { c.window = v }
        if let v = try a.int("negative", minimum: 0) { c.negative = v }
        if let v = try flag("hs") { c.hierarchicalSoftmax = v }
        if let v = try a.double("sample", in: 0...1) { c.sample = v }
        if let v = try a.int("min-count", minimum: 1) { c.minCount = v }
        if let v = try a.double("alpha", in: 1e-12...10) { c.alpha = v }
        if let v = try a.int("iter", minimum: 1) { c.iterations = v }
        c.threads = try a.int("threads", minimum: 1, maximum: TrainOptions.maximumThreads) ?? ProcessInfo.processInfo.activeProcessorCount
        if let v = try a.int("seed", minimum: 0) { c.seed = UInt64(v) }
        do { try c.validate() } catch let Word2VecError.invalidSetting(name, message) {
            throw CLIError.usage("--\(name) \(message)", command: a.command)
        }
        return c
    }

    /// The JSON object printed at each iteration's end with `--json`.
    struct IterationLine: Encodable {
        var event = "iteration"
        var iteration: Int
        var iterations: Int
        var alpha: Double
        var seconds: Double
        var wordsPerSecond: Double
    }

    /// The final JSON object.
    struct Summary: Encodable {
        var event = "summary"
        var interrupted: Bool
        var architecture: String
        var vocabulary: Int
        var size: Int
        var iterations: Int
        var threads: Int
        /// Words of the corpus file (in the vocabulary or not, line ends not counted).
        var corpusWords: Int
        /// Tokens trained on per iteration: vocabulary words plus line ends (word2vec.c's train_words).
        var tokens: Int
        var vocabularySeconds: Double
        var encodeSeconds: Double
        var trainSeconds: Double
        var writeSeconds: Double
        /// Tokens × iterations / training seconds.
        var wordsPerSecond: Double
        /// Corpus words × iterations / (encoding + training seconds): the benchmark's common count.
        var corpusWordsPerSecond: Double
        var out: String
        var format: String
    }

    static func run(_ a: ParsedArguments, positional: [String], context: CommandContext) throws -> ExitCode {
        guard positional.isEmpty else { throw CLIError.usage("unexpected argument \"\(positional[0])\" (train takes only options)", command: a.command) }
        guard let textPath = a.string("text") else { throw CLIError.usage("--text FILE is required (the training corpus)", command: a.command) }
        let c = try configuration(a)
        try OutputPaths.check(a, options: ["out", "save-vocab"], inputs: ["text", "read-vocab"])
        let out = a.string("out") ?? "vectors.bin"
        let binary = try a.choice("binary", ["0", "1"]).map { $0 == "1" } ?? out.hasSuffix(".bin")
        let json = a.has("json")
        let console = context.console
        try DataInput.requireReadableFile(textPath)

        let vocabularyStart = DispatchTime.now().uptimeNanoseconds
        var encodeSeconds = 0.0
        let (vocabulary, corpus): (Vocabulary, TextCorpus) = try TextCorpus.withContents(of: textPath) { text in
            let vocabulary: Vocabulary
            if let path = a.string("read-vocab") {
                vocabulary = try Vocabulary.read(from: URL(fileURLWithPath: path), minCount: c.minCount)
            } else {
                vocabulary = try Vocabulary.learn(from: text, file: textPath, minCount: c.minCount)
            }
            let encodeStart = DispatchTime.now().uptimeNanoseconds
            let corpus = TextCorpus(text: text, vocabulary: vocabulary)
            encodeSeconds = seconds(since: encodeStart)
            return (vocabulary, corpus)
        }
        let vocabularySeconds = seconds(since: vocabularyStart) - encodeSeconds
        if corpus.rawWordCount == 0 { throw Word2VecError.emptyCorpus(file: textPath) }
        if corpus.tokens.allSatisfy({ $0 == 0 }) {
            throw Word2VecError.noWordAboveMinCount(file: textPath, minCount: c.minCount, distinctWords: vocabulary.count - 1)
        }
        if let path = a.string("save-vocab") { try vocabulary.write(to: URL(fileURLWithPath: path)) }
        console.printError("vocabulary: \(vocabulary.count) words (min-count \(c.minCount)), corpus \(corpus.rawWordCount) words, "
                           + "\(corpus.tokens.count) tokens trained per iteration" + String(format: " (%.1fs + %.1fs encoding)", vocabularySeconds, encodeSeconds))
        console.printError("model: \(c.architecture.rawValue), size \(c.size), window \(c.window), "
                           + (c.negative > 0 ? "negative \(c.negative)" : "") + (c.negative > 0 && c.hierarchicalSoftmax ? " + " : "")
                           + (c.hierarchicalSoftmax ? "hierarchical softmax" : "") + ", sample \(c.sample), alpha \(c.startingAlpha), "
                           + "\(c.iterations) iterations, \(c.threads) thread\(c.threads == 1 ? " (deterministic)" : "s (Hogwild)"), seed \(c.seed)")

        let progress = Word2VecProgressReporter(console: console, json: json, iterations: c.iterations)
        let interrupt = InterruptSignal()
        if context.handlesSignals { interrupt.install(console: console) }
        defer { if context.handlesSignals { interrupt.uninstall() } }
        let result = try Word2VecTrainer.train(corpus: corpus, vocabulary: vocabulary, configuration: c) { p in
            progress.update(p)
            return !interrupt.isRequested && context.interruptAfter?(0, p.wordsProcessed) != true
        }
        progress.finish()

        let writeStart = DispatchTime.now().uptimeNanoseconds
        try result.vectors.write(to: URL(fileURLWithPath: out), format: binary ? .binary : .text)
        let writeSeconds = seconds(since: writeStart)
        let rate = Double(result.wordsProcessed) / max(result.seconds, 1e-9)
        let fraction = Double(result.wordsProcessed) / Double(max(corpus.tokens.count * c.iterations, 1))
        let corpusRate = Double(corpus.rawWordCount) * Double(c.iterations) * fraction / max(result.seconds + encodeSeconds, 1e-9)
        if json {
            console.print(ProgressReporter.json(Summary(
                interrupted: result.interrupted, architecture: c.architecture.rawValue, vocabulary: vocabulary.count, size: c.size,
                iterations: c.iterations, threads: c.threads, corpusWords: corpus.rawWordCount, tokens: corpus.tokens.count,
                vocabularySeconds: vocabularySeconds, encodeSeconds: encodeSeconds, trainSeconds: result.seconds, writeSeconds: writeSeconds,
                wordsPerSecond: rate, corpusWordsPerSecond: corpusRate, out: out, format: binary ? "binary" : "text")))
        } else {
            console.print("training: \(c.iterations) iterations in " + String(format: "%.1f s", result.seconds)
                          + ", \(ProgressReporter.rate(rate)) words/s (\(ProgressReporter.rate(corpusRate)) corpus words/s)")
            console.print("vectors: \(vocabulary.count) words × \(c.size) → \(out) (\(binary ? "binary" : "text"))")
        }
        if result.interrupted {
            console.printError("circuits word2vec train: interrupted at " + String(format: "%.1f%%", fraction * 100) + "; vectors written for what was trained")
            return .failure
        }
        return .success
    }
}

/// Progress of `word2vec train` in `circuits train`'s three forms: a bar redrawn in place on a terminal
/// (progress, learning rate, words/s, ETA), one summary line per iteration otherwise, or JSON lines.
final class Word2VecProgressReporter {
    let console: Console
    let json: Bool
    let iterations: Int
    private var lastDraw: UInt64 = 0
    private var reported = 0
    private var lastWords = 0
    private var lastSeconds = 0.0

    init(console: Console, json: Bool, iterations: Int) {
        self.console = console
        self.json = json
        self.iterations = iterations
    }

    /// The previous progress report: words, seconds, learning rate.
    private var lastPoll: (words: Int, seconds: Double, alpha: Double?) = (0, 0, nil)

    func update(_ p: Word2VecProgress) {
        // An iteration is over when the words processed pass its share of the total (threads end
        // their slices at slightly different times, so this is the run's iteration, not a thread's).
        // Reports come about ten times a second, so a short iteration ends between two of them: its end's
        // time and learning rate are interpolated between those reports (the rate decays linearly with
        // the words processed), not taken from the later one.
        let perIteration = max(p.totalWords / max(iterations, 1), 1)
        defer { lastPoll = (p.wordsProcessed, p.seconds, p.alpha) }
        while reported < iterations && p.wordsProcessed >= (reported + 1) * perIteration {
            reported += 1
            let boundary = reported == iterations ? p.wordsProcessed : reported * perIteration
            let span = Double(p.wordsProcessed - lastPoll.words)
            let f = span > 0 ? Double(boundary - lastPoll.words) / span : 1
            let seconds = lastPoll.seconds + f * (p.seconds - lastPoll.seconds)
            let alpha = lastPoll.alpha.map { $0 + f * (p.alpha - $0) } ?? p.alpha
            let rate = Double(boundary - lastWords) / max(seconds - lastSeconds, 1e-9)
            lastWords = boundary
            let line = Word2VecTrain.IterationLine(iteration: reported, iterations: iterations, alpha: alpha,
                                                   seconds: seconds - lastSeconds, wordsPerSecond: rate)
            lastSeconds = seconds
            if json {
                console.print(ProgressReporter.json(line))
            } else {
                if console.isTerminal { console.writeErrorText("\r\u{1B}[K") }
                console.printError("iter \(reported)/\(iterations)  alpha " + String(format: "%.6f", alpha)
                                   + "  \(ProgressReporter.rate(rate)) words/s  " + String(format: "%.1fs", line.seconds))
            }
        }
        guard !json, console.isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let width = 28, fraction = p.fraction
        let filled = Int(Double(width) * fraction)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rate = Double(p.wordsProcessed) / max(p.seconds, 1e-9)
        let remaining = Double(p.totalWords - p.wordsProcessed) / max(rate, 1)
        let iteration = min(iterations, reported + 1)
        console.writeErrorText("\r\u{1B}[K" + "iter \(iteration)/\(iterations) \(bar) " + String(format: "%5.1f%%", fraction * 100)
                               + "  alpha " + String(format: "%.6f", p.alpha) + "  \(ProgressReporter.rate(rate)) words/s  ETA \(ProgressReporter.duration(remaining))")
    }

    func finish() {
        if !json && console.isTerminal { console.writeErrorText("\r\u{1B}[K") }
    }
}

import Datasets
import Foundation
import Layers
import Tensor
import TSNE

/// `circuits tsne`: a 2-D t-SNE embedding of a data set, or of what a trained model's layer makes of
/// it, written as CSV (`x,y[,label]`, one row per input row, in input order) and drawn as a
/// self-contained HTML/SVG scatter plot.
enum TSNECommand: Command {
    static let name = "tsne"
    static let summary = "embed data (or a model's layer) in 2-D with t-SNE; CSV and an HTML scatter plot"
    static var options: [OptionSpec] {
        DataInput.options(test: false, classNamesFile: false) + [
            OptionSpec("out", value: "FILE", help: "embedding CSV: header x,y (and label when the data has labels), one row per input row"),
            OptionSpec("plot", value: "FILE", help: "self-contained HTML/SVG scatter plot, one colour per class"),
            OptionSpec("json", help: "progress and a final summary as JSON lines on standard output"),
            OptionSpec("perplexity", value: "X", help: "effective number of neighbours; below N − 1", default: "30"),
            OptionSpec("iterations", value: "N", help: "total iterations, early exaggeration included", default: "1000"),
            OptionSpec("early-exaggeration-iterations", value: "N", help: "iterations of early exaggeration", default: "250"),
            OptionSpec("early-exaggeration", value: "X", help: "exaggeration of P in the early phase", default: "12"),
            OptionSpec("exaggeration", value: "X", help: "exaggeration after the early phase (> 1 tightens clusters)", default: "1"),
            OptionSpec("learning-rate", value: "auto|X", help: "step size; auto is N / exaggeration (openTSNE's convention)", default: "auto"),
            OptionSpec("method", value: "M", help: "auto|exact|barnes-hut|fft; auto: exact below 1000 points, barnes-hut below 15000, else fft", default: "auto"),
            OptionSpec("theta", value: "X", help: "Barnes-Hut opening angle in [0, 1)", default: "0.5"),
            OptionSpec("pca", value: "K", help: "project onto K principal components first when there are more features; 0: never", default: "50"),
            OptionSpec("init", value: "I", help: "pca|random: starting positions (scaled to std 1e-4)", default: "pca"),
            OptionSpec("seed", value: "N", help: "seed of the random initialisation", default: "1"),
            OptionSpec("threads", value: "N", help: "worker threads (neighbour search, forces, FFT grid)", default: "all cores"),
            OptionSpec("limit", value: "N", help: "embed only the first N rows"),
            OptionSpec("model", value: "FILE", help: "embed the activations of this trained model's layer --layer instead of the raw data"),
            OptionSpec("layer", value: "K", help: "with --model: the output of the first K layers (0 is the preprocessed input)"),
            OptionSpec("title", value: "TEXT", help: "title of the plot"),
            OptionSpec("class-names", value: "A,B,…", help: "names for the classes in label order (legend and CSV), e.g. Fashion-MNIST's"),
        ]
    }
    static let details = """
    Examples:
      circuits tsne --data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --out tsne.csv --plot tsne.html
      circuits tsne --data /usr/share/datasets/fashion-mnist --out all.csv --plot all.html   # train + test: 70,000 points
      circuits tsne --model model.safetensors --layer 2 --data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --plot hidden.html
    A directory holding a training and a test set is embedded whole (training rows first, then test rows).
    The steps follow van der Maaten's papers and openTSNE's defaults: exact nearest neighbours (k = 3 × perplexity),
    perplexity calibration, 250 iterations of early exaggeration 12 with momentum 0.5, then momentum 0.8.
    The KL divergence is printed every 50 iterations; the final one is exact up to 10,000 points, estimated above.
    Runs are reproducible for a given seed and thread count.
    """

    struct Settings {
        var configuration = TSNEConfiguration()
        var pca = 50
        var out: String?
        var plot: String?
        var json = false
        var limit: Int?
        var title: String?
        var classNames: [String]?
    }

    static func parse(_ args: ParsedArguments) throws -> Settings {
        var s = Settings()
        var c = TSNEConfiguration()
        c.threads = try args.int("threads", minimum: 1, maximum: TrainOptions.maximumThreads) ?? ProcessInfo.processInfo.activeProcessorCount
        c.perplexity = try args.double("perplexity", in: 1e-3...1e6) ?? 30
        c.iterations = try args.int("iterations", minimum: 1) ?? 1000   // 0 would print the starting positions as an embedding
        if let early = try args.int("early-exaggeration-iterations", minimum: 0) {
            // --iterations counts the exaggerated ones too (openTSNE counts them apart, scikit-learn within).
            guard early <= c.iterations else {
                throw CLIError.usage("--early-exaggeration-iterations \(early) exceeds --iterations \(c.iterations), which counts them too", command: name)
            }
            c.earlyExaggerationIterations = early
        } else {
            c.earlyExaggerationIterations = min(250, c.iterations)
        }
        c.earlyExaggeration = try args.double("early-exaggeration", in: 1e-6...1e6) ?? 12
        c.exaggeration = try args.double("exaggeration", in: 1e-6...1e6) ?? 1
        if let lr = args.string("learning-rate"), lr != "auto" {
            guard let v = Double(lr), v.isFinite, v > 0 else {
                throw CLIError.usage("--learning-rate expects auto or a positive number, got \"\(lr)\"", command: name)
            }
            c.learningRate = v
        }
        let methods = ["auto"] + TSNEConfiguration.Method.allCases.map(\.rawValue)
        if let m = try args.choice("method", methods), m != "auto" { c.method = TSNEConfiguration.Method(rawValue: m) }
        c.theta = try args.double("theta", in: 0...0.999999) ?? 0.5
        if let i = try args.choice("init", ["pca", "random"]) { c.initialization = i == "pca" ? .pca : .random }
        if let seed = args.string("seed") {
            guard let v = UInt64(seed) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(seed)\"", command: name) }
            c.seed = v
        }
        s.configuration = c
        s.pca = try args.int("pca", minimum: 0) ?? 50
        s.out = args.string("out")
        s.plot = args.string("plot")
        s.json = args.has("json")
        s.limit = try args.int("limit", minimum: 1)
        s.title = args.string("title")
        if let names = args.string("class-names") {
            s.classNames = names.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if args.has("layer") != args.has("model") {
            throw CLIError.usage(args.has("layer") ? "--layer needs --model" : "--model needs --layer K (which layer's output to embed)", command: name)
        }
        if s.out == nil && s.plot == nil && !s.json {
            throw CLIError.usage("nothing to write: give --out FILE, --plot FILE or --json", command: name)
        }
        return s
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let s = try parse(arguments)
        try OutputPaths.check(arguments, options: ["out", "plot"], inputs: ["data", "labels", "model"])
        let console = context.console
        let wallStart = DispatchTime.now().uptimeNanoseconds
        let dataName = arguments.string("data") ?? ""
        func note(_ text: String) { console.printError(text) }

        // Data: the training set and, for a source that holds one, the test set after it.
        var clock = DispatchTime.now().uptimeNanoseconds
        var timings: [(String, Double)] = []
        func lap(_ name: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            timings.append((name, Double(now - clock) / 1e9))
            clock = now
        }
        var data = try loadData(arguments, path: dataName)
        if let limit = s.limit, limit < data.count { data = try data.subset(Array(0..<limit)) }
        guard data.count > 0 else { throw CLIError.failure("\(dataName): no examples") }
        if let names = s.classNames {
            guard names.count == data.classNames.count else {
                throw CLIError.usage("--class-names lists \(names.count) names, but the data has \(data.classNames.count) classes (\(data.classNames.prefix(12).joined(separator: ", ")))", command: name)
            }
            data.classNames = names
        }
        var features = data.features
        var source = "\(data.count) points × \(data.featureCount) features"
        if let modelPath = arguments.string("model") {
            let layer = try arguments.int("layer", minimum: 0) ?? 0
            let saved = try SavedModel.load(arguments)
            features = try layerActivations(saved, layer: layer, features: features, dataFile: dataName)
            source += " → \(modelPath) layer \(layer): \(features.shape[1]) activations"
        }
        lap("load")
        if let bad = firstNonFinite(features) {
            throw CLIError.failure("\(dataName): feature at row \(bad.row), column \(bad.column) (0-based) is \(bad.value); t-SNE needs finite numbers")
        }
        var pcaNote = ""
        if s.pca > 0 && features.shape[1] > s.pca && features.shape[0] >= 2 {
            let pca = try PrincipalComponents(fitting: features, components: s.pca, threads: s.configuration.threads)
            features = try pca.transform(features, threads: s.configuration.threads)
            pcaNote = " → PCA \(s.pca)"
            lap("pca")
        }
        let method = s.configuration.method ?? TSNE.defaultMethod(count: data.count)
        note("tsne: \(source)\(pcaNote); perplexity \(s.configuration.perplexity), \(s.configuration.iterations) iterations, "
             + "method \(method.rawValue), \(s.configuration.threads) thread\(s.configuration.threads == 1 ? "" : "s")")

        let json = s.json
        let result = try TSNE.embed(features, configuration: s.configuration) { p in
            if json {
                console.print(ProgressReporter.json(TSNEProgressLine(p)))
            } else {
                note("iteration \(p.iteration)/\(p.iterations)  KL " + String(format: "%.4f", p.klDivergence)
                     + (p.exaggeration != 1 ? String(format: "  (exaggeration %g)", p.exaggeration) : "")
                     + String(format: "  %.1fs", p.seconds))
            }
        }
        clock = DispatchTime.now().uptimeNanoseconds
        for key in ["neighbors", "affinities", "initialization", "optimization"] {
            if let t = result.timings[key] { timings.append((key, t)) }
        }
        let labels = data.isLabeled && !data.labels.isEmpty ? data.labels : nil
        if let out = s.out {
            try writeCSV(result.embedding, labels: labels, classNames: data.classNames, to: out)
        }
        if let plotPath = s.plot {
            let plot = TSNEPlot(title: s.title ?? "t-SNE of \(URL(fileURLWithPath: dataName).lastPathComponent)",
                                embedding: result.embedding, labels: labels, classNames: data.classNames,
                                details: [("points", "\(data.count)"), ("input", source + pcaNote),
                                          ("perplexity", String(format: "%g", s.configuration.perplexity)),
                                          ("iterations", "\(s.configuration.iterations)"), ("method", result.method.rawValue),
                                          ("KL divergence", String(format: "%.4f", result.klDivergence) + (result.klIsExact ? "" : " (estimated)")),
                                          ("seed, threads", "\(s.configuration.seed), \(s.configuration.threads)")])
            try Data(plot.html.utf8).write(to: URL(fileURLWithPath: plotPath), options: .atomic)
        }
        lap("write")
        let total = seconds(since: wallStart)
        if json {
            console.print(ProgressReporter.json(TSNESummary(
                points: data.count, features: data.featureCount, embeddedFeatures: features.shape[1],
                method: result.method.rawValue, perplexity: s.configuration.perplexity, iterations: s.configuration.iterations,
                klDivergence: result.klDivergence, klExact: result.klIsExact, learningRate: result.learningRate,
                affinityEntries: result.affinityEntries, threads: s.configuration.threads, seed: s.configuration.seed,
                seconds: Dictionary(timings, uniquingKeysWith: +).merging(["total": total]) { a, _ in a },
                out: s.out, plot: s.plot)))
        }
        note("KL divergence " + String(format: "%.4f", result.klDivergence) + (result.klIsExact ? "" : " (estimated)")
             + "; " + timings.map { "\($0.0) " + String(format: "%.1fs", $0.1) }.joined(separator: ", ")
             + String(format: "; total %.1fs", total)
             + (s.out.map { "; wrote \($0)" } ?? "") + (s.plot.map { "; plot \($0)" } ?? ""))
        return .success
    }

    /// The data through `train`'s readers, a source's test set appended after its training set; an NPY
    /// or IDX file without a labels file is read unlabelled (t-SNE needs no labels: say, activations from numpy).
    static func loadData(_ arguments: ParsedArguments, path: String) throws -> Dataset {
        let loaded = try DataInput.load(arguments, labelsOptional: true, classNamesFile: false)
        guard let test = loaded.test else { return loaded.train }
        return try concatenate(loaded.train, test, file: path)
    }

    /// The first NaN or infinite feature, if any.
    static func firstNonFinite(_ x: Tensor<Float>) -> (row: Int, column: Int, value: Float)? {
        let d = x.shape[1]
        return x.withUnsafeBufferPointer { p in
            for e in 0..<p.count where !p[e].isFinite { return (e / d, e % d, p[e]) }
            return nil
        }
    }

    /// Rows of `a` then rows of `b`, with `b`'s labels mapped onto `a`'s classes (new classes appended).
    static func concatenate(_ a: Dataset, _ b: Dataset, file: String) throws -> Dataset {
        guard a.featureCount == b.featureCount else {
            throw CLIError.failure("\(file): the test set has \(b.featureCount) features, the training set \(a.featureCount)")
        }
        var classNames = a.classNames
        var index: [String: Int] = [:]
        for (i, c) in classNames.enumerated() { index[c] = i }
        let mapping = b.classNames.map { name -> Int in
            if let i = index[name] { return i }
            classNames.append(name); index[name] = classNames.count - 1
            return classNames.count - 1
        }
        let labels = a.labels.isEmpty || b.labels.isEmpty ? [] : a.labels + b.labels.map { mapping[$0] }
        let features = try Tensor<Float>(a.features.scalars + b.features.scalars, shape: [a.count + b.count, a.featureCount])
        return try Dataset(features: features, labels: labels, classNames: labels.isEmpty ? [] : classNames)
    }

    /// CSV `x,y[,label]`, atomically.
    static func writeCSV(_ y: [Double], labels: [Int]?, classNames: [String], to path: String) throws {
        var text = labels == nil ? "x,y\n" : "x,y,label\n"
        text.reserveCapacity(y.count * 14)
        for i in 0..<(y.count / 2) {
            text += String(format: "%.6g,%.6g", y[2 * i], y[2 * i + 1])
            if let labels { text += "," + csvField(classNames[labels[i]]) }
            text += "\n"
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError.failure("\(path): cannot write the embedding (\(error.localizedDescription))")
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// A progress line of `--json`.
struct TSNEProgressLine: Encodable {
    var event = "iteration"
    var iteration: Int
    var iterations: Int
    var klDivergence: Double
    var exaggeration: Double
    var seconds: Double
    init(_ p: TSNEProgress) {
        iteration = p.iteration; iterations = p.iterations; klDivergence = p.klDivergence
        exaggeration = p.exaggeration; seconds = p.seconds
    }
}

/// The final line of `--json`.
struct TSNESummary: Encodable {
    var event = "summary"
    var points: Int
    var features: Int
    var embeddedFeatures: Int
    var method: String
    var perplexity: Double
    var iterations: Int
    var klDivergence: Double
    var klExact: Bool
    var learningRate: Double
    var affinityEntries: Int
    var threads: Int
    var seed: UInt64
    var seconds: [String: Double]
    var out: String?
    var plot: String?
}

import Datasets
import Foundation
import Layers

/// The settings of `circuits train`, parsed and checked. The defaults are the Fashion-MNIST settings
/// `make run` uses (see `TrainCommand`).
struct TrainOptions: Equatable {
    /// The `--model` text (see `ModelGrammar`).
    var model = ModelGrammar(text: TrainOptions.defaultModel)
    var loss: LossFunction = .softmaxCrossEntropy
    var configuration = TrainOptions.defaultConfiguration
    var dropout = 0.0
    /// How the dense layers' weights start (`nil`: He for hidden layers' ReLU nets, Xavier for a linear model).
    var initializer: Initializer? = nil
    var validationSplit = 0.1
    var preprocessing: Preprocessor.Kind = .none
    var pcaComponents: Int? = nil
    var threads: Int? = nil
    var out = "model.safetensors"
    var report: String? = nil
    var json = false
    var checkpointEvery: Int? = nil
    var checkpointPath: String? = nil
    var resume = false
    /// Data-parallel training across the ranks of `mpirun` (module `Distributed`).
    var distributed = false
    /// What the distributed tests and measurements need (hidden options).
    var diagnostics = Diagnostics()

    /// Hidden options: precision, measurement output and fault injection for the tests of data-parallel
    /// training. Not in `--help`; documented in the README's MPI section.
    struct Diagnostics: Equatable {
        /// Train in Double (the equivalence tests compare to 1e-12).
        var double = false
        /// Write every parameter as text (`name count`, then one value per line) to this file.
        var parametersOut: String? = nil
        /// Print the run's figures (throughput, all-reduce time, allocations) as one JSON object.
        var statsJSON = false
        /// Seconds a collective may wait before the job is aborted.
        var timeout: Double? = nil
        /// Fault injection: this rank kills itself (or stops) before the all-reduce of step `dieStep`.
        var dieRank: Int? = nil
        var dieStep = 1
        var dieSignal = "kill"
        /// Measurement: time this many all-reduces of the gradient buffer alone, then exit.
        var allReduceOnly: Int? = nil
        /// Train on the first N examples only.
        var limit: Int? = nil
    }

    static let defaultModel = "mlp:256,128"
    /// More OpenBLAS threads than any machine has cores only adds overhead (and `Int32` holds the count).
    static let maximumThreads = 1024
    static let defaultOptimizer: OptimizerKind = .adam
    static let defaultEpochs = 20
    static let defaultBatchSize = 128
    static let defaultSchedule = "cosine"
    static let schedules = ["constant", "cosine", "step"]

    /// The learning rate each optimizer starts from unless `--lr` says otherwise.
    static func defaultLearningRate(_ optimizer: OptimizerKind) -> Double {
        switch optimizer {
        case .adam: return 1e-3
        case .sgd: return 0.1
        case .momentum, .nesterov: return 0.05
        case .lbfgs: return 1
        }
    }

    static var defaultConfiguration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.optimizer = defaultOptimizer
        c.learningRate = defaultLearningRate(defaultOptimizer)
        c.epochs = defaultEpochs
        c.batchSize = defaultBatchSize
        c.seed = 42
        c.schedule = schedule(defaultSchedule)
        return c
    }

    /// The model as the command line names it.
    var modelName: String { model.text }

    /// Where checkpoints go: `--checkpoint`, else beside `--out` with `.checkpoint` before the extension.
    var resolvedCheckpointPath: String {
        if let checkpointPath { return checkpointPath }
        let url = URL(fileURLWithPath: out)
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(stem + ".checkpoint.safetensors").path
    }

    static let losses = ["hinge", "squared-hinge", "multiclass-hinge", "softmax", "logistic", "mse", "huber"]
    static let optimizers = OptimizerKind.allCases.map(\.rawValue)
    /// Initializers by their command-line names.
    static let initializers: [(name: String, initializer: Initializer)] =
        [("he", .he), ("xavier", .xavier), ("orthogonal", .orthogonal), ("guide-uniform", .guideUniform)]

    static let specs: [OptionSpec] = DataInput.options(test: true, width: true) + [
        OptionSpec("model", value: "M", help: ModelGrammar.help, default: defaultModel),
        OptionSpec("loss", value: "L", help: losses.joined(separator: "|"), default: "softmax"),
        OptionSpec("optimizer", value: "O", help: optimizers.joined(separator: "|"), default: defaultOptimizer.rawValue),
        OptionSpec("lr", value: "X", help: "learning rate", default: "1e-3 for adam, 0.05 for momentum/nesterov, 0.1 for sgd"),
        OptionSpec("momentum", value: "X", help: "momentum of momentum and nesterov", default: "0.9"),
        OptionSpec("schedule", value: "S", help: "learning-rate schedule: constant, cosine (to 1% of --lr over the run), step (×0.5 every N/3 epochs)", default: defaultSchedule),
        OptionSpec("epochs", value: "N", help: "passes over the training data (for lbfgs: its iteration budget, unless --max-iter gives it)", default: "\(defaultEpochs); 200 iterations for lbfgs"),
        OptionSpec("max-iter", value: "N", help: "lbfgs: the iteration budget (the summary reports the iterations run and why it stopped)", default: "--epochs, else 200"),
        OptionSpec("batch-size", value: "N", help: "examples per mini-batch", default: "\(defaultBatchSize)"),
        OptionSpec("l2", value: "X", help: "L2 penalty λ on weights (λ/2·‖W‖²)", default: "0"),
        OptionSpec("l1", value: "X", help: "L1 penalty λ on weights", default: "0"),
        OptionSpec("init", value: "I", help: initializers.map(\.name).joined(separator: "|")
                   + " (He N(0, 2/in); Xavier U(±√(6/(in+out))); orthogonal √2·Q; the guide's U(−0.5, 0.5))",
                   default: "he (xavier for linear)"),
        OptionSpec("dropout", value: "P", help: "dropout probability after each hidden layer of an mlp: model", default: "0"),
        ImageOptions.augmentSpec,
        OptionSpec("val-split", value: "F", help: "fraction of the training data held out for validation (stratified)", default: "0.1"),
        OptionSpec("standardize", help: "standardize features (fitted on the training split only)"),
        OptionSpec("pca", value: "K", help: "PCA-whiten to K components (fitted on the training split only)"),
        OptionSpec("seed", value: "N", help: "seed of initialization, shuffling, splits and dropout", default: "42"),
        OptionSpec("threads", value: "N", help: "OpenBLAS threads", default: "OpenBLAS's choice"),
        OptionSpec("out", value: "FILE", help: "where to write the model (safetensors)", default: "model.safetensors"),
        OptionSpec("report", value: "FILE", help: "write a self-contained HTML report"),
        OptionSpec("json", help: "print one JSON object per epoch and a final summary object"),
        OptionSpec("checkpoint-every", value: "N", help: "write a resumable checkpoint every N epochs"),
        OptionSpec("checkpoint", value: "FILE", help: "checkpoint path", default: "<out stem>.checkpoint.safetensors"),
        OptionSpec("resume", help: "continue from the checkpoint (with the same settings)"),
        OptionSpec("distributed", help: "data-parallel training across the ranks of mpirun (Open MPI)"),
        // Hidden: for the distributed tests and the scaling measurements (README, MPI section).
        OptionSpec("double", help: "train in Double precision", hidden: true),
        OptionSpec("parameters-out", value: "FILE", help: "write every parameter as text", hidden: true),
        OptionSpec("stats-json", help: "print the run's figures as one JSON object", hidden: true),
        OptionSpec("timeout", value: "S", help: "collective timeout in seconds", hidden: true),
        OptionSpec("die-rank", value: "R", help: "fault injection: this rank dies", hidden: true),
        OptionSpec("die-step", value: "N", help: "fault injection: before this step's all-reduce", hidden: true),
        OptionSpec("die-signal", value: "S", help: "fault injection: kill or stop", hidden: true),
        OptionSpec("allreduce-only", value: "N", help: "time N all-reduces of the gradient buffer alone", hidden: true),
        OptionSpec("limit", value: "N", help: "train on the first N examples", hidden: true),
    ]

    /// Parses and checks every option. - Throws: `CLIError.usage` naming the offending option.
    static func parse(_ args: ParsedArguments) throws -> TrainOptions {
        var o = TrainOptions()
        let command = args.command
        if let m = args.string("model") { o.model = ModelGrammar(text: m) }
        _ = try o.model.form(command: command)
        o.model.preset?.apply(to: &o)   // the preset's settings, unless the options below say otherwise
        if let l = try args.choice("loss", losses), let loss = LossFunction(name: l) { o.loss = loss }
        if let opt = try args.choice("optimizer", optimizers), let kind = OptimizerKind(rawValue: opt) {
            o.configuration.optimizer = kind
            o.configuration.learningRate = defaultLearningRate(o.configuration.optimizer)
        }
        if let lr = try args.double("lr", in: 1e-12...1e6) { o.configuration.learningRate = lr }
        if let m = try args.double("momentum", in: 0...0.999999) { o.configuration.momentum = m }
        if let e = try args.int("epochs", minimum: 1) { o.configuration.epochs = e }
        // L-BFGS runs full-batch iterations, not epochs: --max-iter, or --epochs when only that is given.
        let maxIterations = try args.int("max-iter", minimum: 1)
        if o.configuration.optimizer == .lbfgs {
            let epochs = try args.int("epochs", minimum: 1)
            o.configuration.lbfgsIterations = maxIterations ?? epochs ?? 200
        } else if maxIterations != nil {
            throw CLIError.usage("--max-iter is the iteration budget of --optimizer lbfgs; \(o.configuration.optimizer.rawValue) runs --epochs", command: command)
        }
        // Sizes within 32 bits: BLAS's sizes are 32-bit, and batch arithmetic must not overflow.
        if let b = try args.int("batch-size", minimum: 1, maximum: Int(Int32.max)) { o.configuration.batchSize = b }
        if let name = try args.choice("schedule", schedules) { o.configuration.schedule = schedule(name) }
        if let l2 = try args.double("l2", in: 0...1e6) { o.configuration.regularization.l2 = l2 }
        if let l1 = try args.double("l1", in: 0...1e6) { o.configuration.regularization.l1 = l1 }
        if let name = try args.choice("init", initializers.map(\.name)) {
            o.initializer = initializers.first { $0.name == name }?.initializer
        }
        if let p = try args.double("dropout", in: 0...0.99) { o.dropout = p }
        if let a = args.string("augment") { o.configuration.augmentation = try ImageOptions.augmentation(a, command: command) }
        if let v = try args.double("val-split", in: 0...0.9) { o.validationSplit = v }
        if args.has("standardize") && args.has("pca") {
            throw CLIError.usage("--standardize and --pca are alternatives; give one", command: command)
        }
        if args.has("standardize") { o.preprocessing = .standardize }
        if let k = try args.int("pca", minimum: 1) { o.preprocessing = .pca; o.pcaComponents = k }
        if o.preprocessing != .none, try o.model.embedding(command: command) != nil {
            throw CLIError.usage("--\(o.preprocessing == .pca ? "pca" : "standardize") would change the token ids an embedding reads; drop it", command: command)
        }
        if let s = args.string("seed") {
            guard let seed = UInt64(s) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(s)\"", command: command) }
            o.configuration.seed = seed
        }
        o.threads = try args.int("threads", minimum: 1, maximum: maximumThreads)
        if let out = args.string("out") { o.out = out }
        o.report = args.string("report")
        o.json = args.has("json")
        o.checkpointEvery = try args.int("checkpoint-every", minimum: 1)
        o.checkpointPath = args.string("checkpoint")
        o.resume = args.has("resume")
        o.distributed = args.has("distributed")
        let isMLP = try o.model.isMLP(command: command)
        if o.dropout > 0 && !isMLP {
            throw CLIError.usage("--dropout applies to mlp: models; put dropout:P layers in a layer list", command: command)
        }
        if o.dropout > 0, case .mlp(let hidden, _) = try o.model.form(command: command), hidden.isEmpty {
            throw CLIError.usage("--dropout applies after hidden layers; a linear model has none", command: command)
        }
        var d = Diagnostics()
        d.double = args.has("double")
        d.parametersOut = args.string("parameters-out")
        d.statsJSON = args.has("stats-json")
        d.timeout = try args.double("timeout", in: 0.001...1e9)
        d.dieRank = try args.int("die-rank", minimum: 0)
        d.dieStep = try args.int("die-step", minimum: 1) ?? 1
        d.dieSignal = try args.choice("die-signal", ["kill", "stop"]) ?? "kill"
        d.allReduceOnly = try args.int("allreduce-only", minimum: 1)
        d.limit = try args.int("limit", minimum: 1)
        o.diagnostics = d
        return o
    }

    /// The schedule called `name`.
    static func schedule(_ name: String) -> LearningRateSchedule {
        switch name {
        case "cosine": return .cosine(minimumFactor: 0.01)
        case "step": return .stepsOverRun(count: 3, factor: 0.5)
        default: return .constant
        }
    }

    /// The settings in which two fingerprints differ, as "name: saved → current".
    static func fingerprintDifferences(saved: String, current: String) -> [String] {
        func fields(_ f: String) -> [(String, String)] {
            let cut = f.firstIndex(of: "{") ?? f.endIndex
            var out = f[..<cut].split(separator: " ").map { token -> (String, String) in
                let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }
            if let object = try? JSONSerialization.jsonObject(with: Data(f[cut...].utf8)) as? [String: Any] {
                out += object.keys.sorted().map { key in
                    let value = object[key]!
                    let text = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) }
                    return (key, text ?? "\(value)")
                }
            }
            return out
        }
        let a = fields(saved), b = Dictionary(fields(current), uniquingKeysWith: { x, _ in x })
        return a.compactMap { key, value in b[key].flatMap { $0 == value ? nil : "\(key): \(value) → \($0)" } }
    }

    /// The settings a resumed run must share with the run that wrote the checkpoint (everything that
    /// changes the arithmetic; the epoch count only through schedules that depend on the run's length).
    var fingerprint: String {
        var c = configuration
        switch c.schedule {
        case .cosine, .stepsOverRun: break
        default: c.epochs = 0
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let config = String(decoding: (try? encoder.encode(c)) ?? Data(), as: UTF8.self)
        return "model=\(modelName) init=\(initializer?.rawValue ?? "default") loss=\(loss) dropout=\(dropout) val=\(validationSplit) "
            + "pre=\(preprocessing.rawValue):\(pcaComponents ?? 0) double=\(diagnostics.double) \(config)"
    }
}

import Datasets
import Foundation
import Layers

/// The settings of `circuits train`, parsed and checked. The defaults are the Fashion-MNIST settings
/// `make run` uses (see `TrainCommand`).
struct TrainOptions: Equatable {
    /// Hidden widths; empty for `linear`.
    var hidden: [Int] = [256, 128]
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

    static let defaultOptimizer: OptimizerKind = .adam
    static let defaultEpochs = 20
    static let defaultBatchSize = 128
    static let defaultSchedule = "cosine"
    static let schedules = ["constant", "cosine", "step"]
    /// The schedule's name as given (the schedule itself depends on the epoch count).
    var scheduleName = TrainOptions.defaultSchedule

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
        c.schedule = schedule(defaultSchedule, epochs: defaultEpochs, rate: c.learningRate)
        return c
    }

    /// The model as the command line names it.
    var modelName: String { hidden.isEmpty ? "linear" : "mlp:" + hidden.map(String.init).joined(separator: ",") }

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

    static let specs: [OptionSpec] = DataInput.options(test: true) + [
        OptionSpec("model", value: "M", help: "linear, or mlp:W1,W2,… (hidden widths)", default: "mlp:256,128"),
        OptionSpec("loss", value: "L", help: losses.joined(separator: "|"), default: "softmax"),
        OptionSpec("optimizer", value: "O", help: optimizers.joined(separator: "|"), default: defaultOptimizer.rawValue),
        OptionSpec("lr", value: "X", help: "learning rate", default: "1e-3 for adam, 0.05 for momentum/nesterov, 0.1 for sgd"),
        OptionSpec("schedule", value: "S", help: "learning-rate schedule: constant, cosine (to 1% of --lr over the run), step (×0.5 every N/3 epochs)", default: defaultSchedule),
        OptionSpec("epochs", value: "N", help: "passes over the training data", default: "\(defaultEpochs)"),
        OptionSpec("batch-size", value: "N", help: "examples per mini-batch", default: "\(defaultBatchSize)"),
        OptionSpec("l2", value: "X", help: "L2 penalty λ on weights (λ/2·‖W‖²)", default: "0"),
        OptionSpec("l1", value: "X", help: "L1 penalty λ on weights", default: "0"),
        OptionSpec("init", value: "I", help: initializers.map(\.name).joined(separator: "|")
                   + " (He N(0, 2/in); Xavier U(±√(6/(in+out))); orthogonal √2·Q; the guide's U(−0.5, 0.5))",
                   default: "he (xavier for linear)"),
        OptionSpec("dropout", value: "P", help: "dropout probability after each hidden layer", default: "0"),
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
    ]

    /// Parses and checks every option. - Throws: `CLIError.usage` naming the offending option.
    static func parse(_ args: ParsedArguments) throws -> TrainOptions {
        var o = TrainOptions()
        let command = args.command
        if let m = args.string("model") { o.hidden = try parseModel(m, command: command) }
        if let l = try args.choice("loss", losses) { o.loss = LossFunction(name: l)! }
        if let opt = try args.choice("optimizer", optimizers) {
            o.configuration.optimizer = OptimizerKind(rawValue: opt)!
            o.configuration.learningRate = defaultLearningRate(o.configuration.optimizer)
        }
        if let lr = try args.double("lr", in: 1e-12...1e6) { o.configuration.learningRate = lr }
        if let e = try args.int("epochs", minimum: 1) { o.configuration.epochs = e }
        if let b = try args.int("batch-size", minimum: 1) { o.configuration.batchSize = b }
        if let name = try args.choice("schedule", schedules) { o.scheduleName = name }
        if let l2 = try args.double("l2", in: 0...1e6) { o.configuration.regularization.l2 = l2 }
        if let l1 = try args.double("l1", in: 0...1e6) { o.configuration.regularization.l1 = l1 }
        if let name = try args.choice("init", initializers.map(\.name)) {
            o.initializer = initializers.first { $0.name == name }!.initializer
        }
        if let p = try args.double("dropout", in: 0...0.99) { o.dropout = p }
        if let v = try args.double("val-split", in: 0...0.9) { o.validationSplit = v }
        if args.has("standardize") && args.has("pca") {
            throw CLIError.usage("--standardize and --pca are alternatives; give one", command: command)
        }
        if args.has("standardize") { o.preprocessing = .standardize }
        if let k = try args.int("pca", minimum: 1) { o.preprocessing = .pca; o.pcaComponents = k }
        if let s = args.string("seed") {
            guard let seed = UInt64(s) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(s)\"", command: command) }
            o.configuration.seed = seed
        }
        o.configuration.schedule = schedule(o.scheduleName, epochs: o.configuration.epochs, rate: o.configuration.learningRate)
        o.threads = try args.int("threads", minimum: 1)
        if let out = args.string("out") { o.out = out }
        o.report = args.string("report")
        o.json = args.has("json")
        o.checkpointEvery = try args.int("checkpoint-every", minimum: 1)
        o.checkpointPath = args.string("checkpoint")
        o.resume = args.has("resume")
        o.distributed = args.has("distributed")
        if o.dropout > 0 && o.hidden.isEmpty {
            throw CLIError.usage("--dropout applies after hidden layers; a linear model has none", command: command)
        }
        return o
    }

    /// The schedule called `name` for a run of `epochs` epochs starting at `rate`.
    static func schedule(_ name: String, epochs: Int, rate: Double) -> LearningRateSchedule {
        switch name {
        case "cosine": return .cosine(epochs: epochs, minimum: rate * 0.01)
        case "step": return .step(every: max(1, epochs / 3), factor: 0.5)
        default: return .constant
        }
    }

    /// `linear` → [], `mlp:256,128` → [256, 128].
    static func parseModel(_ text: String, command: String) throws -> [Int] {
        if text == "linear" { return [] }
        let bad = CLIError.usage("--model expects linear or mlp:W1,W2,… with positive widths, got \"\(text)\"", command: command)
        guard text.hasPrefix("mlp:") else { throw bad }
        let widths = text.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else { throw bad }
        return widths.map { $0! }
    }

    /// The settings a resumed run must share with the run that wrote the checkpoint (everything that
    /// changes the arithmetic; the epoch count only through schedules that depend on it).
    var fingerprint: String {
        var c = configuration
        c.epochs = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let config = String(decoding: (try? encoder.encode(c)) ?? Data(), as: UTF8.self)
        return "model=\(modelName) init=\(initializer?.rawValue ?? "default") loss=\(loss) dropout=\(dropout) val=\(validationSplit) pre=\(preprocessing.rawValue):\(pcaComponents ?? 0) \(config)"
    }
}

import Datasets
import Foundation
import Layers
import Tensor

/// `circuits search`: grid or random search over learning rate, L2, batch size, hidden widths and
/// epochs, each candidate scored by stratified k-fold cross-validation; prints the ranked table.
enum SearchCommand: Command {
    static let name = "search"
    static let summary = "hyperparameter search with k-fold cross-validation; ranked table"
    static var options: [OptionSpec] {
        DataInput.options(test: false, width: true) + [
            OptionSpec("lr", value: "LIST", help: "learning rates, comma-separated", default: "0.001,0.01"),
            OptionSpec("l2", value: "LIST", help: "L2 penalties", default: "0,0.0001"),
            OptionSpec("batch-size", value: "LIST", help: "batch sizes", default: "64"),
            OptionSpec("model", value: "LIST", help: "models separated by ';' (linear;mlp:64;mlp:128,64:gelu)", default: "mlp:64"),
            OptionSpec("epochs", value: "LIST", help: "epoch counts", default: "10"),
            OptionSpec("folds", value: "K", help: "cross-validation folds", default: "5"),
            OptionSpec("random", value: "N", help: "random search with N draws instead of the full grid"),
            OptionSpec("optimizer", value: "O", help: TrainOptions.optimizers.joined(separator: "|"), default: "adam"),
            OptionSpec("loss", value: "L", help: "classification loss", default: "softmax"),
            OptionSpec("standardize", help: "standardize features first"),
            OptionSpec("seed", value: "N", help: "seed of folds, draws and training", default: "42"),
            OptionSpec("threads", value: "N", help: "OpenBLAS threads"),
            OptionSpec("json", help: "print the ranked results as JSON"),
        ]
    }
    static let details = """
    Example:
      circuits search --data toy:spirals --model "mlp:16;mlp:32,32" --lr 0.003,0.03 --epochs 100 --folds 3
    Standardization is fitted on all the data before the folds are cut (a mild, documented leak).
    """

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let console = context.console
        if let t = try arguments.int("threads", minimum: 1, maximum: TrainOptions.maximumThreads) { BLAS.threads = t }
        var space = SearchSpace(learningRates: [0.001, 0.01], l2: [0, 1e-4], batchSizes: [64], hiddenWidths: [[64]], epochs: [10])
        if let v = try arguments.doubles("lr") { space.learningRates = v }
        if let v = try arguments.doubles("l2") { space.l2 = v }
        if let v = try arguments.ints("batch-size", maximum: Int(Int32.max)) { space.batchSizes = v }
        if let v = try arguments.ints("epochs") { space.epochs = v }
        if let m = arguments.string("model") {
            let forms = try m.split(separator: ";").map { text -> (hidden: [Int], activation: UnaryFunction) in
                let grammar = ModelGrammar(text: String(text).trimmingCharacters(in: .whitespaces))
                guard case let .mlp(hidden, activation) = try grammar.form(command: name) else {
                    throw CLIError.usage("--model: search varies linear and mlp:W1,W2,…[:ACTIVATION] models, not \"\(grammar.text)\"", command: name)
                }
                return (hidden, activation)
            }
            space.hiddenWidths = forms.map(\.hidden)
            space.activations = forms.map(\.activation)
        }
        do { try space.validate() } catch { throw CLIError.usage(oneLine(error), command: name) }
        let gridSize = [space.learningRates.count, space.l2.count, space.batchSizes.count, space.hiddenWidths.count, space.epochs.count]
            .reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard gridSize <= 100_000 else {
            throw CLIError.usage("the grid has \(gridSize == Int.max ? "more than 2⁶³" : String(gridSize)) candidates; give shorter lists or --random N", command: name)
        }
        var base = TrainingConfiguration()
        base.optimizer = try arguments.choice("optimizer", TrainOptions.optimizers.filter { $0 != "lbfgs" }).flatMap(OptimizerKind.init(rawValue:)) ?? .adam
        let lossName = try arguments.choice("loss", ["softmax", "multiclass-hinge", "hinge", "squared-hinge", "logistic"]) ?? "softmax"
        let loss = LossFunction(name: lossName) ?? .softmaxCrossEntropy
        var seed: UInt64 = 42
        if let s = arguments.string("seed") {
            guard let v = UInt64(s) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(s)\"", command: name) }
            seed = v
        }
        let folds = try arguments.int("folds", minimum: 2) ?? 5
        let strategy: SearchStrategy = try arguments.int("random", minimum: 1, maximum: 100_000).map { .random(trials: $0) } ?? .grid

        let loaded = try DataInput.load(arguments)
        DataInput.report(loaded.warnings, console: console)
        var data = loaded.train
        let dataName = arguments.string("data") ?? ""
        try DataChecks.requireClassification(data, name: dataName)
        if loss.isBinary && data.classCount != 2 {
            throw CLIError.failure("\(loss) is a binary loss, but the data has \(data.classCount) classes; use softmax or multiclass-hinge")
        }
        for w in try DataChecks.checkFolds(folds, data: data, name: dataName) { console.printError("warning: \(w)") }
        if arguments.has("standardize") { data = try data.transformed(by: try Standardizer(fitting: data.features)) }
        for hidden in space.hiddenWidths {   // sizes before any allocation
            let specs = Sequential<Float>.mlpSpecs(hidden: hidden, outputs: loss.outputs(classes: data.classCount))
            try ModelFileCheck.check(Architecture(input: [data.featureCount], layers: specs), name: "--model mlp:\(hidden.map(String.init).joined(separator: ","))", stored: nil)
        }
        let training = try TrainingData(features: data.features, labels: data.labels, classes: data.classCount)
        let search = HyperparameterSearch(space: space, strategy: strategy, folds: folds, seed: seed, base: base, loss: loss)
        let candidates = search.candidates().count
        console.printError("search: \(candidates) candidates × \(folds) folds on \(data.count) examples")
        let results = try search.run(training) { run, runs, point, fold in
            if context.console.isTerminal {
                console.writeErrorText("\r\u{1B}[K[\(run)/\(runs)] fold \(fold + 1) \(point)")
            }
        }
        if console.isTerminal { console.writeErrorText("\r\u{1B}[K") }
        if arguments.has("json") {
            console.print(ProgressReporter.json(results))
        } else {
            console.print(HyperparameterSearch.table(results))
        }
        return .success
    }
}

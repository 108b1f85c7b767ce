import Datasets
import Foundation
import Layers
import Tensor

/// `circuits eval`: a saved model's accuracy on labelled data, with the per-class table and the
/// confusion matrix.
enum EvalCommand: Command {
    static let name = "eval"
    static let summary = "evaluate a saved model: accuracy, per-class table, confusion matrix"
    static var options: [OptionSpec] {
        [OptionSpec("model", value: "FILE", help: "model written by 'circuits train'")] + DataInput.options(test: false)
            + [OptionSpec("json", help: "print the results as one JSON object")]
    }
    static let details = """
    An MNIST-style directory is evaluated on its test files (t10k-*). A CSV with a header is matched to
    the model by column name (the columns may come in any order; a missing or extra column is an error
    naming it); a LIBSVM file is read at the model's width. The macro average runs over the classes that
    occur in the labels or the predictions, as scikit-learn's classification_report does; a class of the
    model that this data never mentions is shown but left out of it.
    """

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let console = context.console
        let saved = try SavedModel.load(arguments)
        let loaded = try DataInput.load(arguments, expected: saved.expected)
        DataInput.report(loaded.warnings, console: console)
        let data = loaded.test ?? loaded.train
        let dataName = arguments.string("data") ?? ""
        let names = saved.file.classNames
        guard !saved.file.loss.isRegression else {
            guard let t = data.targets else { throw CLIError.failure("\(dataName): needs numeric labels for a regression model") }
            let predictions = try saved.scores(data.features, file: dataName)
            guard predictions.columns == 1 else {
                throw CLIError.failure("\(saved.path): predicts \(predictions.columns) values per example; \(dataName) has one target per row")
            }
            let m = try RegressionMetrics(predictions: predictions, targets: Tensor(t))
            console.print(String(format: "RMSE %.6g  R² %.4f  (%d examples)", m.rmse, m.r2, data.count))
            return .success
        }
        guard !data.labels.isEmpty else {
            throw CLIError.failure("\(dataName): has no labels to evaluate against (\(data.featureCount) columns, the model's features only)")
        }
        let labels = try DataInput.align(data, to: names, file: dataName)
        let predictions = saved.classes(try saved.scores(data.features, file: dataName))
        let m = try ClassificationMetrics(predictions: predictions, labels: labels, classes: names.count)
        if arguments.has("json") {
            struct Average: Encodable { var precision: Double, recall: Double, f1: Double }
            struct Line: Encodable {
                var accuracy: Double, examples: Int, correct: Int, macroF1: Double
                var macroAverage: Average, weightedAverage: Average
                /// The classes the averages leave out: no example and no prediction in this data.
                var absentClasses: [String]
                var classes: [String], precision: [Double], recall: [Double], f1: [Double], support: [Int], confusion: [[Int]]
            }
            let k = 0..<m.classes
            console.print(ProgressReporter.json(Line(accuracy: m.accuracy, examples: m.total, correct: m.correct, macroF1: m.macroF1,
                                                     macroAverage: Average(precision: m.macroPrecision, recall: m.macroRecall, f1: m.macroF1),
                                                     weightedAverage: Average(precision: m.weightedPrecision, recall: m.weightedRecall, f1: m.weightedF1),
                                                     absentClasses: m.absentClasses.map { names[$0] },
                                                     classes: names, precision: k.map(m.precision), recall: k.map(m.recall),
                                                     f1: k.map(m.f1), support: k.map(m.support), confusion: m.confusion)))
            return .success
        }
        console.print(Self.text(m, names: names, examplesName: dataName))
        return .success
    }

    /// Accuracy, the per-class table and the confusion matrix as aligned text.
    static func text(_ m: ClassificationMetrics, names: [String], examplesName: String) -> String {
        var lines = ["accuracy \(ProgressReporter.percent(m.accuracy)) (\(m.correct)/\(m.total)) on \(examplesName)", ""]
        func pad(_ s: String, _ w: Int, right: Bool = true) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return right ? fill + s : s + fill
        }
        let absent = Set(m.absentClasses)
        func name(_ c: Int) -> String { c < names.count ? names[c] : String(c) }
        let nameWidth = max(12, (0..<m.classes).map { name($0).count }.max() ?? 0)
        func row(_ label: String, _ p: Double, _ r: Double, _ f: Double, _ support: Int) -> String {
            pad(label, nameWidth, right: false) + "  " + pad(String(format: "%.3f", p), 9) + "  " + pad(String(format: "%.3f", r), 6)
                + "  " + pad(String(format: "%.3f", f), 6) + "  " + pad(String(support), 7)
        }
        lines.append(pad("class", nameWidth, right: false) + "  precision  recall      F1  support")
        for c in 0..<m.classes {
            if absent.contains(c) {
                lines.append(pad(name(c), nameWidth, right: false) + "  " + pad("—", 9) + "  " + pad("—", 6) + "  " + pad("—", 6)
                             + "  " + pad("0", 7) + "  (no examples, never predicted: not averaged)")
            } else {
                lines.append(row(name(c), m.precision(c), m.recall(c), m.f1(c), m.support(c)))
            }
        }
        lines.append(row("macro avg", m.macroPrecision, m.macroRecall, m.macroF1, m.total))
        lines.append(row("weighted avg", m.weightedPrecision, m.weightedRecall, m.weightedF1, m.total))
        if !absent.isEmpty {
            lines.append("averages over the \(m.presentClasses.count) classes present in the labels or predictions; "
                         + "\(absent.count) of the model's \(m.classes) classes \(absent.count == 1 ? "is" : "are") absent")
        }
        lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
        let cellWidth = max(5, String(m.confusion.flatMap { $0 }.max() ?? 0).count + 1, names.map { min($0.count, 8) }.max() ?? 0) + 1
        lines.append(pad("", nameWidth) + (0..<m.classes).map { pad(String(name($0).prefix(8)), cellWidth) }.joined())
        for r in 0..<m.classes {
            lines.append(pad(name(r), nameWidth, right: false) + m.confusion[r].map { pad(String($0), cellWidth) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

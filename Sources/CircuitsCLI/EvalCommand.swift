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
    static let details = "An MNIST-style directory is evaluated on its test files (t10k-*)."

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let console = context.console
        let saved = try SavedModel.load(arguments)
        let loaded = try DataInput.load(arguments)
        let data = loaded.test ?? loaded.train
        let dataName = arguments.string("data")!
        let names = saved.file.classNames
        guard !saved.file.loss.isRegression else {
            guard let t = data.targets else { throw CLIError.failure("\(dataName): needs numeric labels for a regression model") }
            let m = try RegressionMetrics(predictions: try saved.file.model.predict(try saved.inputs(data.features, file: dataName)), targets: Tensor(t))
            console.print(String(format: "RMSE %.6g  R² %.4f  (%d examples)", m.rmse, m.r2, data.count))
            return .success
        }
        guard !data.labels.isEmpty else { throw CLIError.failure("\(dataName): has no labels to evaluate against") }
        let labels = try DataInput.align(data, to: names, file: dataName)
        let predictions = try saved.file.model.predictClasses(try saved.inputs(data.features, file: dataName))
        let m = try ClassificationMetrics(predictions: predictions, labels: labels, classes: names.count)
        if arguments.has("json") {
            struct Line: Encodable {
                var accuracy: Double, examples: Int, correct: Int, macroF1: Double
                var classes: [String], precision: [Double], recall: [Double], f1: [Double], support: [Int], confusion: [[Int]]
            }
            let k = 0..<m.classes
            console.print(ProgressReporter.json(Line(accuracy: m.accuracy, examples: m.total, correct: m.correct, macroF1: m.macroF1,
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
        let nameWidth = max(5, names.map(\.count).max() ?? 5)
        func pad(_ s: String, _ w: Int, right: Bool = true) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return right ? fill + s : s + fill
        }
        lines.append(pad("class", nameWidth, right: false) + "  precision  recall      F1  support")
        for c in 0..<m.classes {
            lines.append(pad(names[c], nameWidth, right: false) + "  " + pad(String(format: "%.3f", m.precision(c)), 9)
                         + "  " + pad(String(format: "%.3f", m.recall(c)), 6) + "  " + pad(String(format: "%.3f", m.f1(c)), 6)
                         + "  " + pad(String(m.support(c)), 7))
        }
        lines.append(pad("macro", nameWidth, right: false) + "  " + pad("", 9) + "  " + pad("", 6) + "  "
                     + pad(String(format: "%.3f", m.macroF1), 6) + "  " + pad(String(m.total), 7))
        lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
        let cellWidth = max(5, String(m.confusion.flatMap { $0 }.max() ?? 0).count + 1, names.map { min($0.count, 8) }.max() ?? 0) + 1
        lines.append(pad("", nameWidth) + names.map { pad(String($0.prefix(8)), cellWidth) }.joined())
        for r in 0..<m.classes {
            lines.append(pad(names[r], nameWidth, right: false) + m.confusion[r].map { pad(String($0), cellWidth) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

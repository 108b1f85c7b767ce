import Datasets
import Foundation
import Layers
import Tensor

/// `circuits predict`: one line per input row — the predicted class, or with `--proba` a CSV of class
/// probabilities (softmax of the scores; the sigmoid for one-output binary models).
enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "predict with a saved model: one line per row, or CSV probabilities"
    static var options: [OptionSpec] {
        [OptionSpec("model", value: "FILE", help: "model written by 'circuits train'")] + DataInput.options(test: false)
            + [OptionSpec("proba", help: "print a CSV: predicted class, then one probability column per class")]
    }
    static let details = """
    A CSV whose column count equals the model's feature count is read as unlabelled (every column a
    feature); otherwise --label-column (default: last) is skipped. A CSV with a header is matched to the
    model by column name when the model knows its feature names (the label column, if present, is
    skipped); a missing or extra column is an error naming it. A LIBSVM file is read at the model's width;
    an IDX or NPY features file needs no labels file. Rows with NaN or ±Inf features are an error naming
    the row (--nan drop leaves them out, with a warning listing them). Probabilities of hinge-loss models
    are the softmax of their scores: a ranking, not calibrated probabilities.
    """

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let console = context.console
        let saved = try SavedModel.load(arguments)
        let loaded = try DataInput.load(arguments, expected: saved.expected, labelsOptional: true)
        DataInput.report(loaded.warnings, console: console)
        let data = loaded.test ?? loaded.train
        let dataName = arguments.string("data") ?? ""
        let scores = try saved.scores(data.features, file: dataName)
        let names = saved.file.classNames
        var out = ""
        if saved.file.loss.isRegression {
            for r in 0..<scores.rows { out += (0..<scores.columns).map { "\(scores[r, $0])" }.joined(separator: ",") + "\n" }
            console.write(out)
            return .success
        }
        let classes = saved.classes(scores)
        if arguments.has("proba") {
            out += "class," + names.map(csvField).joined(separator: ",") + "\n"
            for r in 0..<scores.rows {
                let p = probabilities(scores, row: r)
                out += csvField(names[classes[r]]) + "," + p.map { String(format: "%.6f", $0) }.joined(separator: ",") + "\n"
            }
        } else {
            for c in classes { out += names[c] + "\n" }
        }
        console.write(out)
        return .success
    }

    /// Class probabilities of row `r` (scores checked free of NaN): the softmax, in Double; a +Inf score
    /// takes all the probability (shared among equal ones), as the limit of the softmax does.
    static func probabilities(_ s: Tensor<Float>, row r: Int) -> [Double] {
        if s.columns == 1 {
            let p = 1 / (1 + Foundation.exp(-Double(s[r, 0])))
            return [1 - p, p]
        }
        let v = (0..<s.columns).map { Double(s[r, $0]) }
        let top = v.max() ?? 0
        if top == .infinity {
            let winners = Double(v.filter { $0 == .infinity }.count)
            return v.map { $0 == .infinity ? 1 / winners : 0 }
        }
        if top == -.infinity { return v.map { _ in 1 / Double(v.count) } }
        let e = v.map { Foundation.exp($0 - top) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

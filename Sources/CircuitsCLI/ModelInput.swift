import Datasets
import Foundation
import Layers
import Tensor

/// A saved model with the preprocessing it was trained behind, as `eval` and `predict` use it.
///
/// A model file is input like any other: `load` checks that its parts agree (classes and output width,
/// preprocessing and input width, stored feature names, finite weights) before anything is computed
/// with it, so a damaged or hand-edited file is one line naming the file and the fault, never a trap.
struct SavedModel {
    var file: ModelFile<Float>
    var preprocessor: Preprocessor?
    var path: String
    /// The training file's feature names, in the model's order, when it had a header.
    var featureNames: [String]?
    /// The training file's label column name, when it had a header.
    var labelName: String?

    /// Reads `--model`: a missing file is one line naming it; a damaged one names the file and the fault.
    static func load(_ args: ParsedArguments) throws -> SavedModel {
        guard let path = args.string("model") else { throw CLIError.usage("--model is required", command: args.command) }
        try DataInput.requireReadable(path)
        let container = try ModelFileCheck.read(URL(fileURLWithPath: path))
        if container.metadata["circuits.format"] == CharacterLanguageModel<Float>.formatName {
            throw CLIError.failure("\(path): a character language model written by 'circuits lm train', not a classifier or regressor; "
                                   + "generate text from it with 'circuits lm sample --model \(path)'")
        }
        let file = try ModelFile<Float>.decode(container)
        var preprocessor: Preprocessor? = nil
        if let json = file.extra["preprocessing"] {
            do {
                preprocessor = try JSONDecoder().decode(Preprocessor.self, from: Data(json.utf8))
            } catch {
                throw CLIError.failure("\(path): metadata \"preprocessing\" is invalid: \(oneLine(error))")
            }
        }
        var saved = SavedModel(file: file, preprocessor: preprocessor, path: path)
        try saved.validate()   // the network and its preprocessing first: the feature names are checked against them
        if let json = file.extra["features"] {
            guard let names = try? JSONDecoder().decode([String].self, from: Data(json.utf8)), names.count == saved.rawInputs else {
                throw CLIError.failure("\(path): metadata \"features\" is invalid: expected a JSON array of \(saved.rawInputs) feature names")
            }
            saved.featureNames = names
        }
        saved.labelName = file.extra["label"]
        try saved.checkImageShape(args)
        return saved
    }

    /// The checks every use of the model relies on.
    func validate() throws {
        let model = file.model
        guard model.outputShape.count == 1 else {
            throw CLIError.failure("\(path): the network's output per example has shape \(model.outputShape); a classifier or regressor gives a vector of scores")
        }
        if let preprocessor, preprocessor.outputDimension != model.inputCount {
            throw CLIError.failure("\(path): its preprocessing gives \(preprocessor.outputDimension) features, but the network reads \(model.inputCount)")
        }
        if !file.loss.isRegression {
            let names = file.classNames
            guard names.count >= 2 else {
                throw CLIError.failure("\(path): a classifier needs at least two classes; this file lists \(names.count) (\(names.joined(separator: ", ")))")
            }
            let outputs = file.loss.outputs(classes: names.count)
            guard model.outputCount == outputs else {
                throw CLIError.failure("\(path): \(names.count) classes with \(file.loss) loss need \(outputs) outputs, but the network has \(model.outputCount)")
            }
        }
        for p in model.parameters where !p.variable.value.isFinite {
            throw CLIError.failure("\(path): parameter \(p.name) holds NaN or ±Inf; the model cannot predict")
        }
    }

    /// `--image-shape` against the network's input: an image (or sequence) model reads the rows in its
    /// own shape, so a different C×H×W with the same number of values would be silently ignored.
    /// A network that reads vectors takes the rows flat whatever their shape.
    /// - Throws: `CLIError.usage` naming both shapes.
    func checkImageShape(_ args: ParsedArguments) throws {
        guard let text = args.string("image-shape") else { return }
        let shape = try ImageOptions.shape(text, command: args.command)
        let input = file.model.inputShape
        // Leading 1s do not change the layout ([1, 28, 28] and [28, 28] read the same values alike).
        func trimmed(_ s: [Int]) -> ArraySlice<Int> { s.drop { $0 == 1 } }
        guard input.count >= 2, trimmed(shape) != trimmed(input) else { return }
        let dims = { (s: [Int]) in s.map(String.init).joined(separator: "×") }
        throw CLIError.usage("--image-shape \(dims(shape)) contradicts the model \(path), which reads examples of shape \(dims(input)); "
                             + "give --image-shape \(dims(input)) or leave it out", command: args.command)
    }

    /// Raw features the model expects (before preprocessing).
    var rawInputs: Int { preprocessor?.inputDimension ?? file.model.inputCount }

    /// What a data file must hold for this model: its features (by name when known) and label column.
    var expected: ExpectedColumns {
        ExpectedColumns(featureCount: rawInputs, featureNames: featureNames, labelName: labelName)
    }

    /// The model's input for raw features `x`.
    func inputs(_ x: Tensor<Float>, file dataFile: String) throws -> Tensor<Float> {
        guard x.columns == rawInputs else {
            throw CLIError.failure("\(dataFile): has \(x.columns) features per row; the model \(path) expects \(rawInputs)")
        }
        try DataChecks.checkTokenIDs(x, embedding: file.model.layers.first?.spec.configuration as? EmbeddingConfiguration, name: dataFile)
        let transformed = try preprocessor?.transform(x) ?? x
        if let row = firstNonFiniteRow(transformed) {
            throw CLIError.failure("\(dataFile): row \(row + 1): the features overflow Float after the model's \(preprocessor?.kind.rawValue ?? "") "
                                   + "preprocessing (values far outside the training data's range?)")
        }
        return transformed
    }

    /// The model's scores for raw features `x`, with every row checked: a finite model on finite input
    /// can still overflow (inputs far outside the training range), and a NaN score must never be printed
    /// as a prediction.
    func scores(_ x: Tensor<Float>, file dataFile: String) throws -> Tensor<Float> {
        let s = try file.model.predict(try inputs(x, file: dataFile))
        let k = s.columns
        for r in 0..<s.rows where (0..<k).contains(where: { s[r, $0].isNaN }) {
            throw CLIError.failure("\(dataFile): row \(r + 1): the model's scores are NaN (they overflow for features this far outside the training data's range)")
        }
        return s
    }

    /// Class indices from scores (checked by `scores`): the sigmoid's side for a one-output binary
    /// model, the largest score otherwise (the first of equal ones, so ±Inf scores still decide).
    func classes(_ s: Tensor<Float>) -> [Int] {
        let k = s.columns
        return (0..<s.rows).map { r in
            if k == 1 { return s[r, 0] > 0 ? 1 : 0 }
            var best = 0
            for c in 1..<max(k, 1) where s[r, c] > s[r, best] { best = c }
            return best
        }
    }

    /// The index of the first row holding NaN or ±Inf.
    func firstNonFiniteRow(_ x: Tensor<Float>) -> Int? {
        guard x.rank == 2, x.columns > 0 else { return nil }
        return x.withUnsafeBufferPointer { p in p.firstIndex { !$0.isFinite }.map { $0 / x.columns } }
    }
}

import Datasets
import Foundation
import Layers
import Tensor

/// A saved model with the preprocessing it was trained behind, as `eval` and `predict` use it.
struct SavedModel {
    var file: ModelFile<Float>
    var preprocessor: Preprocessor?
    var path: String

    /// Reads `--model`: a missing file is one line naming it; a damaged one names the file and the fault.
    static func load(_ args: ParsedArguments) throws -> SavedModel {
        guard let path = args.string("model") else { throw CLIError.usage("--model is required", command: args.command) }
        try DataInput.requireReadable(path)
        let file = try ModelFile<Float>.read(from: URL(fileURLWithPath: path))
        var preprocessor: Preprocessor? = nil
        if let json = file.extra["preprocessing"] {
            do {
                preprocessor = try JSONDecoder().decode(Preprocessor.self, from: Data(json.utf8))
            } catch {
                throw CLIError.failure("\(path): metadata \"preprocessing\" is invalid: \(oneLine(error))")
            }
        }
        return SavedModel(file: file, preprocessor: preprocessor, path: path)
    }

    /// Raw features the model expects (before preprocessing).
    var rawInputs: Int? { preprocessor?.inputDimension ?? file.model.inputCount }

    /// The model's input for raw features `x`.
    func inputs(_ x: Tensor<Float>, file dataFile: String) throws -> Tensor<Float> {
        if let expected = rawInputs, x.columns != expected {
            throw CLIError.failure("\(dataFile): has \(x.columns) features per row; the model \(path) expects \(expected)")
        }
        return try preprocessor?.transform(x) ?? x
    }
}

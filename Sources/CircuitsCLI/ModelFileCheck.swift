import Datasets
import Foundation
import Layers
import Tensor

/// Size checks on a model file's architecture before the network is built from it.
///
/// Building a network allocates every layer's weights from the architecture's numbers alone — the
/// tensors are read into them afterwards — so a file of a few hundred bytes that claims a dense layer of
/// 10⁶ × 10⁶ weights, or an input shape whose product overflows, would make `ModelFile.decode` allocate
/// terabytes or trap on the overflow before it could notice that the tensors are missing. These checks
/// come first: every shape along the network must have a product within BLAS's 32-bit sizes, and a dense
/// layer's weights must be no more than the file actually stores. (Other layer kinds are covered by the
/// shape checks; their own parameter counts are known only to their configurations.)
enum ModelFileCheck {
    /// BLAS's sizes are 32-bit (Debian's OpenBLAS), so no example or layer may exceed this many scalars.
    static let limit = Int(Int32.max)

    /// Reads the safetensors container of a model file or checkpoint and checks its architecture.
    /// - Throws: `SafeTensorsError` for a damaged container, `CLIError.failure` naming the file and the
    ///   layer whose sizes are impossible.
    static func read(_ url: URL) throws -> SafeTensorsFile {
        let file = try SafeTensorsFile.read(from: url)
        try check(file)
        return file
    }

    /// Checks `file`'s architecture metadata; entries it cannot parse are left for `ModelFile.decode`,
    /// which reports them with their decoding error.
    static func check(_ file: SafeTensorsFile) throws {
        guard let json = file.metadata["architecture"] else { return }
        var stored = 0
        for (_, tensor) in file.tensors {
            stored = stored.addingReportingOverflow(tensor.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }).partialValue
        }
        let name = file.fileName
        switch file.metadata["circuits.format"] {
        case "2":
            guard let architecture = try? JSONDecoder().decode(Architecture.self, from: Data(json.utf8)) else { return }
            try check(architecture, name: name, stored: stored)
        case "1":
            // Format 1: a list of one-key objects, {"dense": {"inputs": …, "outputs": …}} for dense layers;
            // the first dense layer's inputs are the model's, later ones read the previous outputs.
            guard let layers = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else { return }
            var width: Int? = nil
            for (i, layer) in layers.enumerated() {
                guard let d = layer["dense"] as? [String: Any], let inputs = d["inputs"] as? Int, let outputs = d["outputs"] as? Int else { continue }
                let reads = width ?? inputs
                _ = try product([reads], "layer \(i)'s input", name: name)
                try dense(reads, outputs, layer: i, name: name, stored: stored)
                width = outputs
            }
        default:
            return
        }
    }

    /// Checks the sizes along an architecture: every shape's product within `limit`, and each dense
    /// layer's weights within `limit` and, for a file, within the `stored` values it holds.
    /// - Throws: `CLIError.failure` naming `name` (the file, or the `--model` text) and the layer.
    static func check(_ architecture: Architecture, name: String, stored: Int?) throws {
        var shape = architecture.input
        _ = try product(shape, "the model's input", name: name)
        for (i, spec) in architecture.layers.enumerated() {
            // A configuration that refuses its input is reported when the model is built, naming the layer.
            guard let out = try? spec.configuration.outputShape(for: shape) else { return }
            if spec.configuration is DenseConfiguration, let outputs = out.first {
                try dense(shape.reduce(1, *), outputs, layer: i, name: name, stored: stored)
            } else if let count = spec.configuration.parameterCount(for: shape) {
                try parameters(count, layer: i, spec: spec, name: name, stored: stored)
            }
            _ = try product(out, "layer \(i)'s output (\(spec.description))", name: name)
            shape = out
        }
    }

    static func product(_ shape: [Int], _ what: String, name: String) throws -> Int {
        var p = 1
        for d in shape {
            let (r, overflow) = p.multipliedReportingOverflow(by: d)
            guard d > 0, !overflow, r <= limit else {
                throw CLIError.failure("\(name): \(what) has shape \(shape); every dimension must be positive and the product at most \(limit)")
            }
            p = r
        }
        return p
    }

    static func dense(_ inputs: Int, _ outputs: Int, layer: Int, name: String, stored: Int?) throws {
        let (weights, overflow) = inputs.multipliedReportingOverflow(by: outputs)
        guard outputs > 0, !overflow, weights <= limit else {
            throw CLIError.failure("\(name): layer \(layer) is a dense layer of \(inputs) × \(outputs) weights, more than BLAS's \(limit)")
        }
        if let stored, weights > stored {
            throw CLIError.failure("\(name): layer \(layer) is a dense layer of \(inputs) × \(outputs) weights, more than the \(stored) values the file stores")
        }
    }

    /// A layer that counts its own parameters (`LayerConfiguration.parameterCount(for:)`): within BLAS's
    /// sizes and, for a file, within what the file stores.
    static func parameters(_ count: Int, layer: Int, spec: LayerSpec, name: String, stored: Int?) throws {
        guard count <= limit else {
            throw CLIError.failure("\(name): layer \(layer) (\(spec.description)) has \(count == Int.max ? "more than \(Int.max)" : "\(count)") parameters, more than BLAS's \(limit)")
        }
        if let stored, count > stored {
            throw CLIError.failure("\(name): layer \(layer) (\(spec.description)) has \(count) parameters, more than the \(stored) values the file stores")
        }
    }
}

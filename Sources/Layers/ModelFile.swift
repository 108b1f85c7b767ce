import Foundation
import Tensor

/// Why a model file could not be saved or loaded. Every case names the file.
///
/// Tensor-level problems (a missing weight, a wrong shape or precision, a damaged container) surface as
/// the `SafeTensorsError` that `SafeTensorsFile.require(_:shape:)` throws, which also names the file.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A metadata entry every model file has is absent (the file is a safetensors file, but not one of ours).
    case missingMetadata(file: String, key: String)
    /// A metadata entry does not decode (`reason` says what the decoder found).
    case invalidMetadata(file: String, key: String, reason: String)
    /// The file holds a tensor the architecture has no place for.
    case unexpectedTensor(file: String, tensor: String)
    /// An extra metadata key collides with one the model file itself writes.
    case reservedMetadataKey(file: String, key: String)

    public var description: String {
        switch self {
        case let .missingMetadata(file, key):
            return "\(file): not a Circuits model file (no \"\(key)\" in the safetensors metadata)"
        case let .invalidMetadata(file, key, reason):
            return "\(file): metadata \"\(key)\" is invalid: \(reason)"
        case let .unexpectedTensor(file, tensor):
            return "\(file): tensor \"\(tensor)\" is not a parameter of the stored architecture"
        case let .reservedMetadataKey(file, key):
            return "\(file): metadata key \"\(key)\" is reserved for the model file itself"
        }
    }
}

/// A trained classifier (or regressor) as stored on disk: weights as safetensors tensors named by
/// parameter ("0.weight", "0.bias", …), everything needed to rebuild and use the model in `__metadata__`.
///
/// The metadata keys are `circuits.format` (the file-format version), `architecture` (the layer specs
/// as JSON), `loss`, `classes` (label names as a JSON array), `training` (the `TrainingConfiguration`
/// as JSON, when known), plus any `extra` strings — the CLI stores its preprocessing there. Because the
/// weights are plain safetensors, PyTorch or numpy read them directly (`scripts/model_interop.py`).
///
/// ```swift
/// try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: names).write(to: url)
/// let loaded = try ModelFile.read(from: url)
/// let classes = try loaded.model.predictClasses(x)
/// ```
public struct ModelFile {
    /// The format version written in `circuits.format`.
    public static let formatVersion = "1"
    /// Metadata keys the file itself uses; `extra` may not use them.
    public static let reservedKeys: Set<String> = ["circuits.format", "architecture", "loss", "classes", "training"]

    public var model: Sequential<Float>
    public var loss: LossFunction
    /// Class index → label text (empty for regression).
    public var classNames: [String]
    /// How the model was trained, when known.
    public var configuration: TrainingConfiguration?
    /// Free-form strings stored alongside (preprocessing JSON, the data set's name, …).
    public var extra: [String: String]

    public init(model: Sequential<Float>, loss: LossFunction, classNames: [String],
                configuration: TrainingConfiguration? = nil, extra: [String: String] = [:]) {
        self.model = model
        self.loss = loss
        self.classNames = classNames
        self.configuration = configuration
        self.extra = extra
    }

    /// The safetensors container: one tensor per parameter, the rest in metadata.
    /// - Throws: `ModelFileError.reservedMetadataKey` when `extra` uses a reserved key.
    public func container(fileName: String = "<memory>") throws -> SafeTensorsFile {
        var metadata = extra
        for key in extra.keys where Self.reservedKeys.contains(key) {
            throw ModelFileError.reservedMetadataKey(file: fileName, key: key)
        }
        metadata["circuits.format"] = Self.formatVersion
        metadata["architecture"] = try Self.json(model.specs)
        metadata["loss"] = try Self.json(loss)
        metadata["classes"] = try Self.json(classNames)
        if let configuration { metadata["training"] = try Self.json(configuration) }
        let tensors = model.parameters.map { (name: $0.name, tensor: AnyTensor($0.variable.value)) }
        return SafeTensorsFile(tensors: tensors, metadata: metadata, fileName: fileName)
    }

    /// Writes the model atomically (a crash leaves the old file or the new one, never half of one).
    public func write(to url: URL) throws {
        try container(fileName: url.path).write(to: url)
    }

    /// Reads and validates a model file: the architecture is rebuilt from its specs and every tensor it
    /// needs must be present with exactly the right shape and precision, and nothing else may be there.
    /// - Throws: `SafeTensorsError` (unreadable file, missing tensor, wrong shape) or `ModelFileError`,
    ///   each naming the file.
    public static func read(from url: URL) throws -> ModelFile {
        try decode(try SafeTensorsFile.read(from: url))
    }

    /// Rebuilds a model from a container already in memory (see `read(from:)`).
    public static func decode(_ file: SafeTensorsFile) throws -> ModelFile {
        let name = file.fileName
        func value<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key] else { throw ModelFileError.missingMetadata(file: name, key: key) }
            do {
                return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            } catch {
                throw ModelFileError.invalidMetadata(file: name, key: key, reason: "\(error)")
            }
        }
        guard let format = file.metadata["circuits.format"] else {
            throw ModelFileError.missingMetadata(file: name, key: "circuits.format")
        }
        guard format == formatVersion else {
            throw ModelFileError.invalidMetadata(file: name, key: "circuits.format", reason: "version \(format); this build reads version \(formatVersion)")
        }
        let specs = try value("architecture", as: [LayerSpec].self)
        let loss = try value("loss", as: LossFunction.self)
        let classes = try value("classes", as: [String].self)
        let configuration = file.metadata["training"] == nil ? nil : try value("training", as: TrainingConfiguration.self)
        // Initialization is overwritten below; the seed only has to be valid.
        var rng = SeededRNG(seed: 0)
        let model: Sequential<Float>
        do {
            model = try Sequential<Float>(specs: specs, initializer: .xavier, rng: &rng)
        } catch {
            throw ModelFileError.invalidMetadata(file: name, key: "architecture", reason: "\(error)")
        }
        let parameters = model.parameters
        let needed = Set(parameters.map(\.name))
        for stored in file.names where !needed.contains(stored) {
            throw ModelFileError.unexpectedTensor(file: name, tensor: stored)
        }
        for p in parameters {
            p.variable.value = try file.require(p.name, shape: p.variable.value.shape)
        }
        var extra = file.metadata
        for key in reservedKeys { extra[key] = nil }
        return ModelFile(model: model, loss: loss, classNames: classes, configuration: configuration, extra: extra)
    }

    /// Compact JSON with sorted keys, so equal values give equal metadata strings.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

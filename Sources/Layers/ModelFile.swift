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

/// The architecture of a model as model files store it: the per-example input shape and the layers.
public struct Architecture: Codable, Equatable, Sendable {
    public var input: [Int]
    public var layers: [LayerSpec]

    public init(input: [Int], layers: [LayerSpec]) {
        self.input = input
        self.layers = layers
    }
}

/// A trained classifier (or regressor) as stored on disk — format 2: a safetensors file whose tensors
/// are the model's parameters and layer state in PyTorch's names and layouts (`0.weight` of a dense
/// layer is out×in, as `torch.nn.Linear` holds it; `1.running_mean`, …), and whose `__metadata__` holds
/// everything needed to rebuild and use the model.
///
/// The metadata keys are `circuits.format` ("2"), `architecture` (input shape and the layers' registry
/// kinds and configurations, as JSON), `loss`, `classes` (label names as a JSON array), `training` (the
/// `TrainingConfiguration` as JSON, when known), plus any `extra` strings — the CLI stores its
/// preprocessing there. Because the tensors follow PyTorch's `state_dict`, the same architecture built as
/// a `torch.nn.Sequential` loads them with `load_state_dict(strict=True)` (`scripts/model_interop.py`).
/// Files of format 1 (the first release: dense weights in×out, a closed list of layers) still load.
///
/// ```swift
/// try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: names).write(to: url)
/// let loaded = try ModelFile<Float>.read(from: url)
/// let classes = try loaded.model.predictClasses(x)
/// ```
public struct ModelFile<Scalar: BLASScalar> {
    /// The format version written in `circuits.format`.
    public static var formatVersion: String { "2" }
    /// Metadata keys the file itself uses; `extra` may not use them.
    public static var reservedKeys: Set<String> { ["circuits.format", "architecture", "loss", "classes", "training"] }

    public var model: Sequential<Scalar>
    public var loss: LossFunction
    /// Class index → label text (empty for regression).
    public var classNames: [String]
    /// How the model was trained, when known.
    public var configuration: TrainingConfiguration?
    /// Free-form strings stored alongside (preprocessing JSON, the data set's name, …).
    public var extra: [String: String]

    public init(model: Sequential<Scalar>, loss: LossFunction, classNames: [String],
                configuration: TrainingConfiguration? = nil, extra: [String: String] = [:]) {
        self.model = model
        self.loss = loss
        self.classNames = classNames
        self.configuration = configuration
        self.extra = extra
    }

    /// The model's tensors as files hold them: each parameter (transposed where the layer says so) and
    /// each layer-state tensor, named "<layer index>.<name>". `state` substitutes a snapshot's values
    /// for the model's current ones (a checkpoint writes the snapshot it took).
    static func tensors(of model: Sequential<Scalar>, state: TrainingState<Scalar>? = nil) throws -> [(name: String, tensor: AnyTensor)] {
        var out: [(name: String, tensor: AnyTensor)] = []
        var k = 0
        for (i, layer) in model.layers.enumerated() {
            for p in layer.parameters {
                let value = state?.parameters[k] ?? p.variable.value
                k += 1
                out.append((name: "\(i).\(p.name)", tensor: AnyTensor(p.isTransposedInFiles ? try value.transposed() : value)))
            }
            let layerState = state?.layers[i] ?? layer.state
            for t in layerState.tensors { out.append((name: "\(i).\(t.name)", tensor: AnyTensor(t.tensor))) }
            for c in layerState.counters { out.append((name: "\(i).\(c.name)", tensor: .int64(IntegerTensor(scalar: Int64(c.value))))) }
        }
        return out
    }

    /// The safetensors container: one tensor per parameter and state tensor, the rest in metadata.
    /// - Throws: `ModelFileError.reservedMetadataKey` when `extra` uses a reserved key.
    public func container(fileName: String = "<memory>") throws -> SafeTensorsFile {
        try container(fileName: fileName, state: nil)
    }

    /// The container with a snapshot's parameter and layer-state values (see `tensors(of:state:)`).
    func container(fileName: String, state: TrainingState<Scalar>?) throws -> SafeTensorsFile {
        var metadata = extra
        for key in extra.keys where Self.reservedKeys.contains(key) {
            throw ModelFileError.reservedMetadataKey(file: fileName, key: key)
        }
        metadata["circuits.format"] = Self.formatVersion
        metadata["architecture"] = try Self.json(Architecture(input: model.inputShape, layers: model.specs))
        metadata["loss"] = try Self.json(loss)
        metadata["classes"] = try Self.json(classNames)
        if let configuration { metadata["training"] = try Self.json(configuration) }
        return SafeTensorsFile(tensors: try Self.tensors(of: model, state: state), metadata: metadata, fileName: fileName)
    }

    /// Writes the model atomically (a crash leaves the old file or the new one, never half of one).
    public func write(to url: URL) throws {
        try container(fileName: url.path).write(to: url)
    }

    /// Reads and validates a model file: the architecture is rebuilt from its specs and every tensor it
    /// needs must be present with exactly the right shape (and precision `Scalar`, or the other one,
    /// converted), and nothing else may be there.
    /// - Throws: `SafeTensorsError` (unreadable file, missing tensor, wrong shape) or `ModelFileError`,
    ///   each naming the file.
    public static func read(from url: URL) throws -> ModelFile {
        try decode(try SafeTensorsFile.read(from: url))
    }

    /// Rebuilds a model from a container already in memory (see `read(from:)`).
    public static func decode(_ file: SafeTensorsFile) throws -> ModelFile {
        let name = file.fileName
        guard let format = file.metadata["circuits.format"] else {
            throw ModelFileError.missingMetadata(file: name, key: "circuits.format")
        }
        let architecture: Architecture
        let legacy: Bool
        switch format {
        case formatVersion:
            architecture = try metadata(file, "architecture", as: Architecture.self)
            legacy = false
        case "1":
            architecture = try LegacyModelFile.architecture(try metadata(file, "architecture", as: [LegacyModelFile.Spec].self), file: name)
            legacy = true
        default:
            throw ModelFileError.invalidMetadata(file: name, key: "circuits.format",
                                                 reason: "version \(format); this build reads versions 1 and \(formatVersion)")
        }
        let loss = try metadata(file, "loss", as: LossFunction.self)
        let classes = try metadata(file, "classes", as: [String].self)
        // Predictions and labels are matched to classes by name, so two classes may not share one.
        var firstPosition: [String: Int] = [:]
        for (i, c) in classes.enumerated() {
            if let j = firstPosition[c] {
                throw ModelFileError.invalidMetadata(file: name, key: "classes", reason: "class \(i) repeats the name \(c.debugDescription) of class \(j); each class needs its own name")
            }
            firstPosition[c] = i
        }
        var configuration: TrainingConfiguration? = nil
        if file.metadata["training"] != nil {
            configuration = legacy ? try metadata(file, "training", as: LegacyModelFile.Configuration.self).configuration
                                   : try metadata(file, "training", as: TrainingConfiguration.self)
        }
        // Initialization is overwritten below; the seed only has to be valid.
        var rng = SeededRNG(seed: 0)
        let model: Sequential<Scalar>
        do {
            model = try Sequential<Scalar>(inputShape: architecture.input, specs: architecture.layers, initializer: .xavier, rng: &rng)
        } catch {
            throw ModelFileError.invalidMetadata(file: name, key: "architecture", reason: "\(error)")
        }
        try load(file, into: model, transposing: !legacy)
        var extra = file.metadata
        for key in reservedKeys { extra[key] = nil }
        return ModelFile(model: model, loss: loss, classNames: classes, configuration: configuration, extra: extra)
    }

    /// Sets `model`'s parameters and layer-state tensors from `file`, which must hold exactly those
    /// tensors (`transposing`: undo `isTransposedInFiles`).
    static func load(_ file: SafeTensorsFile, into model: Sequential<Scalar>, transposing: Bool) throws {
        var needed = Set<String>()
        for (i, layer) in model.layers.enumerated() {
            for p in layer.parameters {
                let key = "\(i).\(p.name)", shape = p.variable.value.shape
                needed.insert(key)
                if transposing && p.isTransposedInFiles {
                    p.variable.value = try tensor(file, key, shape: [shape[1], shape[0]]).transposed()
                } else {
                    p.variable.value = try tensor(file, key, shape: shape)
                }
            }
            var state = layer.state
            guard !state.tensors.isEmpty || !state.counters.isEmpty else { continue }
            for k in state.tensors.indices {
                let key = "\(i).\(state.tensors[k].name)"
                needed.insert(key)
                state.tensors[k].tensor = try tensor(file, key, shape: state.tensors[k].tensor.shape)
            }
            for k in state.counters.indices {
                let key = "\(i).\(state.counters[k].name)"
                needed.insert(key)
                state.counters[k].value = try counter(file, key)
            }
            try layer.restore(state)
        }
        for stored in file.names where !needed.contains(stored) {
            throw ModelFileError.unexpectedTensor(file: file.fileName, tensor: stored)
        }
    }

    /// Tensor `name` of `shape` as `Scalar`, converting from the other precision if stored that way.
    static func tensor(_ file: SafeTensorsFile, _ name: String, shape: [Int]) throws -> Tensor<Scalar> {
        if let stored = file[name], stored.tensor(as: Scalar.self) == nil {
            let converted: Tensor<Scalar>? = stored.tensor(as: Float.self)?.converted(to: Scalar.self)
                ?? stored.tensor(as: Double.self)?.converted(to: Scalar.self)
            if let converted {
                guard converted.shape == shape else {
                    throw SafeTensorsError.shapeMismatch(file: file.fileName, tensor: name, expected: shape, found: converted.shape)
                }
                return converted
            }
        }
        return try file.require(name, shape: shape, as: Scalar.self)
    }

    /// Counter `name`: an `I64` scalar (shape `[]`, as PyTorch saves `num_batches_tracked`), not negative.
    static func counter(_ file: SafeTensorsFile, _ name: String) throws -> Int {
        guard let stored = file[name] else { throw SafeTensorsError.missingTensor(file: file.fileName, tensor: name) }
        guard let integers = stored.integers else {
            throw SafeTensorsError.dtypeMismatch(file: file.fileName, tensor: name, expected: "I64", found: stored.dtype)
        }
        guard integers.shape == [] else {
            throw SafeTensorsError.shapeMismatch(file: file.fileName, tensor: name, expected: [], found: integers.shape)
        }
        guard integers.scalars[0] >= 0 else {
            throw SafeTensorsError.invalidEntry(file: file.fileName, tensor: name, reason: "counter \(integers.scalars[0]) is negative")
        }
        return Int(integers.scalars[0])
    }

    /// Metadata entry `key` decoded as JSON.
    static func metadata<T: Decodable>(_ file: SafeTensorsFile, _ key: String, as _: T.Type) throws -> T {
        guard let text = file.metadata[key] else { throw ModelFileError.missingMetadata(file: file.fileName, key: key) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw ModelFileError.invalidMetadata(file: file.fileName, key: key, reason: "\(error)")
        }
    }

    /// Compact JSON with sorted keys, so equal values give equal metadata strings.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

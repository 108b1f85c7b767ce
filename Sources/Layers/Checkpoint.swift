import Foundation

/// A resumable snapshot of a training run in one file: a model file (architecture, classes, settings,
/// the weights and layer state at the snapshot, so a checkpoint also opens with `circuits eval`) plus the
/// rest of the `TrainingState` — the optimizer's buffers as tensors `optimizer.<buffer>.<parameter
/// index>`, and in the metadata the epochs completed, the shuffling, augmentation and layer generators, the epoch
/// reports and the run's settings fingerprint.
///
/// Written atomically (temporary file, fsync, rename), so a run killed at any moment — even with
/// SIGKILL — leaves the previous checkpoint intact. The same bytes carry a data-parallel job's start
/// state from rank 0 to the other ranks (`encode()`, `decode(_:)`).
public struct Checkpoint<Scalar: BLASScalar> {
    /// The model file the checkpoint extends; its model fixes the architecture.
    public var file: ModelFile<Scalar>
    /// The snapshot.
    public var state: TrainingState<Scalar>
    /// The settings that must match to resume (the caller's description of everything that changes the
    /// arithmetic); compared as text.
    public var fingerprint: String

    static var prefix: String { "checkpoint." }

    public init(file: ModelFile<Scalar>, state: TrainingState<Scalar>, fingerprint: String) {
        self.file = file
        self.state = state
        self.fingerprint = fingerprint
    }

    /// The container: the model file's tensors at the snapshot, the optimizer's buffers, the rest as metadata.
    public func container(fileName: String = "<memory>") throws -> SafeTensorsFile {
        var c = try file.container(fileName: fileName, state: state)
        let p = Self.prefix
        if let optimizer = state.optimizer {
            for (key, buffers) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
                for (i, b) in buffers.enumerated() { c.tensors.append((name: "optimizer.\(key).\(i)", tensor: AnyTensor(b))) }
            }
            c.metadata[p + "optimizer.steps"] = String(optimizer.steps)
            c.metadata[p + "optimizer.buffers"] = try ModelFile<Scalar>.json(optimizer.buffers.mapValues(\.count))
            if !optimizer.scalars.isEmpty { c.metadata[p + "optimizer.scalars"] = try ModelFile<Scalar>.json(optimizer.scalars) }
        }
        c.metadata[p + "epoch"] = String(state.completedEpochs)
        c.metadata[p + "fingerprint"] = fingerprint
        c.metadata[p + "rng"] = try ModelFile<Scalar>.json(state.shuffling)
        if let a = state.augmentation { c.metadata[p + "augmentation-rng"] = try ModelFile<Scalar>.json(a) }
        c.metadata[p + "generators"] = try ModelFile<Scalar>.json(state.layers.map(\.generators))
        c.metadata[p + "history"] = try ModelFile<Scalar>.json(state.history)
        return c
    }

    /// Writes the checkpoint to `url` atomically.
    public func write(to url: URL) throws { try container(fileName: url.path).write(to: url) }

    /// The checkpoint's bytes (what `write` puts in the file).
    public func encode() throws -> [UInt8] { try container().encode() }

    /// Reads a checkpoint written by `write`.
    /// - Throws: `SafeTensorsError`/`ModelFileError` naming the file, including a missing or damaged
    ///   checkpoint entry (`ModelFileError.missingMetadata` when the file is a model but no checkpoint).
    public static func read(from url: URL) throws -> Checkpoint {
        try decode(try SafeTensorsFile.read(from: url))
    }

    /// A checkpoint from its bytes (see `encode`).
    public static func decode(_ bytes: [UInt8], fileName: String = "<memory>") throws -> Checkpoint {
        try decode(try SafeTensorsFile.decode(bytes, fileName: fileName))
    }

    /// A checkpoint from its container.
    public static func decode(_ container: SafeTensorsFile) throws -> Checkpoint {
        var c = container
        let p = prefix
        func entry<T: Decodable>(_ key: String, as type: T.Type) throws -> T { try ModelFile<Scalar>.metadata(c, p + key, as: type) }
        let epoch = try entry("epoch", as: Int.self)
        guard let fingerprint = c.metadata[p + "fingerprint"] else { throw ModelFileError.missingMetadata(file: c.fileName, key: p + "fingerprint") }
        let shuffling = try entry("rng", as: SeededRNG.self)
        let augmentation = c.metadata[p + "augmentation-rng"] == nil ? nil : try entry("augmentation-rng", as: SeededRNG.self)
        let generators = try entry("generators", as: [[SeededRNG]].self)
        let history = try entry("history", as: [EpochReport].self)
        var optimizer: OptimizerState<Scalar>? = nil
        if c.metadata[p + "optimizer.steps"] != nil {
            let steps = try entry("optimizer.steps", as: Int.self)
            let counts = try entry("optimizer.buffers", as: [String: Int].self)
            var buffers: [String: [Tensor<Scalar>]] = [:]
            for (key, count) in counts {
                guard count >= 0, count <= c.tensors.count else {
                    throw ModelFileError.invalidMetadata(file: c.fileName, key: p + "optimizer.buffers", reason: "\(count) buffers of \"\(key)\"")
                }
                buffers[key] = try (0..<count).map { i in
                    let name = "optimizer.\(key).\(i)"
                    guard let t = c[name]?.tensor(as: Scalar.self) else { throw SafeTensorsError.missingTensor(file: c.fileName, tensor: name) }
                    return t
                }
            }
            let scalars = c.metadata[p + "optimizer.scalars"] == nil ? [:] : try entry("optimizer.scalars", as: [String: [Double]].self)
            optimizer = OptimizerState(buffers: buffers, steps: steps, scalars: scalars)
        }
        c.tensors.removeAll { $0.name.hasPrefix("optimizer.") }
        for key in c.metadata.keys where key.hasPrefix(p) { c.metadata[key] = nil }
        let file = try ModelFile<Scalar>.decode(c)
        var layers = file.model.layerStates
        guard generators.count == layers.count else {
            throw ModelFileError.invalidMetadata(file: c.fileName, key: p + "generators", reason: "\(generators.count) layers' generators for \(layers.count) layers")
        }
        for i in layers.indices {
            guard generators[i].count == layers[i].generators.count else {
                throw ModelFileError.invalidMetadata(file: c.fileName, key: p + "generators",
                                                     reason: "layer \(i) has \(layers[i].generators.count) generators, the checkpoint \(generators[i].count)")
            }
            layers[i].generators = generators[i]
        }
        let state = TrainingState(parameters: file.model.parameters.map(\.variable.value), layers: layers, optimizer: optimizer,
                                  shuffling: shuffling, augmentation: augmentation, completedEpochs: epoch, history: history)
        return Checkpoint(file: file, state: state, fingerprint: fingerprint)
    }
}

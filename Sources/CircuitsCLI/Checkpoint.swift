import Foundation
import Layers
import Tensor

/// A resumable snapshot of a training run, taken between epochs: the weights, the optimizer's buffers
/// and step count, the shuffling generator, each dropout layer's generator, the epochs completed and
/// their reports.
///
/// It is one safetensors file, written atomically (temporary file, fsync, rename), so a run killed at
/// any moment — even with SIGKILL — leaves the previous checkpoint intact and loses at most the epochs
/// since. Weights are stored like a model file's (so a checkpoint also opens with `circuits eval`);
/// optimizer buffers are the tensors `optimizer.<buffer>.<parameter index>`; the rest is metadata.
/// Resuming restores all of it, so the resumed run performs exactly the arithmetic the uninterrupted run
/// would have, and ends with bit-identical weights.
struct Checkpoint {
    /// Epochs completed when the snapshot was taken.
    var completedEpochs: Int
    /// `TrainOptions.fingerprint` of the run: a resume with other settings is refused.
    var fingerprint: String
    var trainerRNG: SeededRNG
    var dropoutRNGs: [SeededRNG]
    var optimizer: OptimizerState<Float>?
    var history: [EpochReport]

    static let prefix = "checkpoint."

    /// Takes a snapshot of `trainer` (call between epochs).
    init(trainer: Trainer<Float>, fingerprint: String, history: [EpochReport]) {
        completedEpochs = trainer.completedEpochs
        self.fingerprint = fingerprint
        trainerRNG = trainer.rng
        dropoutRNGs = trainer.model.layers.compactMap { ($0 as? Dropout<Float>)?.rng }
        optimizer = trainer.optimizer?.state
        self.history = history
    }

    /// Writes the snapshot and `model` (architecture, classes, preprocessing) to `url`, atomically.
    func write(to url: URL, model: ModelFile) throws {
        var file = try model.container(fileName: url.path)
        if let optimizer {
            for (key, buffers) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
                for (i, b) in buffers.enumerated() { file.tensors.append((name: "optimizer.\(key).\(i)", tensor: AnyTensor(b))) }
            }
            file.metadata[Self.prefix + "optimizer.steps"] = String(optimizer.steps)
            file.metadata[Self.prefix + "optimizer.buffers"] = try Self.json(optimizer.buffers.mapValues(\.count))
        }
        file.metadata[Self.prefix + "epoch"] = String(completedEpochs)
        file.metadata[Self.prefix + "fingerprint"] = fingerprint
        file.metadata[Self.prefix + "rng"] = try Self.json(trainerRNG)
        file.metadata[Self.prefix + "dropout"] = try Self.json(dropoutRNGs)
        file.metadata[Self.prefix + "history"] = try Self.json(history)
        try file.write(to: url)
    }

    /// Reads a checkpoint: the snapshot, and the model with its weights at that point.
    /// - Throws: `SafeTensorsError`/`ModelFileError` naming the file, or `CLIError.failure` when the
    ///   checkpoint's own entries are missing or damaged.
    static func read(from url: URL) throws -> (Checkpoint, ModelFile) {
        var file = try SafeTensorsFile.read(from: url)
        let name = url.path
        func entry<T: Decodable>(_ key: String, as: T.Type) throws -> T {
            guard let text = file.metadata[prefix + key] else {
                throw CLIError.failure("\(name): not a checkpoint (no \"\(prefix + key)\" metadata)")
            }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw CLIError.failure("\(name): checkpoint entry \"\(prefix + key)\" is damaged: \(oneLine(error))")
            }
        }
        let epoch = try entry("epoch", as: Int.self)
        guard let fingerprint = file.metadata[prefix + "fingerprint"] else {
            throw CLIError.failure("\(name): not a checkpoint (no \"\(prefix)fingerprint\" metadata)")
        }
        let rng = try entry("rng", as: SeededRNG.self)
        let dropout = try entry("dropout", as: [SeededRNG].self)
        let history = try entry("history", as: [EpochReport].self)
        var optimizer: OptimizerState<Float>? = nil
        if file.metadata[prefix + "optimizer.steps"] != nil {
            let steps = try entry("optimizer.steps", as: Int.self)
            let counts = try entry("optimizer.buffers", as: [String: Int].self)
            var buffers: [String: [Tensor<Float>]] = [:]
            for (key, count) in counts {
                buffers[key] = try (0..<count).map { i in
                    let tensorName = "optimizer.\(key).\(i)"
                    guard let t = file[tensorName]?.tensor(as: Float.self) else {
                        throw CLIError.failure("\(name): checkpoint lacks optimizer buffer \"\(tensorName)\"")
                    }
                    return t
                }
            }
            optimizer = OptimizerState(buffers: buffers, steps: steps)
        }
        file.tensors.removeAll { $0.name.hasPrefix("optimizer.") }
        for key in file.metadata.keys where key.hasPrefix(prefix) { file.metadata[key] = nil }
        let model = try ModelFile.decode(file)
        let checkpoint = Checkpoint(completedEpochs: epoch, fingerprint: fingerprint, trainerRNG: rng,
                                    dropoutRNGs: dropout, optimizer: optimizer, history: history)
        return (checkpoint, model)
    }

    private init(completedEpochs: Int, fingerprint: String, trainerRNG: SeededRNG, dropoutRNGs: [SeededRNG],
                 optimizer: OptimizerState<Float>?, history: [EpochReport]) {
        self.completedEpochs = completedEpochs
        self.fingerprint = fingerprint
        self.trainerRNG = trainerRNG
        self.dropoutRNGs = dropoutRNGs
        self.optimizer = optimizer
        self.history = history
    }

    /// Puts the snapshot back into a trainer built with the same settings: weights from `model`, then
    /// optimizer state, generators and the epoch counter.
    func restore(into trainer: Trainer<Float>, weights model: Sequential<Float>) throws {
        try trainer.model.copyParameters(from: model)
        if let optimizer { try trainer.optimizer?.restore(optimizer) }
        trainer.rng = trainerRNG
        let dropouts = trainer.model.layers.compactMap { $0 as? Dropout<Float> }
        guard dropouts.count == dropoutRNGs.count else {
            throw CLIError.failure("checkpoint has \(dropoutRNGs.count) dropout generators, the model \(dropouts.count)")
        }
        for (layer, rng) in zip(dropouts, dropoutRNGs) { layer.rng = rng }
        trainer.completedEpochs = completedEpochs
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

import Foundation
import Layers

/// What every rank of a data-parallel job must agree on: named fields (data file, model, seed, batch
/// size, …), compared across ranks before training starts.
///
/// Ranks started with different settings would train different models while exchanging gradients as if
/// they were one, and end with nonsense rather than an error; so the fields are all-gathered and any
/// difference from rank 0 stops the job, naming the rank and the field.
///
/// ```swift
/// var fingerprint = ConfigurationFingerprint()
/// fingerprint.add("data", ConfigurationFingerprint.file(at: path))
/// fingerprint.add(trainer: trainer, data: train)
/// try fingerprint.check(on: mpi)        // every rank; throws on every rank if any differs
/// ```
public struct ConfigurationFingerprint: Equatable, Sendable {
    /// The fields in the order they were added (the first difference found is the one reported).
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Adds (or replaces) a field.
    public mutating func add(_ name: String, _ value: String) {
        if let i = fields.firstIndex(where: { $0.name == name }) { fields[i].value = value } else { fields.append((name, value)) }
    }

    /// Adds what the trainer and its data determine: scalar type, model layers and parameter count, seed,
    /// batch size, the rest of the training configuration, and a digest of the training data as loaded.
    public mutating func add<Scalar: BLASScalar>(trainer: Trainer<Scalar>, data: TrainingData<Scalar>) {
        let c = trainer.configuration
        add("scalar type", "\(Scalar.self)")
        add("model", trainer.model.summary)
        add("parameters", "\(trainer.model.parameterCount)")
        add("loss", "\(trainer.loss)")
        add("seed", "\(c.seed)")
        add("batch size", "\(c.batchSize)")
        add("epochs", "\(c.epochs)")
        add("optimizer", "\(c.optimizer.rawValue) lr \(c.learningRate) momentum \(c.momentum) schedule \(c.schedule)")
        add("regularization", "l2 \(c.regularization.l2) l1 \(c.regularization.l1) clip \(c.clipNorm.map { "\($0)" } ?? "none")")
        add("training data", Self.digest(data))
    }

    /// A file's name and size (`"train.csv, 1234567 bytes"`), or a note that it is missing: enough to
    /// catch ranks pointed at different files without reading them. A directory lists its files' sizes.
    public static func file(at path: String) -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return "\(path) (missing)" }
        let name = URL(fileURLWithPath: path).lastPathComponent
        func size(_ p: String) -> UInt64 { ((try? fm.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.uint64Value ?? 0 }
        if isDirectory.boolValue {
            let entries = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted()
            return name + "/ {" + entries.map { "\($0) \(size(path + "/" + $0))" }.joined(separator: ", ") + "}"
        }
        return "\(name), \(size(path)) bytes"
    }

    /// Shape, class count and a 64-bit hash of the training data as loaded (features and targets), so
    /// ranks whose files have the same name and size but different contents are caught too.
    public static func digest<Scalar: BLASScalar>(_ data: TrainingData<Scalar>) -> String {
        var h = FNV1a()
        data.features.withUnsafeBufferPointer { h.add(UnsafeRawBufferPointer($0)) }
        switch data.targets {
        case let .classes(y): y.withUnsafeBufferPointer { h.add(UnsafeRawBufferPointer($0)) }
        case let .values(v): v.withUnsafeBufferPointer { h.add(UnsafeRawBufferPointer($0)) }
        }
        return "\(data.count)×\(data.features.columns), \(data.classes) classes, hash \(String(h.value, radix: 16))"
    }

    /// Encoded as `name␟value␞` records (unit and record separators cannot occur in the values we add).
    var bytes: [UInt8] { Array(fields.map { "\($0.name)\u{1F}\($0.value)\u{1E}" }.joined().utf8) }

    init(bytes: [UInt8]) {
        for record in String(decoding: bytes, as: UTF8.self).split(separator: "\u{1E}", omittingEmptySubsequences: true) {
            let parts = record.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            add(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// The first field in which `other` (rank `rank`'s) differs from `self` (rank 0's), as an error.
    func mismatch(_ other: ConfigurationFingerprint, rank: Int) -> DistributedError? {
        for f in fields {
            let theirs = other.fields.first { $0.name == f.name }?.value
            if theirs != f.value { return .configurationMismatch(rank: rank, field: f.name, value: theirs ?? "(not set)", rank0Value: f.value) }
        }
        for f in other.fields where !fields.contains(where: { $0.name == f.name }) {
            return .configurationMismatch(rank: rank, field: f.name, value: f.value, rank0Value: "(not set)")
        }
        return nil
    }

    /// All-gathers every rank's fingerprint and compares each with rank 0's. Every rank sees the same
    /// fingerprints, so every rank throws the same error (the job can end cleanly, without an abort).
    /// - Throws: `DistributedError.configurationMismatch` for the lowest rank that differs.
    public func check(on mpi: MPIContext) throws {
        let all = try mpi.allGather(bytes: bytes, what: "configuration check").map(ConfigurationFingerprint.init(bytes:))
        for r in 1..<max(all.count, 1) {
            if let error = all[0].mismatch(all[r], rank: r) { throw error }
        }
    }
}

/// 64-bit FNV-1a over 8-byte words (then the tail bytes): a stable hash — unlike `Hasher`, which is
/// seeded per process and so differs between ranks.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        for i in 0..<words { mix(bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        for i in (words * 8)..<bytes.count { mix(UInt64(bytes[i])) }
    }

    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3
    }
}

import Foundation
import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Integers as a safetensors file stores them with dtype `I64`: PyTorch's int64 buffers, such as a batch
/// norm's `num_batches_tracked` (a scalar, shape `[]`).
public struct IntegerTensor: Equatable, Sendable {
    public let shape: [Int]
    /// Row-major.
    public let scalars: [Int64]

    /// - Throws: `TensorError.shapeMismatch` when `scalars` does not hold one value per element of `shape`.
    public init(shape: [Int], scalars: [Int64]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == scalars.count else {
            throw TensorError.shapeMismatch(op: "IntegerTensor (shape against value count)", lhs: shape, rhs: [scalars.count])
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A scalar (shape `[]`).
    public init(scalar: Int64) {
        shape = []
        scalars = [scalar]
    }
}

/// A tensor of either precision (or of 64-bit integers), as a safetensors file stores it.
public enum AnyTensor: Equatable, Sendable {
    /// Stored as dtype `F32`.
    case float(Tensor<Float>)
    /// Stored as dtype `F64`.
    case double(Tensor<Double>)
    /// Stored as dtype `I64`.
    case int64(IntegerTensor)

    /// Wraps a tensor of a generic precision.
    ///
    /// `Float` and `Double` are the only `BLASScalar` types there are (the protocol names their BLAS
    /// routines), so any other type is a programming error and traps.
    public init<Scalar: BLASScalar>(_ tensor: Tensor<Scalar>) {
        if let t = tensor as? Tensor<Float> {
            self = .float(t)
        } else if let t = tensor as? Tensor<Double> {
            self = .double(t)
        } else {
            preconditionFailure("AnyTensor holds Float or Double tensors; \(Scalar.self) has no safetensors dtype")
        }
    }

    /// The safetensors dtype name: `"F32"`, `"F64"` or `"I64"`.
    public var dtype: String {
        switch self {
        case .float: return Float.dtypeName
        case .double: return Double.dtypeName
        case .int64: return SafeTensorsDType.i64.rawValue
        }
    }

    /// The tensor's shape.
    public var shape: [Int] {
        switch self {
        case let .float(t): return t.shape
        case let .double(t): return t.shape
        case let .int64(t): return t.shape
        }
    }

    /// The tensor itself if it holds `Scalar`s, else `nil` (no silent precision change).
    public func tensor<Scalar: BLASScalar>(as _: Scalar.Type) -> Tensor<Scalar>? {
        switch self {
        case let .float(t): return t as? Tensor<Scalar>
        case let .double(t): return t as? Tensor<Scalar>
        case .int64: return nil
        }
    }

    /// The integers, if the tensor holds `I64`.
    public var integers: IntegerTensor? {
        if case let .int64(t) = self { return t }
        return nil
    }

    /// Bytes per scalar in the file.
    var scalarSize: Int {
        switch self {
        case .float: return MemoryLayout<Float>.size
        case .double: return MemoryLayout<Double>.size
        case .int64: return MemoryLayout<Int64>.size
        }
    }

    /// Number of scalars.
    var count: Int {
        switch self {
        case let .float(t): return t.count
        case let .double(t): return t.count
        case let .int64(t): return t.scalars.count
        }
    }
}

/// Named tensors plus string metadata in the [safetensors](https://github.com/huggingface/safetensors)
/// format: the model file of `circuits train`, readable by PyTorch, numpy and the Python `safetensors`
/// package.
///
/// The container knows nothing about architectures: a model stores its weights as tensors and its
/// architecture and preprocessing as `metadata`, and checks on load that what it needs is there with
/// `require(_:shape:)`.
///
/// ```swift
/// var file = SafeTensorsFile(metadata: ["architecture": "784-256-10"])
/// file.tensors.append(("dense0.weight", .float(w)))
/// try file.write(to: URL(filePath: "model.safetensors"))      // atomic: temp file, fsync, rename
///
/// let loaded = try SafeTensorsFile.read(from: URL(filePath: "model.safetensors"))
/// let w2 = try loaded.require("dense0.weight", shape: [784, 256])
/// ```
///
/// ## Layout
/// 8 bytes: the header length N, unsigned little-endian. N bytes: a JSON object mapping each tensor name
/// to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}` plus an optional `__metadata__`
/// object of strings, padded with spaces so the data starts at a multiple of 8. Then the data section:
/// every tensor's scalars, row-major, little-endian, at `data_offsets` relative to the section's start.
///
/// Writing lays the tensors out as the Python package does — wider dtypes first, then by name (UTF-8
/// byte order) — so every tensor starts at a multiple of its scalar size and the bytes are deterministic.
/// Reading accepts any order and returns the tensors in data order, so a file written here reads back
/// in that sorted order.
///
/// ## What loading checks
/// Everything in the header is validated before any tensor is allocated: the header length against the
/// file size and a 100 MB cap; strict JSON (duplicate keys are found, unlike with `JSONSerialization`);
/// F32/F64/I64 dtypes only; shapes of non-negative integers whose size fits in `Int`; offsets inside the data
/// section, matching dtype size × element count, and tiling it with no gap and no overlap; metadata of
/// strings only. Names Swift considers equal (canonically equivalent Unicode) count as duplicates.
///
/// ## Interoperability
/// `scripts/safetensors_interop.py` loads a file written here with the Python `safetensors` package and
/// numpy and compares every tensor and metadata entry with a JSON sidecar of expected values;
/// `SafeTensorsTests` writes such a pair and runs the script when `.build/peers-venv/bin/python` has
/// `safetensors` installed. The opposite direction is a committed fixture written by
/// `Tests/LayersTests/Fixtures/make_safetensors_fixture.py`.
public struct SafeTensorsFile: Equatable, Sendable {
    /// The tensors, in the order they were added or (after reading) in data order.
    public var tensors: [(name: String, tensor: AnyTensor)]
    /// The header's `__metadata__`: free-form strings (architecture, preprocessing, class names…).
    public var metadata: [String: String]
    /// Where the tensors came from, for error messages: a path, or the name passed to `decode`.
    /// Not part of `==`.
    public var fileName: String

    /// Largest header accepted, as in the reference implementation: a header is a few bytes per tensor,
    /// and the cap bounds what a hostile length field can make us read.
    public static let maxHeaderLength = 100_000_000
    /// Largest rank accepted (numpy's limit): keeps a hostile shape from being a big allocation itself.
    public static let maxRank = 64

    /// A file holding `tensors` and `metadata`.
    public init(tensors: [(name: String, tensor: AnyTensor)] = [], metadata: [String: String] = [:],
                fileName: String = "<memory>") {
        self.tensors = tensors
        self.metadata = metadata
        self.fileName = fileName
    }

    /// The tensor names, in `tensors` order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> AnyTensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// Same tensors (names, order, dtypes, shapes, scalars) and same metadata; `fileName` is ignored.
    /// Scalars compare as `Tensor` does, so a NaN is unequal to itself.
    public static func == (lhs: SafeTensorsFile, rhs: SafeTensorsFile) -> Bool {
        lhs.metadata == rhs.metadata && lhs.tensors.count == rhs.tensors.count
            && zip(lhs.tensors, rhs.tensors).allSatisfy { $0.name == $1.name && $0.tensor == $1.tensor }
    }

    // MARK: What a model needs

    /// The `Float` tensor `name`, checked to have exactly `shape`: what a model calls for each weight
    /// its architecture needs.
    /// - Throws: `SafeTensorsError.missingTensor`, `.dtypeMismatch` (stored as F64), or `.shapeMismatch`,
    ///   each naming the file and the tensor.
    public func require(_ name: String, shape: [Int]) throws -> Tensor<Float> {
        try require(name, shape: shape, as: Float.self)
    }

    /// The tensor `name` of precision `Scalar`, checked to have exactly `shape`.
    /// - Throws: `SafeTensorsError.missingTensor`, `.dtypeMismatch`, or `.shapeMismatch`.
    public func require<Scalar: BLASScalar>(_ name: String, shape: [Int], as _: Scalar.Type) throws -> Tensor<Scalar> {
        guard let stored = self[name] else { throw SafeTensorsError.missingTensor(file: fileName, tensor: name) }
        guard let tensor = stored.tensor(as: Scalar.self) else {
            throw SafeTensorsError.dtypeMismatch(file: fileName, tensor: name, expected: Scalar.dtypeName, found: stored.dtype)
        }
        guard tensor.shape == shape else {
            throw SafeTensorsError.shapeMismatch(file: fileName, tensor: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }
}

// MARK: - Writing

extension SafeTensorsFile {
    /// The file's bytes.
    /// - Throws: `SafeTensorsError.invalidName` for a tensor called `__metadata__` or a repeated name.
    public func encode() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try serialize { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Writes the file at `url`, atomically: the bytes go to a temporary file in the same directory,
    /// which is flushed to disk (`fsync`) and then renamed over `url`. A crash or a full disk leaves
    /// either the old file or the new one, never half a model.
    /// - Throws: `SafeTensorsError.invalidName`, or `.io` naming the operation the system refused.
    public func write(to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        // Same directory, so the rename cannot cross file systems; a dot name, so a listing ignores it;
        // pid and a random number, so concurrent writers never share a temporary file.
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError.io(file: path, operation: "create \(temporary)", reason: systemError()) }
        var closed = false
        do {
            try serialize { chunk in try writeAll(fd, chunk, file: path) }
            guard fsync(fd) == 0 else { throw SafeTensorsError.io(file: path, operation: "fsync", reason: systemError()) }
            closed = true
            // close can report a deferred write error (NFS): treat it as a failed write.
            guard close(fd) == 0 else { throw SafeTensorsError.io(file: path, operation: "close", reason: systemError()) }
            guard rename(temporary, path) == 0 else {
                throw SafeTensorsError.io(file: path, operation: "rename from \(temporary)", reason: systemError())
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)
            throw error
        }
        // The rename is durable only once the directory entry is on disk. Some file systems refuse to
        // fsync a directory; the new file is complete either way, so that failure is not an error.
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// Produces the file's bytes in order, handing them to `sink` in chunks (the header, then one chunk
    /// per tensor, taken straight from its storage on little-endian machines).
    func serialize(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__" else {
                throw SafeTensorsError.invalidName(file: fileName, tensor: name, reason: "reserved for the metadata")
            }
            guard seen.insert(name).inserted else {
                throw SafeTensorsError.invalidName(file: fileName, tensor: name, reason: "appears more than once")
            }
        }
        // Wider scalars first, then by name: every tensor then starts at a multiple of its scalar size
        // (the header is padded to 8), which lets memory-mapping readers use the data in place.
        let order = tensors.indices.sorted { i, j in
            let (a, b) = (tensors[i], tensors[j])
            if a.tensor.scalarSize != b.tensor.scalarSize { return a.tensor.scalarSize > b.tensor.scalarSize }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }

        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let pairs = keys.map { SafeTensorsJSON.quoted($0) + ":" + SafeTensorsJSON.quoted(metadata[$0]!) }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for i in order {
            let (name, tensor) = tensors[i]
            let size = tensor.count * tensor.scalarSize
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(SafeTensorsJSON.quoted(name)
                + ":{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Spaces, the padding the format allows, so the data section starts 8-byte aligned.
        headerBytes.append(contentsOf: repeatElement(0x20, count: (8 - headerBytes.count % 8) % 8))
        guard headerBytes.count <= Self.maxHeaderLength else {
            throw SafeTensorsError.headerTooLarge(file: fileName, length: UInt64(headerBytes.count), limit: Self.maxHeaderLength)
        }

        try withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { try sink($0) }
        try headerBytes.withUnsafeBytes { try sink($0) }
        for i in order {
            switch tensors[i].tensor {
            case let .float(t): try emitLittleEndian(t, sink)
            case let .double(t): try emitLittleEndian(t, sink)
            case let .int64(t): try t.scalars.map(\.littleEndian).withUnsafeBytes { try sink($0) }
            }
        }
    }
}

private func emitLittleEndian<Scalar: BLASScalar>(_ tensor: Tensor<Scalar>, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    #if _endian(little)
    try tensor.withUnsafeBufferPointer { try sink(UnsafeRawBufferPointer($0)) }
    #else
    var copy = tensor
    copy.withUnsafeMutableBufferPointer { byteSwapScalars(UnsafeMutableRawBufferPointer($0), scalarSize: MemoryLayout<Scalar>.size) }
    try copy.withUnsafeBufferPointer { try sink(UnsafeRawBufferPointer($0)) }
    #endif
}

/// Reverses the bytes of each `scalarSize`-byte scalar (little-endian file ↔ big-endian host).
private func byteSwapScalars(_ bytes: UnsafeMutableRawBufferPointer, scalarSize: Int) {
    var i = 0
    while i + scalarSize <= bytes.count {
        var (lo, hi) = (i, i + scalarSize - 1)
        while lo < hi { bytes.swapAt(lo, hi); lo += 1; hi -= 1 }
        i += scalarSize
    }
}

private func systemError() -> String { String(cString: strerror(errno)) }

private func writeAll(_ fd: Int32, _ chunk: UnsafeRawBufferPointer, file: String) throws {
    var done = 0
    while done < chunk.count {
        let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw SafeTensorsError.io(file: file, operation: "write", reason: systemError())
        }
        done += n
    }
}

// MARK: - Reading

/// The supported dtypes and their scalar sizes.
enum SafeTensorsDType: String {
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"

    var scalarSize: Int { self == .f32 ? 4 : 8 }
}

/// A header that passed every check: where each tensor's bytes are, relative to the data section.
struct SafeTensorsLayout {
    struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }
    /// Sorted by `begin`: the order the bytes appear in.
    var entries: [Entry]
    var metadata: [String: String]
}

extension SafeTensorsFile {
    /// Reads and validates the file at `url`.
    ///
    /// The header is read and checked in full before any tensor is allocated; then each tensor is read
    /// straight into its own storage.
    /// - Throws: `SafeTensorsError` naming the file, what is wrong, and which tensor.
    public static func read(from url: URL) throws -> SafeTensorsFile {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(file: path, operation: "open", reason: systemError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError.io(file: path, operation: "stat", reason: systemError()) }
        // A FIFO or device has no size to check the header against.
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.io(file: path, operation: "open", reason: "not a regular file")
        }
        let fileSize = Int(info.st_size)

        var lengthField: UInt64 = 0
        guard fileSize >= 8 else { throw SafeTensorsError.fileTooSmall(file: path, size: fileSize) }
        try withUnsafeMutableBytes(of: &lengthField) { try readAll(fd, into: $0, at: 0, file: path) }
        let headerLength = try checkedHeaderLength(UInt64(littleEndian: lengthField), fileSize: fileSize, file: path)
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try readAll(fd, into: $0, at: 8, file: path) }
        let layout = try header.withUnsafeBytes {
            try parseHeader($0, dataSize: fileSize - 8 - headerLength, file: path)
        }
        let dataStart = 8 + headerLength
        let tensors = try layout.entries.map { entry in
            (name: entry.name, tensor: try makeTensor(entry) { try readAll(fd, into: $0, at: dataStart + entry.begin, file: path) })
        }
        return SafeTensorsFile(tensors: tensors, metadata: layout.metadata, fileName: path)
    }

    /// Decodes and validates a whole file held in memory (the fuzzer's entry point, and handy for files
    /// that arrive over a network).
    /// - Parameters:
    ///   - bytes: the whole file: header length, JSON header, tensor data.
    ///   - fileName: how errors name the bytes.
    /// - Throws: `SafeTensorsError` naming `fileName`, what is wrong, and which tensor.
    public static func decode(_ bytes: some ContiguousBytes, fileName: String = "<memory>") throws -> SafeTensorsFile {
        try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> SafeTensorsFile in
            guard raw.count >= 8 else { throw SafeTensorsError.fileTooSmall(file: fileName, size: raw.count) }
            let lengthField = raw.loadUnaligned(as: UInt64.self)
            let headerLength = try checkedHeaderLength(UInt64(littleEndian: lengthField), fileSize: raw.count, file: fileName)
            let dataStart = 8 + headerLength
            let layout = try parseHeader(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]),
                                         dataSize: raw.count - dataStart, file: fileName)
            let tensors = try layout.entries.map { entry in
                (name: entry.name, tensor: try makeTensor(entry) { destination in
                    destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)]))
                })
            }
            return SafeTensorsFile(tensors: tensors, metadata: layout.metadata, fileName: fileName)
        }
    }

    /// The header length, once it is known to fit both the cap and the file.
    static func checkedHeaderLength(_ length: UInt64, fileSize: Int, file: String) throws -> Int {
        let limit = min(maxHeaderLength, fileSize - 8)
        guard length <= UInt64(limit) else { throw SafeTensorsError.headerTooLarge(file: file, length: length, limit: limit) }
        return Int(length)
    }

    /// Allocates the tensor of a validated entry and lets `fill` write its bytes (file order), then
    /// converts them to the host's byte order.
    static func makeTensor(_ entry: SafeTensorsLayout.Entry,
                           fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> AnyTensor {
        func load<Scalar: BLASScalar>(_: Scalar.Type) throws -> Tensor<Scalar> {
            var t = Tensor<Scalar>(zeros: entry.shape)
            try t.withUnsafeMutableBufferPointer { buffer in
                let bytes = UnsafeMutableRawBufferPointer(buffer)
                try fill(bytes)
                #if _endian(big)
                byteSwapScalars(bytes, scalarSize: MemoryLayout<Scalar>.size)
                #endif
            }
            return t
        }
        switch entry.dtype {
        case .f32: return .float(try load(Float.self))
        case .f64: return .double(try load(Double.self))
        case .i64:
            var values = [Int64](repeating: 0, count: entry.shape.reduce(1, *))
            try values.withUnsafeMutableBytes { try fill($0) }
            return .int64(try IntegerTensor(shape: entry.shape, scalars: values.map { Int64(littleEndian: $0) }))
        }
    }

    /// Validates a header (the bytes after the length field, padding included) against a data section
    /// of `dataSize` bytes. Allocates nothing in proportion to what the header claims.
    static func parseHeader(_ header: UnsafeRawBufferPointer, dataSize: Int, file: String) throws -> SafeTensorsLayout {
        // The format requires the object to start at the first byte; leading whitespace is not allowed.
        guard header.first == UInt8(ascii: "{") else {
            throw SafeTensorsError.malformedHeader(file: file, offset: 0, reason: "the header must begin with '{'")
        }
        let json: SafeTensorsJSON.Value
        do {
            json = try SafeTensorsJSON.parse(header)
        } catch {
            throw SafeTensorsError.malformedHeader(file: file, offset: error.offset, reason: error.reason)
        }
        // Cannot fail after the '{' check, but the members are needed by name.
        guard case let .object(members) = json else {
            throw SafeTensorsError.malformedHeader(file: file, offset: 0, reason: "expected an object, found \(json.kindDescription)")
        }

        var entries: [SafeTensorsLayout.Entry] = []
        var metadata: [String: String]? = nil
        var names = Set<String>()
        for (name, value) in members {
            if name == "__metadata__" {
                guard metadata == nil else { throw SafeTensorsError.invalidMetadata(file: file, key: nil, reason: "appears more than once") }
                metadata = try parseMetadata(value, file: file)
                continue
            }
            guard names.insert(name).inserted else { throw SafeTensorsError.duplicateTensor(file: file, tensor: name) }
            entries.append(try parseEntry(name, value, dataSize: dataSize, file: file))
        }

        // The data section must be tiled exactly: in begin order, each tensor starts where the previous
        // one ended. Empty tensors occupy no bytes, so several may share an offset.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        for entry in entries {
            if entry.begin < covered {
                throw SafeTensorsError.overlappingData(file: file, tensor: entry.name, begin: entry.begin, previousEnd: covered)
            }
            if entry.begin > covered {
                throw SafeTensorsError.gapInData(file: file, tensor: entry.name, begin: entry.begin, previousEnd: covered)
            }
            covered = entry.end
        }
        guard covered == dataSize else { throw SafeTensorsError.uncoveredData(file: file, covered: covered, dataSize: dataSize) }
        return SafeTensorsLayout(entries: entries, metadata: metadata ?? [:])
    }

    static func parseMetadata(_ value: SafeTensorsJSON.Value, file: String) throws -> [String: String] {
        guard case let .object(members) = value else {
            throw SafeTensorsError.invalidMetadata(file: file, key: nil, reason: "expected an object, found \(value.kindDescription)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw SafeTensorsError.invalidMetadata(file: file, key: key, reason: "expected a string, found \(value.kindDescription)")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.invalidMetadata(file: file, key: key, reason: "appears more than once")
            }
        }
        return metadata
    }

    static func parseEntry(_ name: String, _ value: SafeTensorsJSON.Value, dataSize: Int, file: String) throws -> SafeTensorsLayout.Entry {
        guard case let .object(fields) = value else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "expected an object, found \(value.kindDescription)")
        }
        var dtypeValue: SafeTensorsJSON.Value?, shapeValue: SafeTensorsJSON.Value?, offsetsValue: SafeTensorsJSON.Value?
        for (key, field) in fields {
            // Unknown keys are refused: a field this reader would ignore might change the meaning of the
            // bytes for another reader.
            switch key {
            case "dtype" where dtypeValue == nil: dtypeValue = field
            case "shape" where shapeValue == nil: shapeValue = field
            case "data_offsets" where offsetsValue == nil: offsetsValue = field
            case "dtype", "shape", "data_offsets":
                throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "key \"\(key)\" appears more than once")
            default:
                throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "unknown key \"\(key)\"")
            }
        }
        guard let dtypeValue else { throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing \"dtype\"") }
        guard let shapeValue else { throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing \"shape\"") }
        guard let offsetsValue else { throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing \"data_offsets\"") }

        guard case let .string(dtypeName) = dtypeValue else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "dtype must be a string, found \(dtypeValue.kindDescription)")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }

        guard case let .array(dims) = shapeValue else {
            throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "expected an array, found \(shapeValue.kindDescription)")
        }
        guard dims.count <= maxRank else {
            throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "rank \(dims.count) exceeds \(maxRank)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for (axis, dim) in dims.enumerated() {
            switch nonNegativeInteger(dim) {
            case let .success(n): shape.append(n)
            case let .failure(problem):
                throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "dimension \(axis) \(problem.reason)")
            }
        }
        // Bound the product of the non-zero dimensions, times the scalar size: then no partial product
        // of the shape overflows either, in whatever order `Tensor` (or anyone) multiplies it.
        var bytes = dtype.scalarSize
        for n in shape where n != 0 {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "\(shape) has more elements than fit in memory")
            }
            bytes = product
        }
        let count = shape.contains(0) ? 0 : bytes / dtype.scalarSize
        let byteCount = count * dtype.scalarSize

        guard case let .array(offsets) = offsetsValue, offsets.count == 2 else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "expected [begin, end], found \(describe(offsetsValue))")
        }
        var bounds: [Int] = []
        for (which, offset) in zip(["begin", "end"], offsets) {
            switch nonNegativeInteger(offset) {
            case let .success(n): bounds.append(n)
            case let .failure(problem):
                throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "\(which) \(problem.reason)")
            }
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "begin \(begin) is after end \(end)")
        }
        guard end <= dataSize else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "end \(end) is past the \(dataSize)-byte data section")
        }
        guard end - begin == byteCount else {
            throw SafeTensorsError.byteCountMismatch(file: file, tensor: name, dtype: dtypeName, shape: shape,
                                                     expected: byteCount, found: end - begin)
        }
        return SafeTensorsLayout.Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    struct IntegerProblem: Error { var reason: String }

    /// A JSON number that is a non-negative integer written without fraction or exponent, and fits `Int`.
    static func nonNegativeInteger(_ value: SafeTensorsJSON.Value) -> Result<Int, IntegerProblem> {
        guard case let .number(text) = value else { return .failure(IntegerProblem(reason: "is \(value.kindDescription), not an integer")) }
        if text.hasPrefix("-") { return .failure(IntegerProblem(reason: "is negative (\(text))")) }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(IntegerProblem(reason: "is not an integer (\(text))"))
        }
        guard let n = Int(text) else { return .failure(IntegerProblem(reason: "is too large (\(text))")) }
        return .success(n)
    }

    /// A value for a message, without echoing a huge array back.
    static func describe(_ value: SafeTensorsJSON.Value) -> String {
        if case let .array(items) = value { return "an array of \(items.count)" }
        return value.kindDescription
    }
}

/// Fills `buffer` from `fd` at `offset`, retrying short reads; a file that ends early is an error.
private func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, file: String) throws {
    var done = 0
    while done < buffer.count {
        let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        if n < 0 {
            if errno == EINTR { continue }
            throw SafeTensorsError.io(file: file, operation: "read", reason: systemError())
        }
        if n == 0 {
            throw SafeTensorsError.io(file: file, operation: "read", reason: "file ended at byte \(offset + done); did it change while being read?")
        }
        done += n
    }
}

import Foundation
import Testing
@testable import Layers
import Tensor

// Model files in the safetensors format: round trips, the exact byte layout, the atomic write, every
// validation error (each from hand-crafted bytes), files written by the Python package, and the inputs
// the fuzzer once crashed on (Tests/LayersTests/Regressions/, fed by `make fuzz`).

// MARK: - Helpers

/// The repository root, found from this file's path (Tests/LayersTests/SafeTensorsTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh directory that `body` may fill; removed afterwards.
private func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// A file from its parts: the 8-byte little-endian length (of `header` unless overridden), the header
/// text, the data section.
private func craft(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian, Array.init) + h + data
}

/// The error `decode` throws for `bytes` (named "t.safetensors"), or a recorded issue if it throws none.
private func decodeError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> SafeTensorsError? {
    return #expect(throws: SafeTensorsError.self, sourceLocation: sourceLocation) {
        try SafeTensorsFile.decode(bytes, fileName: "t.safetensors")
    }
}

/// A header with one tensor entry, the rest of the entry given as JSON text.
private func oneTensor(_ entry: String, data: Int) -> [UInt8] {
    craft("{\"w\":{\(entry)}}", data: [UInt8](repeating: 0, count: data))
}

/// Scalars as their bit patterns, so NaN compares equal to itself and -0 differs from 0.
private func bits(_ t: AnyTensor) -> [UInt64] {
    switch t {
    case let .float(x): return x.scalars.map { UInt64($0.bitPattern) }
    case let .double(x): return x.scalars.map { $0.bitPattern }
    case let .int64(x): return x.scalars.map { UInt64(bitPattern: $0) }
    }
}

private func expectSameBits(_ a: SafeTensorsFile, _ b: SafeTensorsFile, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.names == b.names, sourceLocation: sourceLocation)
    #expect(a.metadata == b.metadata, sourceLocation: sourceLocation)
    for ((_, x), (name, y)) in zip(a.tensors, b.tensors) {
        #expect(x.dtype == y.dtype && x.shape == y.shape, "\(name)", sourceLocation: sourceLocation)
        #expect(bits(x) == bits(y), "\(name)", sourceLocation: sourceLocation)
    }
}

@Suite("safetensors model files")
struct SafeTensorsTests {
    // MARK: - Round trips

    /// Tensors of several shapes — matrix, vector, rank 3, scalar `[]`, empty `[0, 3]` and `[4, 0]` — with
    /// random values and the special ones (NaN, ±∞, −0, subnormal), through encode/decode and write/read.
    private func checkRoundTrip<Scalar: BLASScalar>(_: Scalar.Type) throws {
        var rng = SeededRNG(seed: 42)
        let shapes: [[Int]] = [[2, 3], [7], [2, 3, 4], [], [0, 3], [4, 0], [1, 1, 1, 1]]
        var file = SafeTensorsFile(metadata: ["dtype": Scalar.dtypeName])
        for (i, shape) in shapes.enumerated() {
            file.tensors.append(("t\(i)", AnyTensor(Tensor<Scalar>.randomNormal(shape, using: &rng))))
        }
        file.tensors.append(("special", AnyTensor(Tensor<Scalar>([.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]))))

        // Written order is by name (all one dtype), so compare with the same tensors sorted by name.
        var sorted = file
        sorted.tensors.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

        let decoded = try SafeTensorsFile.decode(try file.encode())
        expectSameBits(decoded, sorted)
        try withTemporaryDirectory { dir throws in
            let url = dir.appendingPathComponent("model.safetensors")
            try file.write(to: url)
            let read = try SafeTensorsFile.read(from: url)
            expectSameBits(read, sorted)
            #expect(read.fileName == url.path)
            #expect(try read.require("t0", shape: [2, 3], as: Scalar.self) == file["t0"]!.tensor(as: Scalar.self)!)
        }
    }

    @Test("Round trip: F32 tensors of every shape kind, specials bit-exact") func roundTripFloat() throws {
        try checkRoundTrip(Float.self)
    }

    @Test("Round trip: F64 tensors of every shape kind, specials bit-exact") func roundTripDouble() throws {
        try checkRoundTrip(Double.self)
    }

    @Test("Mixed precisions: F64 tensors are laid out first, then names in byte order")
    func mixedPrecisionOrder() throws {
        let file = SafeTensorsFile(tensors: [
            ("b", .float(Tensor<Float>([1, 2, 3]))),
            ("a", .float(Tensor<Float>([4]))),
            ("z", .double(Tensor<Double>([5, 6]))),
            ("B", .double(Tensor<Double>([7]))),
        ])
        let decoded = try SafeTensorsFile.decode(try file.encode())
        #expect(decoded.names == ["B", "z", "a", "b"])
        #expect(decoded["z"] == .double(Tensor<Double>([5, 6])))
        #expect(decoded["b"] == .float(Tensor<Float>([1, 2, 3])))
    }

    @Test("A row view (a mini-batch slice) is written as its own rows only")
    func rowViewIsWrittenAlone() throws {
        let m = try Tensor<Float>([[1, 2], [3, 4], [5, 6]])
        let file = SafeTensorsFile(tensors: [("rows", .float(try m.rows(1..<3)))])
        let decoded = try SafeTensorsFile.decode(try file.encode())
        #expect(decoded["rows"] == .float(try Tensor<Float>([[3, 4], [5, 6]])))
    }

    @Test("Metadata round trip: quotes, backslashes, control characters, non-ASCII, empty strings")
    func metadataRoundTrip() throws {
        let metadata = [
            "architecture": "{\"layers\": [784, 256, 10]}",
            "path": "C:\\data\\train.csv",
            "control": "tab\there\nnewline \u{01} \u{1F} \u{7F}",
            "unicode": "Größe 大小 🧠 e\u{301}",
            "": "empty key",
            "empty value": "",
        ]
        let file = SafeTensorsFile(tensors: [("w", .float(Tensor<Float>([1])))], metadata: metadata)
        let decoded = try SafeTensorsFile.decode(try file.encode())
        #expect(decoded.metadata == metadata)
        // Only metadata, no tensors, is a valid file too.
        let onlyMetadata = try SafeTensorsFile.decode(try SafeTensorsFile(metadata: ["k": "v"]).encode())
        #expect(onlyMetadata.metadata == ["k": "v"] && onlyMetadata.tensors.isEmpty)
    }

    @Test("An empty file (no tensors, no metadata) round-trips") func emptyFile() throws {
        let bytes = try SafeTensorsFile().encode()
        #expect(bytes == craft("{}      "))
        #expect(try SafeTensorsFile.decode(bytes) == SafeTensorsFile())
    }

    // MARK: - Byte layout

    @Test("Byte layout: length field, space padding to 8, offsets, little-endian data")
    func byteLayout() throws {
        let file = SafeTensorsFile(
            tensors: [("w", .float(try Tensor<Float>([[1, 2], [3, -0.5]]))), ("b", .double(Tensor<Double>([0.25])))],
            metadata: ["k": "v"])
        let bytes = try file.encode()
        let json = #"{"__metadata__":{"k":"v"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        #expect(padded.utf8.count % 8 == 0)
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        #expect(n == UInt64(padded.utf8.count))
        #expect(Array(bytes[8..<(8 + Int(n))]) == Array(padded.utf8))
        let data = Array(bytes[(8 + Int(n))...])
        #expect(data.count == 24)
        #expect(Array(data[0..<8]) == [0, 0, 0, 0, 0, 0, 0xD0, 0x3F])           // 0.25 as F64, little-endian
        #expect(Array(data[8..<12]) == [0, 0, 0x80, 0x3F])                      // 1.0 as F32
        #expect(Array(data[20..<24]) == [0, 0, 0, 0xBF])                        // -0.5 as F32
    }

    // MARK: - Files from the Python package

    /// What Tests/LayersTests/Fixtures/make_safetensors_fixture.py writes.
    private func fixtureContents() throws -> SafeTensorsFile {
        SafeTensorsFile(
            tensors: [
                ("dense.bias", .double(Tensor<Double>([0.25, -0.5, 0.125]))),
                ("dense.weight", .float(try Tensor<Float>([[0.5, -1.25, 2.0], [3.0, -0.0, Float(bitPattern: 0x3A83_126F)]]))),
                ("empty", .float(Tensor<Float>(zeros: [0, 3]))),
                ("scale", .float(try Tensor<Float>([1.5], shape: []))),
            ],
            metadata: ["architecture": "3-3", "note": "written by safetensors-python"])
    }

    private let fixtureURL = repositoryRoot.appendingPathComponent("Tests/LayersTests/Fixtures/python-written.safetensors")

    @Test("Reads a file written by Python safetensors (numpy save_file)")
    func pythonWrittenFixture() throws {
        let file = try SafeTensorsFile.read(from: fixtureURL)
        expectSameBits(file, try fixtureContents())
        #expect(try file.require("dense.weight", shape: [2, 3]).scalars[5] == Float(bitPattern: 0x3A83_126F))  // float32(1e-3)
        #expect(try file.require("scale", shape: []).scalar == 1.5)
    }

    @Test("Writes the same bytes as Python safetensors for the same tensors")
    func encoderMatchesPythonBytes() throws {
        let python = try [UInt8](Data(contentsOf: fixtureURL))
        #expect(try fixtureContents().encode() == python)
    }

    /// Writes interop-check.safetensors and its JSON sidecar, and runs scripts/safetensors_interop.py on
    /// them when the benchmark venv has `safetensors`; otherwise prints that the Python side did not run.
    @Test("Python safetensors + numpy read our file exactly (scripts/safetensors_interop.py)")
    func pythonReadsOurFile() throws {
        var rng = SeededRNG(seed: 7)
        let file = SafeTensorsFile(
            tensors: [
                ("layer0.weight", AnyTensor(Tensor<Float>.randomNormal([4, 3], using: &rng))),
                ("layer0.bias", AnyTensor(Tensor<Float>([0, -0.0, .infinity]))),
                ("layer1.weight", AnyTensor(Tensor<Double>.randomNormal([3, 2], using: &rng))),
                ("nan", AnyTensor(Tensor<Float>([.nan, -.infinity, .leastNonzeroMagnitude]))),
                ("scalar", AnyTensor(try Tensor<Double>([0.1], shape: []))),
                ("empty", AnyTensor(Tensor<Float>(zeros: [0, 5]))),
            ],
            metadata: ["architecture": "3-2", "classes": "[\"cat\", \"dog\"]", "unicode": "Größe 🧠"])

        // Strings, not JSON numbers: Python's float() reads "nan", "inf" and "-0.0" back exactly, and
        // Double's description is the shortest decimal that round-trips (exact for every Float too).
        func decimal<S: BLASScalar>(_ x: S) -> String { x.isNaN ? "nan" : "\(Double(x))" }
        var expectedTensors: [String: Any] = [:]
        for (name, tensor) in file.tensors {
            let values: [String]
            switch tensor {
            case let .float(t): values = t.scalars.map { decimal($0) }
            case let .double(t): values = t.scalars.map { decimal($0) }
            case let .int64(t): values = t.scalars.map { "\($0)" }
            }
            expectedTensors[name] = ["dtype": tensor.dtype, "shape": tensor.shape, "values": values]
        }
        let sidecar = try JSONSerialization.data(withJSONObject: ["metadata": file.metadata, "tensors": expectedTensors], options: [.sortedKeys])

        try withTemporaryDirectory { dir throws in
            let model = dir.appendingPathComponent("interop-check.safetensors")
            let expected = dir.appendingPathComponent("interop-check.json")
            try file.write(to: model)
            try sidecar.write(to: expected)
            // The Swift side of the check always runs.
            let back = try SafeTensorsFile.read(from: model)
            #expect(Set(back.names) == Set(file.names))
            for (name, tensor) in file.tensors { #expect(bits(back[name]!) == bits(tensor), "\(name)") }

            let python = repositoryRoot.appendingPathComponent(".build/peers-venv/bin/python")
            guard FileManager.default.isExecutableFile(atPath: python.path),
                  try run(python, ["-c", "import safetensors, numpy"]).status == 0 else {
                print("SafeTensorsTests.pythonReadsOurFile: Python side NOT run: \(python.path) missing or without safetensors/numpy (run `make bench-peers`); only the Swift side was checked")
                return
            }
            let script = repositoryRoot.appendingPathComponent("scripts/safetensors_interop.py")
            let result = try run(python, [script.path, model.path, expected.path])
            #expect(result.status == 0, "safetensors_interop.py failed:\n\(result.output)")
            print("SafeTensorsTests.pythonReadsOurFile: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Runs `executable` and returns its exit status with stdout and stderr together.
    private func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    // MARK: - Atomic write

    @Test("Atomic write leaves no temporary file and replaces an existing file whole")
    func atomicWrite() throws {
        try withTemporaryDirectory { dir throws in
            let url = dir.appendingPathComponent("model.safetensors")
            // An existing, longer file: a non-atomic overwrite in place could leave its tail behind.
            try Data(repeating: 0xAB, count: 10_000).write(to: url)
            let file = SafeTensorsFile(tensors: [("w", .float(Tensor<Float>([1, 2, 3])))], metadata: ["v": "2"])
            try file.write(to: url)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
            #expect(try [UInt8](Data(contentsOf: url)) == file.encode())
            #expect(try SafeTensorsFile.read(from: url) == file)
        }
    }

    @Test("A failed write throws .io and leaves nothing behind")
    func failedWrite() throws {
        try withTemporaryDirectory { dir throws in
            let url = dir.appendingPathComponent("missing-dir/model.safetensors")
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile().write(to: url) }
            guard case let .io(file, _, _) = error else { Issue.record("expected .io, got \(String(describing: error))"); return }
            #expect(file == url.path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
    }

    @Test("Names the format cannot hold are refused on write")
    func invalidNamesOnWrite() throws {
        let t = AnyTensor.float(Tensor<Float>([1]))
        #expect(throws: SafeTensorsError.invalidName(file: "<memory>", tensor: "__metadata__", reason: "reserved for the metadata")) {
            try SafeTensorsFile(tensors: [("__metadata__", t)]).encode()
        }
        #expect(throws: SafeTensorsError.invalidName(file: "<memory>", tensor: "w", reason: "appears more than once")) {
            try SafeTensorsFile(tensors: [("w", t), ("w", t)]).encode()
        }
    }

    // MARK: - require

    @Test("require: present with the right shape, or a typed error naming file, tensor and both shapes")
    func requireChecks() throws {
        let file = SafeTensorsFile(tensors: [("w", .float(Tensor<Float>(zeros: [2, 3]))), ("d", .double(Tensor<Double>([1])))],
                                   fileName: "m.safetensors")
        #expect(try file.require("w", shape: [2, 3]).shape == [2, 3])
        #expect(try file.require("d", shape: [1], as: Double.self).scalars == [1])
        #expect(throws: SafeTensorsError.missingTensor(file: "m.safetensors", tensor: "v")) { try file.require("v", shape: [2, 3]) }
        #expect(throws: SafeTensorsError.shapeMismatch(file: "m.safetensors", tensor: "w", expected: [3, 2], found: [2, 3])) {
            try file.require("w", shape: [3, 2])
        }
        #expect(throws: SafeTensorsError.dtypeMismatch(file: "m.safetensors", tensor: "d", expected: "F32", found: "F64")) {
            try file.require("d", shape: [1])
        }
        let message = SafeTensorsError.shapeMismatch(file: "m.safetensors", tensor: "w", expected: [3, 2], found: [2, 3]).description
        #expect(message == "m.safetensors: tensor \"w\" has shape [2, 3], expected [3, 2]")
    }

    // MARK: - Validation: sizes

    @Test("Files shorter than the length field") func fileTooSmall() {
        #expect(decodeError([1, 2, 3]) == .fileTooSmall(file: "t.safetensors", size: 3))
        #expect(decodeError([]) == .fileTooSmall(file: "t.safetensors", size: 0))
    }

    @Test("Header length beyond the file, beyond 100 MB, or near 2⁶⁴") func headerTooLarge() throws {
        #expect(decodeError(craft("{}", length: 3)) == .headerTooLarge(file: "t.safetensors", length: 3, limit: 2))
        #expect(decodeError(craft("{}", length: .max)) == .headerTooLarge(file: "t.safetensors", length: .max, limit: 2))
        #expect(decodeError(Array(repeating: 0xFF, count: 8)) == .headerTooLarge(file: "t.safetensors", length: .max, limit: 0))
        // The cap, without building a 100 MB file.
        #expect(throws: SafeTensorsError.headerTooLarge(file: "f", length: 100_000_001, limit: 100_000_000)) {
            try SafeTensorsFile.checkedHeaderLength(100_000_001, fileSize: 300_000_000, file: "f")
        }
        #expect(try SafeTensorsFile.checkedHeaderLength(100_000_000, fileSize: 300_000_000, file: "f") == 100_000_000)
    }

    // MARK: - Validation: JSON

    /// The offset and reason of a malformed-header error, or nil if another error (or none) was thrown.
    private func malformed(_ header: String, data: [UInt8] = []) -> (offset: Int, reason: String)? {
        guard case let .malformedHeader(file, offset, reason) = decodeError(craft(header, data: data)) else { return nil }
        #expect(file == "t.safetensors")
        return (offset, reason)
    }

    @Test("Header must be strict JSON starting with '{'") func malformedJSON() throws {
        #expect(malformed("")?.reason == "the header must begin with '{'")
        #expect(malformed(" {}")?.reason == "the header must begin with '{'")
        #expect(malformed("[]")?.reason == "the header must begin with '{'")
        #expect(malformed("{")?.offset == 1)
        #expect(malformed("{} x")?.reason == "unexpected 'x' after the JSON value")
        #expect(malformed(#"{"a":1,}"#)?.reason == "expected a string key, found '}'")
        #expect(malformed(#"{"a" 1}"#)?.reason == "expected ':' after an object key, found '1'")
        #expect(malformed(#"{"a":[1 2]}"#)?.reason == "expected ',' or ']' in an array, found '2'")
        #expect(malformed(#"{"a":tru}"#)?.reason == "invalid literal, expected true")
        #expect(malformed(#"{"a":NaN}"#)?.reason == "expected a value, found 'N'")
        #expect(malformed(#"{"a":01}"#)?.reason == "leading zero in a number")
        #expect(malformed(#"{"a":1.}"#)?.reason == "expected a digit after '.', found '}'")
        #expect(malformed(#"{"a":1e}"#)?.reason == "expected a digit in the exponent, found '}'")
        #expect(malformed(#"{"a":"x}"#)?.reason == "unterminated string")
        #expect(malformed("{\"a\":\"x\ny\"}")?.reason == "unescaped control character 0xA in a string")
        #expect(malformed(#"{"a":"\q"}"#)?.reason == "invalid escape: 'q' after a backslash")
        #expect(malformed(#"{"a":"\u12G4"}"#)?.reason == "expected a hex digit in a \\u escape, found 'G'")
        #expect(malformed(#"{"a":"\uD800"}"#)?.reason == "unpaired high surrogate in a \\u escape")
        #expect(malformed(#"{"a":"\uDC00"}"#)?.reason == "unpaired low surrogate in a \\u escape")
        #expect(malformed(#"{"a":"\uD800\u0041"}"#)?.reason == "high surrogate not followed by a low surrogate")
        #expect(malformed("{\"a\":" + String(repeating: "[", count: 100) + "}")?.reason == "nesting deeper than 16 levels")
        // Invalid UTF-8 in a name (0xC3 starts a two-byte sequence; '"' cannot continue it).
        let badUTF8 = [UInt8](#"{"a"#.utf8) + [0xC3] + [UInt8](#"":{}}"#.utf8)
        guard case let .malformedHeader(_, offset, reason) = decodeError(withUnsafeBytes(of: UInt64(badUTF8.count).littleEndian, Array.init) + badUTF8) else {
            Issue.record("invalid UTF-8 accepted"); return
        }
        #expect(offset == 1 && reason == "string is not valid UTF-8")
    }

    @Test("Escapes and padding that the format allows are accepted") func acceptedJSON() throws {
        // \u escapes (including a surrogate pair), escaped slash, whitespace inside, trailing space padding.
        let header = "{ \"\\u0077\\/\\ud83e\\udde0\" : { \"dtype\" : \"F32\", \"shape\" : [ ], \"data_offsets\" : [ 0 , 4 ] } }    "
        let file = try SafeTensorsFile.decode(craft(header, data: [0, 0, 0x80, 0x3F]))
        #expect(file.names == ["w/🧠"])
        #expect(file["w/🧠"] == .float(try Tensor<Float>([1], shape: [])))
    }

    // MARK: - Validation: entries

    @Test("Duplicate tensor names are detected (JSONSerialization would keep one)") func duplicateNames() {
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        #expect(decodeError(craft("{\"w\":\(entry),\"w\":\(entry)}", data: [0, 0, 0, 0]))
                == .duplicateTensor(file: "t.safetensors", tensor: "w"))
    }

    @Test("Entries must be objects with exactly dtype, shape and data_offsets") func invalidEntries() {
        func entryError(_ header: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(decodeError(craft(header, data: [0, 0, 0, 0]), sourceLocation: sourceLocation)
                    == .invalidEntry(file: "t.safetensors", tensor: "w", reason: reason), sourceLocation: sourceLocation)
        }
        entryError(#"{"w":[1]}"#, "expected an object, found an array")
        entryError(#"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "key \"dtype\" appears more than once")
        entryError(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offset":0}}"#, "unknown key \"offset\"")
        entryError(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "missing \"dtype\"")
        entryError(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "missing \"shape\"")
        entryError(#"{"w":{"dtype":"F32","shape":[1]}}"#, "missing \"data_offsets\"")
        entryError(#"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, "dtype must be a string, found a number")
    }

    @Test("Only F32, F64 and I64 are supported") func unsupportedDType() {
        for dtype in ["F16", "BF16", "I32", "U8", "BOOL", "f32", "i64", ""] {
            #expect(decodeError(oneTensor(#""dtype":"\#(dtype)","shape":[1],"data_offsets":[0,2]"#, data: 2))
                    == .unsupportedDType(file: "t.safetensors", tensor: "w", dtype: dtype))
        }
    }

    @Test("I64 tensors (PyTorch's num_batches_tracked) round-trip, little-endian, scalar shape included")
    func int64RoundTrip() throws {
        let file = SafeTensorsFile(tensors: [("count", .int64(IntegerTensor(scalar: 469))),
                                             ("ids", .int64(try IntegerTensor(shape: [2, 2], scalars: [-1, 0, 1 << 40, Int64.max]))),
                                             ("w", .float(Tensor<Float>([1.5])))])
        let bytes = try file.encode()
        let decoded = try SafeTensorsFile.decode(bytes)
        #expect(decoded["count"] == .int64(IntegerTensor(scalar: 469)))
        #expect(decoded["count"]?.dtype == "I64" && decoded["count"]?.shape == [])
        #expect(decoded["ids"]?.integers?.scalars == [-1, 0, 1 << 40, Int64.max])
        // The scalar's 8 bytes, little-endian, at its data offset.
        let header = Int(bytes[0]) | Int(bytes[1]) << 8
        let text = String(decoding: bytes[8..<(8 + header)], as: UTF8.self)
        #expect(text.contains(#""count":{"dtype":"I64","shape":[],"data_offsets":[0,8]}"#))
        #expect(Array(bytes[(8 + header)..<(16 + header)]) == [0xD5, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(throws: TensorError.self) { try IntegerTensor(shape: [3], scalars: [1, 2]) }
    }

    @Test("Shapes must be non-negative integers whose product fits") func invalidShapes() {
        func shapeError(_ shape: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(decodeError(oneTensor(#""dtype":"F32","shape":\#(shape),"data_offsets":[0,0]"#, data: 0), sourceLocation: sourceLocation)
                    == .invalidShape(file: "t.safetensors", tensor: "w", reason: reason), sourceLocation: sourceLocation)
        }
        shapeError("3", "expected an array, found a number")
        shapeError("[2,-1]", "dimension 1 is negative (-1)")
        shapeError("[-0]", "dimension 0 is negative (-0)")
        shapeError("[1.5]", "dimension 0 is not an integer (1.5)")
        shapeError("[2.0]", "dimension 0 is not an integer (2.0)")
        shapeError("[1e2]", "dimension 0 is not an integer (1e2)")
        shapeError("[\"2\"]", "dimension 0 is a string, not an integer")
        shapeError("[null]", "dimension 0 is null, not an integer")
        shapeError("[99999999999999999999]", "dimension 0 is too large (99999999999999999999)")
        shapeError("[4611686018427387904,4]", "[4611686018427387904, 4] has more elements than fit in memory")
        // A zero does not excuse the rest: `Tensor` multiplies left to right and would overflow first.
        shapeError("[4611686018427387904,4,0]", "[4611686018427387904, 4, 0] has more elements than fit in memory")
        // Elements fit in Int, bytes do not.
        shapeError("[2305843009213693952]", "[2305843009213693952] has more elements than fit in memory")
        shapeError("[" + Array(repeating: "1", count: 65).joined(separator: ",") + "]", "rank 65 exceeds 64")
    }

    @Test("Huge dimensions beside a zero are fine: the tensor is empty") func hugeEmptyShape() throws {
        let file = try SafeTensorsFile.decode(oneTensor(#""dtype":"F64","shape":[0,1099511627776],"data_offsets":[0,0]"#, data: 0))
        #expect(file["w"]?.shape == [0, 1_099_511_627_776])
    }

    @Test("data_offsets must be [begin, end] inside the data section") func invalidOffsets() {
        func offsetsError(_ offsets: String, data: Int = 4, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(decodeError(oneTensor(#""dtype":"F32","shape":[1],"data_offsets":\#(offsets)"#, data: data), sourceLocation: sourceLocation)
                    == .invalidOffsets(file: "t.safetensors", tensor: "w", reason: reason), sourceLocation: sourceLocation)
        }
        offsetsError("4", "expected [begin, end], found a number")
        offsetsError("[0]", "expected [begin, end], found an array of 1")
        offsetsError("[0,4,8]", "expected [begin, end], found an array of 3")
        offsetsError("[-4,0]", "begin is negative (-4)")
        offsetsError("[0,4.0]", "end is not an integer (4.0)")
        offsetsError("[0,18446744073709551616]", "end is too large (18446744073709551616)")
        offsetsError("[4,0]", "begin 4 is after end 0")
        offsetsError("[0,8]", "end 8 is past the 4-byte data section")
        offsetsError("[4,8]", data: 6, "end 8 is past the 6-byte data section")
    }

    @Test("Byte count must be dtype size × element count") func byteCountMismatch() {
        #expect(decodeError(oneTensor(#""dtype":"F64","shape":[2],"data_offsets":[0,12]"#, data: 12))
                == .byteCountMismatch(file: "t.safetensors", tensor: "w", dtype: "F64", shape: [2], expected: 16, found: 12))
        #expect(decodeError(oneTensor(#""dtype":"F32","shape":[0,3],"data_offsets":[0,4]"#, data: 4))
                == .byteCountMismatch(file: "t.safetensors", tensor: "w", dtype: "F32", shape: [0, 3], expected: 0, found: 4))
    }

    @Test("Tensors must tile the data section: no overlap, no gap, nothing left over") func dataTiling() {
        let a = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        #expect(decodeError(craft("{\(a),\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: .init(repeating: 0, count: 8)))
                == .overlappingData(file: "t.safetensors", tensor: "b", begin: 4, previousEnd: 8))
        #expect(decodeError(craft("{\(a),\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", data: .init(repeating: 0, count: 16)))
                == .gapInData(file: "t.safetensors", tensor: "b", begin: 12, previousEnd: 8))
        #expect(decodeError(craft("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: .init(repeating: 0, count: 8)))
                == .gapInData(file: "t.safetensors", tensor: "b", begin: 4, previousEnd: 0))
        #expect(decodeError(craft("{\(a)}", data: .init(repeating: 0, count: 9)))
                == .uncoveredData(file: "t.safetensors", covered: 8, dataSize: 9))
        #expect(decodeError(craft("{}", data: [1])) == .uncoveredData(file: "t.safetensors", covered: 0, dataSize: 1))
    }

    @Test("Any order of entries is valid; empty tensors may share an offset") func entryOrderIsFree() throws {
        let header = """
        {"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e2":{"dtype":"F64","shape":[0],"data_offsets":[4,4]},\
        "a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e1":{"dtype":"F32","shape":[3,0],"data_offsets":[4,4]}}
        """
        let file = try SafeTensorsFile.decode(craft(header, data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]))
        #expect(file["a"] == .float(Tensor<Float>([1])))
        #expect(file["b"] == .float(Tensor<Float>([2])))
        #expect(file["e1"]?.shape == [3, 0] && file["e2"]?.shape == [0])
        #expect(file.names.first == "a")
    }

    @Test("__metadata__ must be one object of strings") func invalidMetadata() {
        func metadataError(_ header: String, key: String?, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(decodeError(craft(header), sourceLocation: sourceLocation)
                    == .invalidMetadata(file: "t.safetensors", key: key, reason: reason), sourceLocation: sourceLocation)
        }
        metadataError(#"{"__metadata__":"x"}"#, key: nil, "expected an object, found a string")
        metadataError(#"{"__metadata__":null}"#, key: nil, "expected an object, found null")
        metadataError(#"{"__metadata__":{"epochs":10}}"#, key: "epochs", "expected a string, found a number")
        metadataError(#"{"__metadata__":{"k":"a","k":"b"}}"#, key: "k", "appears more than once")
        metadataError(#"{"__metadata__":{},"__metadata__":{}}"#, key: nil, "appears more than once")
    }

    // MARK: - Reading from disk

    @Test("read(from:) names the path in its errors, and refuses what is not a regular file")
    func readErrors() throws {
        try withTemporaryDirectory { dir throws in
            let missing = dir.appendingPathComponent("none.safetensors")
            guard case .io(missing.path, "open", _) = #expect(throws: SafeTensorsError.self, performing: { try SafeTensorsFile.read(from: missing) }) else {
                Issue.record("expected .io open for a missing file"); return
            }
            #expect(throws: SafeTensorsError.io(file: dir.path, operation: "open", reason: "not a regular file")) {
                try SafeTensorsFile.read(from: dir)
            }
            let short = dir.appendingPathComponent("short.safetensors")
            try Data([1, 2, 3]).write(to: short)
            #expect(throws: SafeTensorsError.fileTooSmall(file: short.path, size: 3)) { try SafeTensorsFile.read(from: short) }
            let bad = dir.appendingPathComponent("bad.safetensors")
            try Data(oneTensor(#""dtype":"F16","shape":[1],"data_offsets":[0,2]"#, data: 2)).write(to: bad)
            #expect(throws: SafeTensorsError.unsupportedDType(file: bad.path, tensor: "w", dtype: "F16")) { try SafeTensorsFile.read(from: bad) }
        }
    }

    // MARK: - Fuzzer regressions

    /// Every input the fuzzer (`make fuzz`, Fuzz/safetensors) ever crashed on, plus hand-made hostile inputs:
    /// each must be refused with a typed error, never crash.
    @Test("Fuzzer regressions: every saved input is refused with a typed error")
    func fuzzRegressions() throws {
        let dir = repositoryRoot.appendingPathComponent("Tests/LayersTests/Regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".md") }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name)))
            #expect(throws: SafeTensorsError.self, "\(name)") { try SafeTensorsFile.decode(bytes, fileName: name) }
        }
    }
}

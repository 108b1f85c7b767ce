import Foundation
#if canImport(Tensor)
import Tensor
#endif

/// Reads NumPy `.npy` arrays (format versions 1, 2 and 3): features from one file, labels from another.
///
/// Supported element types are float32, float64, int32, int64 (either byte order) and uint8, in C
/// (row-major) order. The header is a Python dict literal; it is read by a small strict parser of
/// exactly that grammar — never evaluated — and an object dtype (`'O'`, whose payload is a pickle) or a
/// structured dtype is refused before any payload byte is looked at, so nothing in the file is ever run.
/// Fortran-ordered arrays are refused rather than silently transposed.
///
/// Features: a rank-1 array is n examples of one feature; rank ≥ 2 is `[n, product of the rest]`.
/// Values are converted to Float unchanged (no scaling). Labels: a rank-1 array (or `[n, 1]`) of numbers,
/// mapped to classes by sorted distinct value, kept as `targets` too.
public enum NPYReader {
    /// A parsed `.npy` header.
    struct Header: Equatable {
        var format: ElementFormat
        var shape: [Int]
        var elementCount: Int
    }

    /// Headers longer than this are refused (NumPy itself refuses headers above 10 000 bytes by default).
    static let maximumHeaderLength = 1 << 16

    /// Reads a features array from a file (`.npy`, or `.npy.gz`).
    public static func readFeatures(path: String) throws -> Tensor<Float> {
        try readFeatures(ByteInput(path: path))
    }

    /// Reads a features array from bytes in memory.
    public static func readFeatures(data: Data, name: String = "<NPY bytes>") throws -> Tensor<Float> {
        try readFeatures(ByteInput(data: data, name: name))
    }

    /// Reads a label array from a file.
    public static func readLabels(path: String) throws -> [Double] {
        try readLabels(ByteInput(path: path))
    }

    /// Reads a label array from bytes in memory.
    public static func readLabels(data: Data, name: String = "<NPY labels>") throws -> [Double] {
        try readLabels(ByteInput(data: data, name: name))
    }

    /// Reads features and labels from two files into a data set.
    /// - Parameter nonFinite: what to do with a row whose features or label hold NaN or ±Inf (default:
    ///   throw `DataError.nonFinite`, naming the file, row and column).
    /// - Throws: `DataError.shapeMismatch` if the counts differ, or any header or data error.
    public static func read(features: String, labels: String, nonFinite: NonFiniteValues = .error) throws -> Dataset {
        try dataset(readExamples(ByteInput(path: features)), labels: readLabels(ByteInput(path: labels), finiteOnly: false),
                    labelsName: labels, featuresName: features, nonFinite: nonFinite)
    }

    /// Reads features and labels from bytes in memory.
    public static func read(featureData: Data, labelData: Data, name: String = "<NPY bytes>",
                            nonFinite: NonFiniteValues = .error) throws -> Dataset {
        try dataset(readExamples(ByteInput(data: featureData, name: name)),
                    labels: readLabels(ByteInput(data: labelData, name: name + " (labels)"), finiteOnly: false),
                    labelsName: name + " (labels)", featuresName: name, nonFinite: nonFinite)
    }

    /// Reads a features array alone as an unlabelled data set (data to predict on).
    public static func readUnlabelled(features: String, nonFinite: NonFiniteValues = .error) throws -> Dataset {
        let examples = try readExamples(ByteInput(path: features))
        let set = Dataset(unchecked: examples.features, labels: [], classNames: [], exampleShape: examples.exampleShape)
        return try set.checkingFinite(nonFinite, file: features)
    }

    static func dataset(_ examples: (features: Tensor<Float>, exampleShape: [Int]), labels: [Double], labelsName: String, featuresName: String,
                        nonFinite: NonFiniteValues = .error) throws -> Dataset {
        var features = examples.features
        var labels = labels
        guard features.shape[0] == labels.count else {
            throw DataError.shapeMismatch(file: labelsName, expected: "\(features.shape[0]) labels, one per row of \(featuresName)",
                                          found: "\(labels.count)")
        }
        // Rows with a NaN or ±Inf feature or label: refused, or left out before the classes are counted
        // (so a class seen only in such rows does not linger as an empty class).
        var keep = finiteRows(features)
        for (i, y) in labels.enumerated() where !y.isFinite { keep[i] = false }
        var warnings: [String] = []
        if let firstBad = keep.firstIndex(of: false) {
            switch nonFinite {
            case .error:
                if let bad = firstNonFinite(features), bad.row <= firstBad {
                    throw DataError.nonFinite(file: featuresName, line: nil, row: bad.row, column: bad.column, found: describeNonFinite(bad.value))
                }
                throw DataError.nonFinite(file: labelsName, line: nil, row: firstBad, column: 0, found: "label \(labels[firstBad])")
            case .drop:
                let kept = keep.indices.filter { keep[$0] }
                let dropped = keep.indices.filter { !keep[$0] }
                features = try features.gatherRows(kept)
                labels = kept.map { labels[$0] }
                warnings.append("\(featuresName): left out \(dropped.count) of \(keep.count) rows holding NaN or ±Inf (0-based rows \(listRows(dropped)))")
            }
        }
        let encoding = try LabelEncoding.numeric(labels, file: labelsName)
        var set = Dataset(unchecked: features, labels: encoding.indices, classNames: encoding.classNames, targets: encoding.targets,
                          exampleShape: examples.exampleShape)
        set.warnings = warnings
        return set
    }

    static func readFeatures(_ input: ByteInput) throws -> Tensor<Float> { try readExamples(input).features }

    /// The feature matrix and the shape of one example: the array's trailing dimensions (`[F]` for a
    /// matrix, `[H, W]` or `[C, H, W]` for images, `[T, F]` for sequences).
    static func readExamples(_ input: ByteInput) throws -> (features: Tensor<Float>, exampleShape: [Int]) {
        let header = try readHeader(input)
        let rows = header.shape.first ?? 1
        let trailing = Array(header.shape.dropFirst())
        let columns = try featureWidth(trailing, name: input.name)
        let features = try readMatrix(from: input, format: header.format, rows: rows, columns: columns,
                                      scaleBytes: false, what: "NPY data")
        try input.expectEnd(what: "the \(header.elementCount) elements of shape \(header.shape)")
        return (features, trailing.isEmpty || trailing.contains(0) ? [columns] : trailing)
    }

    /// The labels; with `finiteOnly`, a NaN or ±Inf label is an error naming its offset.
    static func readLabels(_ input: ByteInput, finiteOnly: Bool = true) throws -> [Double] {
        let header = try readHeader(input)
        guard header.shape.count == 1 || (header.shape.count == 2 && header.shape[1] == 1) else {
            throw DataError.shapeMismatch(file: input.name, expected: "a label vector of shape (n,) or (n, 1)",
                                          found: "shape \(header.shape)")
        }
        let start = input.position
        let labels = try readDoubles(from: input, format: header.format, count: header.elementCount, what: "NPY labels")
        try input.expectEnd(what: "the \(header.elementCount) labels")
        if finiteOnly, let bad = labels.firstIndex(where: { !$0.isFinite }) {
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: start + bad * header.format.type.size,
                                      expected: "a finite label (label \(bad))", found: "\(labels[bad])")
        }
        return labels
    }

    /// Reads and validates the magic, version, header length and header dict, and checks the payload
    /// length the header implies against what the input can hold.
    static func readHeader(_ input: ByteInput) throws -> Header {
        let preamble = try input.readBytes(8, what: "the NPY magic and version")
        guard preamble[0..<6].elementsEqual([0x93] + Array("NUMPY".utf8)) else {
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: 0,
                                      expected: "the NPY magic \\x93NUMPY", found: IDXReader.hex(Array(preamble[0..<6])))
        }
        let major = preamble[6]
        guard (1...3).contains(major) else {
            throw DataError.unsupported(file: input.name, reason: "NPY format version \(major).\(preamble[7]) (versions 1–3 are read)")
        }
        let lengthBytes = try input.readBytes(major == 1 ? 2 : 4, what: "the NPY header length")
        let headerLength = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
        guard headerLength <= maximumHeaderLength, headerLength <= (input.maximumSize - input.position) else {
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: 8,
                                      expected: "a header length of at most \(min(maximumHeaderLength, max(0, input.maximumSize - input.position))) bytes",
                                      found: "\(headerLength)")
        }
        let headerStart = input.position
        let text = try input.readBytes(headerLength, what: "the NPY header")
        var parser = NPYHeaderParser(bytes: text, name: input.name, baseOffset: headerStart)
        let header = try parser.parse()
        let dataStart = headerStart + headerLength
        guard let payload = checkedProduct([header.elementCount, header.format.type.size]),
              payload <= Int.max - dataStart else {
            throw DataError.shapeMismatch(file: input.name, expected: "a shape whose size fits in memory", found: "shape \(header.shape)")
        }
        let total = dataStart + payload
        if let exact = input.exactSize, exact != total {
            throw DataError.shapeMismatch(file: input.name,
                                          expected: "\(total) bytes (\(dataStart)-byte header + shape \(header.shape) × \(header.format.type.size) bytes)",
                                          found: "\(exact) bytes")
        }
        if total > input.maximumSize {
            throw DataError.shapeMismatch(file: input.name, expected: "\(total) bytes for shape \(header.shape)",
                                          found: "a compressed file that cannot expand beyond \(input.maximumSize) bytes")
        }
        if let trailer = input.gzipTrailerSize, trailer != UInt32(truncatingIfNeeded: total) {
            throw DataError.shapeMismatch(file: input.name, expected: "\(total) bytes for shape \(header.shape)",
                                          found: "a gzip trailer giving the uncompressed length as \(trailer) (mod 2³²) bytes — truncated or altered?")
        }
        return header
    }
}

/// A strict parser for the one Python literal an `.npy` header holds:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` followed by spaces and a newline.
///
/// Grammar: a dict of string keys; values are strings, `True`/`False`, or tuples of non-negative
/// integers. Exactly the keys `descr`, `fortran_order` and `shape`, each once. Anything else — a list
/// (structured dtype), a call, an expression — is an error pointing at its byte offset.
struct NPYHeaderParser {
    let bytes: [UInt8]
    let name: String
    /// Offset of `bytes[0]` in the file, for messages.
    let baseOffset: Int
    var i = 0

    init(bytes: [UInt8], name: String, baseOffset: Int) {
        self.bytes = bytes
        self.name = name
        self.baseOffset = baseOffset
    }

    enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    func error(_ expected: String) -> DataError {
        let found: String
        if i >= bytes.count { found = "the end of the header" } else {
            found = bytes.withUnsafeBufferPointer { quoted($0, i..<min(bytes.count, i + 16), limit: 16) }
        }
        return .malformed(file: name, line: nil, column: nil, offset: baseOffset + i, expected: expected + " in the NPY header", found: found)
    }

    mutating func skipSpaces() {
        while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
    }

    mutating func expect(_ c: Character) throws {
        skipSpaces()
        guard i < bytes.count, bytes[i] == c.asciiValue! else { throw error("'\(c)'") }
        i += 1
    }

    mutating func peek(_ c: Character) -> Bool {
        skipSpaces()
        return i < bytes.count && bytes[i] == c.asciiValue!
    }

    mutating func parseString() throws -> String {
        skipSpaces()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\"") else { throw error("a quoted string") }
        let delimiter = bytes[i]
        i += 1
        let start = i
        while i < bytes.count && bytes[i] != delimiter {
            // Escapes never occur in the strings NumPy writes; refusing them keeps the grammar tiny.
            guard bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20, bytes[i] < 0x7F else { throw error("a plain ASCII string character") }
            i += 1
        }
        guard i < bytes.count else { throw error("a closing quote") }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        i += 1
        return text
    }

    mutating func parseInteger() throws -> Int {
        skipSpaces()
        let start = i
        var value = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { i = start; throw error("a dimension that fits in 64 bits") }
            value = a
            i += 1
        }
        guard i > start else { throw error("a non-negative integer") }
        return value
    }

    mutating func parseValue() throws -> Value {
        skipSpaces()
        guard i < bytes.count else { throw error("a value") }
        switch bytes[i] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "("):
            i += 1
            var items: [Int] = []
            if peek(")") { i += 1; return .tuple(items) }
            while true {
                items.append(try parseInteger())
                guard items.count <= 32 else { throw error("at most 32 dimensions") }
                if peek(",") {
                    i += 1
                    if peek(")") { i += 1; return .tuple(items) }
                    continue
                }
                try expect(")")
                return .tuple(items)
            }
        default:
            for (word, value) in [("True", true), ("False", false)] where bytes[i...].starts(with: word.utf8) {
                i += word.utf8.count
                return .bool(value)
            }
            if bytes[i] == UInt8(ascii: "[") {
                throw DataError.unsupported(file: name, reason: "structured dtype (a list of fields) at byte \(baseOffset + i); only plain numeric arrays are read")
            }
            throw error("a string, True, False or a tuple of integers")
        }
    }

    mutating func parse() throws -> NPYReader.Header {
        try expect("{")
        var entries: [String: Value] = [:]
        while !peek("}") {
            let keyOffset = i
            let key = try parseString()
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                i = keyOffset
                throw error("one of the keys 'descr', 'fortran_order', 'shape'")
            }
            guard entries[key] == nil else { i = keyOffset; throw error("each key once ('\(key)' repeated)") }
            try expect(":")
            entries[key] = try parseValue()
            if peek(",") { i += 1 } else { break }
        }
        try expect("}")
        // NumPy pads with spaces and ends the header with a newline; nothing else may follow the dict.
        skipSpaces()
        if i < bytes.count && bytes[i] == 0x0A { i += 1 }
        skipSpaces()
        guard i == bytes.count else { throw error("only padding after the header dict") }

        guard case .string(let descr)? = entries["descr"] else { throw error("a 'descr' string") }
        guard case .bool(let fortran)? = entries["fortran_order"] else { throw error("a 'fortran_order' of True or False") }
        guard case .tuple(let shape)? = entries["shape"] else { throw error("a 'shape' tuple") }
        if fortran {
            throw DataError.unsupported(file: name, reason: "Fortran-ordered (column-major) array; save it with numpy.ascontiguousarray first")
        }
        let format = try elementFormat(descr)
        guard let count = checkedProduct(shape) else {
            throw DataError.shapeMismatch(file: name, expected: "a shape whose size fits in memory", found: "shape \(shape)")
        }
        return NPYReader.Header(format: format, shape: shape, elementCount: count)
    }

    /// Maps a dtype string such as `<f4` to an element format.
    func elementFormat(_ descr: String) throws -> ElementFormat {
        let chars = Array(descr.utf8)
        guard chars.count >= 2 else { throw DataError.unsupported(file: name, reason: "dtype '\(descr)'") }
        let order = chars[0]
        let kind = String(decoding: chars.dropFirst(), as: UTF8.self)
        if kind.hasPrefix("O") {
            throw DataError.unsupported(file: name, reason: "object array (dtype '\(descr)'): its payload is a pickle, which is never loaded")
        }
        let type: ElementType
        switch kind {
        case "f4": type = .float32
        case "f8": type = .float64
        case "i4": type = .int32
        case "i8": type = .int64
        case "u1": type = .uint8
        default:
            throw DataError.unsupported(file: name, reason: "dtype '\(descr)' (supported: float32, float64, int32, int64, uint8)")
        }
        switch order {
        case UInt8(ascii: "<"), UInt8(ascii: "="): return ElementFormat(type: type, bigEndian: false)   // '=' is native: this package runs on little-endian CPUs
        case UInt8(ascii: ">"): return ElementFormat(type: type, bigEndian: true)
        case UInt8(ascii: "|") where type.size == 1: return ElementFormat(type: type, bigEndian: false)
        default:
            throw DataError.unsupported(file: name, reason: "dtype '\(descr)': byte order must be '<', '>' (or '|' for one-byte types)")
        }
    }
}

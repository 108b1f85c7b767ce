import Foundation
#if canImport(Tensor)
import Tensor
#endif

/// How to read a CSV file.
public struct CSVOptions: Sendable, Equatable {
    /// Whether the first row names the columns.
    public enum Header: Sendable, Equatable {
        /// Guess: the first row is a header when some column holds text there and a number in the second row.
        case auto
        case present
        case absent
    }

    /// The field separator.
    public enum Delimiter: Sendable, Equatable {
        /// Guess from the first lines: tab or semicolon when every sampled line has one, comma otherwise.
        case auto
        case comma, semicolon, tab

        var byte: UInt8? {
            switch self {
            case .auto: return nil
            case .comma: return UInt8(ascii: ",")
            case .semicolon: return UInt8(ascii: ";")
            case .tab: return 0x09
            }
        }
    }

    /// Which column holds the label.
    public enum LabelColumn: Sendable, Equatable {
        /// The last column (the common layout, and the default).
        case last
        /// The column at a 0-based index.
        case index(Int)
        /// The column with this header name (requires a header).
        case name(String)
        /// No label column: every column is a feature (data to predict on).
        case none
    }

    /// What to do with a row whose feature is empty or not a number.
    public enum MissingValues: Sendable, Equatable {
        /// Throw, naming the file, line and column (the default: silent repairs hide broken files).
        case error
        /// Leave such rows out.
        case dropRows
        /// Replace each missing feature with the mean of its column over the rows where it is present.
        /// (A missing label cannot be imputed and is still an error.)
        case imputeMean
    }

    /// Whether the first row is a header (default: guess).
    public var header: Header
    /// The field separator (default: guess).
    public var delimiter: Delimiter
    /// The label column (default: the last).
    public var label: LabelColumn
    /// What to do with missing or non-numeric features (default: throw).
    public var missing: MissingValues

    /// Options with the defaults above.
    public init(header: Header = .auto, delimiter: Delimiter = .auto, label: LabelColumn = .last,
                missing: MissingValues = .error) {
        self.header = header
        self.delimiter = delimiter
        self.label = label
        self.missing = missing
    }
}

/// Reads comma-, semicolon- or tab-separated values (RFC 4180 quoting), plain or gzip-compressed.
///
/// Every column but the label column must be numeric. Labels may be numbers (classes sorted
/// numerically; the values are also kept as `targets` for regression) or text (classes sorted by text).
/// Fields may be quoted with `"`, a doubled `""` standing for one quote; quoted fields may span lines.
/// Blank lines are skipped. A row with the wrong number of fields, or a feature that is missing or not a
/// number, is an error naming the file, line and column unless `CSVOptions.missing` says otherwise.
///
/// ```swift
/// let iris = try CSVReader(options: .init(label: .name("species"))).read(path: "iris.csv")
/// ```
public struct CSVReader: Sendable {
    /// How files are read.
    public var options: CSVOptions

    /// A reader with the given options.
    public init(options: CSVOptions = CSVOptions()) {
        self.options = options
    }

    /// Reads a CSV file (`.gz` compressed or not).
    public func read(path: String) throws -> Dataset {
        let input = try ByteInput(path: path)
        return try parse(input.readAll(), name: path)
    }

    /// Reads CSV text from memory (gzip-compressed or not); `name` is used in error messages.
    public func read(data: Data, name: String = "<CSV bytes>") throws -> Dataset {
        let input = try ByteInput(data: data, name: name)
        return try parse(input.readAll(), name: name)
    }

    func parse(_ text: [UInt8], name: String) throws -> Dataset {
        try text.withUnsafeBufferPointer { try parse($0, name: name) }
    }

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> Dataset {
        var start = 0
        // A UTF-8 byte-order mark, as spreadsheet exports write it, is not part of the first field.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        let delimiter = options.delimiter.byte ?? CSVTokenizer.detectDelimiter(bytes, from: start)
        var tokenizer = CSVTokenizer(bytes: bytes, delimiter: delimiter, name: name, position: start)

        // First record, and a peek at the second to decide whether the first is a header.
        var first: [CSVField] = [], second: [CSVField] = []
        let startState = tokenizer
        guard try tokenizer.next(into: &first) != nil else {
            throw DataError.malformed(file: name, line: 1, column: nil, offset: nil,
                                      expected: "a header or a data row", found: "an empty file")
        }
        let hasSecond = try tokenizer.next(into: &second) != nil
        tokenizer = startState
        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto:
            if case .name = options.label {
                hasHeader = true
            } else if hasSecond && second.count == first.count {
                hasHeader = zip(first, second).contains { a, b in
                    !a.isEmpty && parseNumber(bytes, a.range) == nil && parseNumber(bytes, b.range) != nil
                }
            } else {
                hasHeader = !first.contains { parseNumber(bytes, $0.range) != nil }
            }
        }
        let columns = first.count
        var names: [String]? = nil
        if hasHeader {
            names = first.map { tokenizer.text($0) }
            _ = try tokenizer.next(into: &first)
        }

        let labelColumn: Int?
        switch options.label {
        case .last: labelColumn = columns - 1
        case .none: labelColumn = nil
        case .index(let i):
            guard (0..<columns).contains(i) else {
                throw DataError.invalidArgument(op: "CSV \(name)", reason: "label column \(i) is not among the \(columns) columns (0..<\(columns))")
            }
            labelColumn = i
        case .name(let wanted):
            guard let names, let i = names.firstIndex(of: wanted) else {
                throw DataError.invalidArgument(op: "CSV \(name)",
                                                reason: "no column named \(quoted(wanted)); the header has \(names.map { $0.map { quoted($0) }.joined(separator: ", ") } ?? "no names")")
            }
            labelColumn = i
        }
        let featureCount = columns - (labelColumn == nil ? 0 : 1)
        guard featureCount > 0 else {
            throw DataError.shapeMismatch(file: name, expected: "at least one feature column besides the label", found: "\(columns) column(s)")
        }

        // Values go straight into one flat Float array; labels are kept as byte ranges into the text
        // until the end, when it is known whether they are all numbers.
        var values: [Float] = []
        values.reserveCapacity(min(bytes.count / 2, 1 << 24))
        var labelFields: [CSVField] = []
        var incompleteRows: [Int] = []   // rows holding a missing feature (NaN) when dropping or imputing
        var fields: [CSVField] = []
        var row = 0
        while let line = try tokenizer.next(into: &fields) {
            guard fields.count == columns else {
                throw DataError.malformed(file: name, line: line, column: nil, offset: nil,
                                          expected: "\(columns) fields like \(hasHeader ? "the header" : "the first row")",
                                          found: "\(fields.count) fields")
            }
            var incomplete = false
            for (j, field) in fields.enumerated() {
                if j == labelColumn {
                    if field.isEmpty {
                        guard options.missing == .dropRows else {
                            throw DataError.malformed(file: name, line: line, column: j + 1, offset: nil,
                                                      expected: "a label", found: "an empty field")
                        }
                        incomplete = true
                    }
                    labelFields.append(field)
                    continue
                }
                if let v = parseNumber(bytes, field.range) {
                    values.append(Float(v))
                } else {
                    guard options.missing != .error else {
                        let columnName = names.map { " (column \(quoted($0[j])))" } ?? ""
                        throw DataError.malformed(file: name, line: line, column: j + 1, offset: nil,
                                                  expected: "a number\(columnName)",
                                                  found: field.isEmpty ? "an empty field" : quoted(bytes, field.range))
                    }
                    values.append(.nan)
                    incomplete = true
                }
            }
            if incomplete { incompleteRows.append(row) }
            row += 1
        }

        var rowCount = row
        if !incompleteRows.isEmpty {
            switch options.missing {
            case .error:
                break
            case .dropRows:
                var keep = [Bool](repeating: true, count: rowCount)
                for r in incompleteRows { keep[r] = false }
                var write = 0
                for r in 0..<rowCount where keep[r] {
                    if write != r {
                        for c in 0..<featureCount { values[write * featureCount + c] = values[r * featureCount + c] }
                        if labelColumn != nil { labelFields[write] = labelFields[r] }
                    }
                    write += 1
                }
                rowCount = write
                values.removeSubrange((write * featureCount)...)
                if labelColumn != nil { labelFields.removeSubrange(write...) }
            case .imputeMean:
                var sums = [Double](repeating: 0, count: featureCount)
                var counts = [Int](repeating: 0, count: featureCount)
                for r in 0..<rowCount {
                    for c in 0..<featureCount where !values[r * featureCount + c].isNaN {
                        sums[c] += Double(values[r * featureCount + c]); counts[c] += 1
                    }
                }
                for r in incompleteRows {
                    for c in 0..<featureCount where values[r * featureCount + c].isNaN {
                        guard counts[c] > 0 else {
                            let columnName = names.map { " \(quoted($0[c < (labelColumn ?? Int.max) ? c : c + 1]))" } ?? ""
                            throw DataError.invalidArgument(op: "CSV \(name)", reason: "column\(columnName) has no numeric value to impute a mean from")
                        }
                        values[r * featureCount + c] = Float(sums[c] / Double(counts[c]))
                    }
                }
            }
        }

        let features = try Tensor<Float>(values, shape: [rowCount, featureCount])
        var featureNames = names
        if let labelColumn { featureNames?.remove(at: labelColumn) }
        guard labelColumn != nil else {
            return Dataset(unchecked: features, labels: [], classNames: [], featureNames: featureNames)
        }
        let encoding = labelEncoding(labelFields, tokenizer: tokenizer)
        return Dataset(unchecked: features, labels: encoding.indices, classNames: encoding.classNames,
                       targets: encoding.targets, featureNames: featureNames)
    }

    /// Numbers when every label parses as one, text otherwise.
    private func labelEncoding(_ fields: [CSVField], tokenizer: CSVTokenizer) -> LabelEncoding {
        var numbers: [Double] = []
        numbers.reserveCapacity(fields.count)
        for field in fields {
            guard let v = parseNumber(tokenizer.bytes, field.range) else { numbers.removeAll(); break }
            numbers.append(v)
        }
        if numbers.count == fields.count { return .numeric(numbers) }
        var ids: [Int] = []
        ids.reserveCapacity(fields.count)
        var idOf: [String: Int] = [:]
        var names: [String] = []
        for field in fields {
            let text = tokenizer.text(field)
            if let id = idOf[text] { ids.append(id) } else {
                idOf[text] = names.count; ids.append(names.count); names.append(text)
            }
        }
        return .text(ids: ids, names: names)
    }
}

/// One field of a record: a byte range of the file (inside the quotes for a quoted field).
struct CSVField {
    var range: Range<Int>
    var quoted: Bool
    /// Whether the quoted content holds doubled quotes that must be collapsed to read it as text.
    var escaped: Bool
    var isEmpty: Bool { range.isEmpty && !quoted }
}

/// Splits CSV bytes into records and fields (RFC 4180), tracking physical line numbers for messages.
struct CSVTokenizer {
    let bytes: UnsafeBufferPointer<UInt8>
    let delimiter: UInt8
    let name: String
    var position: Int
    /// Physical line (1-based) at `position`.
    var line = 1

    init(bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, name: String, position: Int) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.name = name
        self.position = position
    }

    private static let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// Reads the next non-blank record into `fields`; returns the line it starts on, or nil at the end.
    mutating func next(into fields: inout [CSVField]) throws -> Int? {
        fields.removeAll(keepingCapacity: true)
        let n = bytes.count
        // Skip blank lines (including a trailing newline at the end of the file).
        while position < n {
            if bytes[position] == Self.newline { position += 1; line += 1 }
            else if bytes[position] == Self.carriageReturn && position + 1 < n && bytes[position + 1] == Self.newline { position += 2; line += 1 }
            else { break }
        }
        guard position < n else { return nil }
        let startLine = line
        while true {
            if position < n && bytes[position] == Self.quote {
                let openLine = line
                position += 1
                let start = position
                var escaped = false
                while true {
                    guard position < n else {
                        throw DataError.malformed(file: name, line: openLine, column: fields.count + 1, offset: nil,
                                                  expected: "a closing quote for the field opened here", found: "the end of the file")
                    }
                    let c = bytes[position]
                    if c == Self.quote {
                        if position + 1 < n && bytes[position + 1] == Self.quote { escaped = true; position += 2; continue }
                        break
                    }
                    if c == Self.newline { line += 1 }
                    position += 1
                }
                fields.append(CSVField(range: start..<position, quoted: true, escaped: escaped))
                position += 1   // past the closing quote
                if position < n {
                    let c = bytes[position]
                    guard c == delimiter || c == Self.newline || c == Self.carriageReturn else {
                        throw DataError.malformed(file: name, line: line, column: fields.count, offset: nil,
                                                  expected: "a delimiter or the end of the line after a closing quote",
                                                  found: quoted(bytes, position..<min(n, position + 10)))
                    }
                }
            } else {
                let start = position
                while position < n {
                    let c = bytes[position]
                    if c == delimiter || c == Self.newline || c == Self.carriageReturn { break }
                    if c == Self.quote {
                        throw DataError.malformed(file: name, line: line, column: fields.count + 1, offset: nil,
                                                  expected: "a quote only at the start of a field (RFC 4180: quote the whole field and double inner quotes)",
                                                  found: quoted(bytes, start..<min(n, position + 10)))
                    }
                    position += 1
                }
                fields.append(CSVField(range: start..<position, quoted: false, escaped: false))
            }
            guard position < n else { return startLine }
            let c = bytes[position]
            if c == delimiter { position += 1; continue }
            if c == Self.carriageReturn {
                position += 1
                if position < n && bytes[position] == Self.newline { position += 1 }
            } else {
                position += 1
            }
            line += 1
            return startLine
        }
    }

    /// A field as text, with doubled quotes collapsed and surrounding spaces of unquoted fields trimmed.
    func text(_ field: CSVField) -> String {
        let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[field.range]), as: UTF8.self)
        if field.escaped { return raw.replacingOccurrences(of: "\"\"", with: "\"") }
        return field.quoted ? raw : raw.trimmingCharacters(in: .whitespaces)
    }

    /// Tab or semicolon when each of the first few lines has at least one outside quotes, else comma.
    static func detectDelimiter(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt8 {
        let candidates: [UInt8] = [0x09, UInt8(ascii: ";"), UInt8(ascii: ",")]
        var linesSeen = 0
        var everyLine = [Bool](repeating: true, count: 3)
        var inLine = [Bool](repeating: false, count: 3)
        var inQuotes = false
        var i = start
        var lineHasContent = false
        while i < bytes.count && linesSeen < 5 {
            let c = bytes[i]
            if c == quote { inQuotes.toggle() }
            if !inQuotes {
                if c == newline {
                    if lineHasContent {
                        for k in 0..<3 { everyLine[k] = everyLine[k] && inLine[k]; inLine[k] = false }
                        linesSeen += 1
                    }
                    lineHasContent = false
                } else if c != carriageReturn {
                    lineHasContent = true
                    if let k = candidates.firstIndex(of: c) { inLine[k] = true }
                }
            }
            i += 1
        }
        if lineHasContent { for k in 0..<3 { everyLine[k] = everyLine[k] && inLine[k] } }
        if linesSeen == 0 && !lineHasContent { return UInt8(ascii: ",") }
        for k in 0..<3 where everyLine[k] { return candidates[k] }
        return UInt8(ascii: ",")
    }
}

import Foundation
#if canImport(Tensor)
import Tensor
#endif

/// How to read a CSV file.
public struct CSVOptions: Sendable, Equatable {
    /// Whether the first row names the columns.
    public enum Header: Sendable, Equatable {
        /// Guess. The first row is a header when some column holds text there and a number in the second
        /// row; when it holds every feature name of `expected`; or — with a warning in
        /// `Dataset.warnings` — when its label occurs in no other row while every other label occurs at
        /// least twice (a header `0,1,2,label` over text labels, which the first rule cannot see).
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
        /// The last column (the common layout, and the default). With `expected`, it means "as the model
        /// was trained": the model's label column by name, else the one column left over, else none.
        case last
        /// The column at a 0-based index.
        case index(Int)
        /// The column with this header name (requires a header).
        case name(String)
        /// No label column: every column is a feature (data to predict on).
        case none
    }

    /// What to do with a row whose feature is missing: an empty field, a missing-value marker (`NA`,
    /// `null`, …), NaN or ±Inf, or a number beyond Float's range. Text that is not a number at all is an
    /// error in every mode. A label that is empty, NaN or ±Inf is missing too.
    public enum MissingValues: Sendable, Equatable {
        /// Throw, naming the file, line and column (the default: silent repairs hide broken files).
        case error
        /// Leave such rows out (listed in `Dataset.warnings`).
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
    /// What to do with missing or non-finite features (default: throw).
    public var missing: MissingValues
    /// The columns a trained model reads, when reading a file to evaluate or predict on (default: none).
    public var expected: ExpectedColumns?

    /// Options with the defaults above.
    public init(header: Header = .auto, delimiter: Delimiter = .auto, label: LabelColumn = .last,
                missing: MissingValues = .error, expected: ExpectedColumns? = nil) {
        self.header = header
        self.delimiter = delimiter
        self.label = label
        self.missing = missing
        self.expected = expected
    }
}

/// The columns a trained model reads: what `CSVReader` matches a file against when it is read for
/// evaluation or prediction.
///
/// A file with a header is matched by name when the model knows its feature names: the features are
/// taken in the model's order wherever they stand, the label is the model's label column (or the one
/// column left over, or none), and a feature the file lacks or a column that is neither is an error
/// naming it. A file without a header is matched by position; with `LabelColumn.last`, a file of exactly
/// `featureCount` columns is read as unlabelled.
public struct ExpectedColumns: Sendable, Equatable {
    /// The number of features the model reads.
    public var featureCount: Int
    /// The model's feature names in its order, when its training file had a header.
    public var featureNames: [String]?
    /// The label column's name in the training file, when it had a header.
    public var labelName: String?

    public init(featureCount: Int, featureNames: [String]? = nil, labelName: String? = nil) {
        self.featureCount = featureCount
        self.featureNames = featureNames
        self.labelName = labelName
    }
}

/// Reads comma-, semicolon- or tab-separated values (RFC 4180 quoting), plain or gzip-compressed.
///
/// Every column but the label column must be numeric. Labels may be numbers (classes sorted
/// numerically; the values are also kept as `targets` for regression) or text (classes sorted by text).
/// Fields may be quoted with `"`, a doubled `""` standing for one quote; quoted fields may span lines.
/// Blank lines are skipped. A row with the wrong number of fields, or a feature that is missing, not
/// finite or not a number, is an error naming the file, line and column unless `CSVOptions.missing`
/// says otherwise.
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

    /// Where the label is and which column feeds each feature (`featureColumns[k]` is feature k's column).
    struct Layout {
        var label: Int?
        var featureColumns: [Int]
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
        let firstTexts = first.map { tokenizer.text($0) }
        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto:
            if case .name = options.label {
                hasHeader = true
            } else if let wanted = options.expected?.featureNames, !wanted.isEmpty, Set(wanted).isSubset(of: firstTexts) {
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
            names = firstTexts
            _ = try tokenizer.next(into: &first)
        }
        let layout = try self.layout(columns: columns, names: names, name: name)
        let labelColumn = layout.label
        let featureCount = layout.featureColumns.count
        guard featureCount > 0 else {
            throw DataError.shapeMismatch(file: name, expected: "at least one feature column besides the label", found: "\(columns) column(s)")
        }
        var slotOf = [Int](repeating: -1, count: columns)
        for (k, j) in layout.featureColumns.enumerated() { slotOf[j] = k }
        func columnName(_ j: Int) -> String { names.map { " (column \(quoted($0[j])))" } ?? "" }

        // Values go straight into one flat Float array, in the layout's feature order; labels are kept as
        // byte ranges into the text until the end, when it is known whether they are all numbers.
        var values: [Float] = []
        values.reserveCapacity(min(bytes.count / 2, 1 << 24))
        var labelFields: [CSVField] = []
        var incompleteRows: [(row: Int, line: Int)] = []   // rows holding a missing value (NaN) when dropping or imputing
        var fields: [CSVField] = []
        var row = 0
        while let line = try tokenizer.next(into: &fields) {
            guard fields.count == columns else {
                throw DataError.malformed(file: name, line: line, column: nil, offset: nil,
                                          expected: "\(columns) fields like \(hasHeader ? "the header" : "the first row")",
                                          found: "\(fields.count) fields")
            }
            var incomplete = false
            let base = values.count
            values.append(contentsOf: repeatElement(0, count: featureCount))
            for (j, field) in fields.enumerated() {
                if j == labelColumn {
                    if field.isEmpty || isNonFiniteSpelling(bytes, field.range) {
                        guard options.missing == .dropRows else {
                            if field.isEmpty {
                                throw DataError.malformed(file: name, line: line, column: j + 1, offset: nil,
                                                          expected: "a label", found: "an empty field")
                            }
                            throw DataError.nonFinite(file: name, line: line, row: nil, column: j + 1, found: "label \(quoted(bytes, field.range))")
                        }
                        incomplete = true
                    }
                    labelFields.append(field)
                    continue
                }
                let slot = slotOf[j]
                guard slot >= 0 else { continue }
                if let v = parseNumber(bytes, field.range) {
                    if let f = finiteFloat(v) {
                        values[base + slot] = f
                        continue
                    }
                    guard options.missing != .error else {
                        throw DataError.nonFinite(file: name, line: line, row: nil, column: j + 1,
                                                  found: "\(quoted(bytes, field.range)), beyond Float's range (±3.4e38)\(columnName(j))")
                    }
                } else if field.isEmpty || isMissingValue(bytes, field.range) {
                    guard options.missing != .error else {
                        if isNonFiniteSpelling(bytes, field.range) {
                            throw DataError.nonFinite(file: name, line: line, row: nil, column: j + 1,
                                                      found: "\(quoted(bytes, field.range))\(columnName(j))")
                        }
                        throw DataError.malformed(file: name, line: line, column: j + 1, offset: nil,
                                                  expected: "a number\(columnName(j))",
                                                  found: field.isEmpty ? "an empty field" : quoted(bytes, field.range))
                    }
                } else {
                    throw DataError.malformed(file: name, line: line, column: j + 1, offset: nil,
                                              expected: "a number\(columnName(j))", found: quoted(bytes, field.range))
                }
                values[base + slot] = .nan
                incomplete = true
            }
            if incomplete { incompleteRows.append((row, line)) }
            row += 1
        }

        var rowCount = row
        if options.header == .auto && !hasHeader && labelColumn != nil,
           let why = suspectHeader(labelFields, firstTexts: firstTexts, tokenizer: tokenizer) {
            // Read again with the header declared: the first row's names become the columns' names.
            var options = self.options
            options.header = .present
            var set = try CSVReader(options: options).parse(bytes, name: name)
            set.warnings.insert("\(name): the first row is taken as a header: \(why) (declare the header absent to read it as data)", at: 0)
            return set
        }

        var warnings: [String] = []
        if !incompleteRows.isEmpty {
            switch options.missing {
            case .error:
                break
            case .dropRows:
                var keep = [Bool](repeating: true, count: rowCount)
                for r in incompleteRows { keep[r.row] = false }
                var write = 0
                for r in 0..<rowCount where keep[r] {
                    if write != r {
                        for c in 0..<featureCount { values[write * featureCount + c] = values[r * featureCount + c] }
                        if labelColumn != nil { labelFields[write] = labelFields[r] }
                    }
                    write += 1
                }
                warnings.append("\(name): left out \(rowCount - write) of \(rowCount) rows with a missing or non-finite value (lines \(listRows(incompleteRows.map(\.line))))")
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
                var imputed = 0
                for (r, _) in incompleteRows {
                    for c in 0..<featureCount where values[r * featureCount + c].isNaN {
                        guard counts[c] > 0 else {
                            throw DataError.invalidArgument(op: "CSV \(name)",
                                                            reason: "column \(layout.featureColumns[c] + 1)\(columnName(layout.featureColumns[c])) has no numeric value to impute a mean from")
                        }
                        values[r * featureCount + c] = Float(sums[c] / Double(counts[c]))
                        imputed += 1
                    }
                }
                warnings.append("\(name): imputed \(imputed) missing values in \(incompleteRows.count) rows with their column's mean")
            }
        }

        let features = try Tensor<Float>(values, shape: [rowCount, featureCount])
        let featureNames = names.map { n in layout.featureColumns.map { n[$0] } }
        guard let labelColumn else {
            var set = Dataset(unchecked: features, labels: [], classNames: [], featureNames: featureNames)
            set.warnings = warnings
            return set
        }
        let encoding = try labelEncoding(labelFields, tokenizer: tokenizer)
        var set = Dataset(unchecked: features, labels: encoding.indices, classNames: encoding.classNames,
                          targets: encoding.targets, featureNames: featureNames)
        set.labelName = names?[labelColumn]
        set.warnings = warnings
        return set
    }

    /// The label column and the feature columns for a file of `columns` columns (header `names`, if any).
    func layout(columns: Int, names: [String]?, name: String) throws -> Layout {
        var label: Int? = nil
        var labelGiven = true
        switch options.label {
        case .none:
            label = nil
        case .index(let i):
            guard (0..<columns).contains(i) else {
                throw DataError.invalidArgument(op: "CSV \(name)", reason: "label column \(i) is not among the \(columns) columns (0..<\(columns))")
            }
            label = i
        case .name(let wanted):
            guard let names, let i = names.firstIndex(of: wanted) else {
                throw DataError.invalidArgument(op: "CSV \(name)",
                                                reason: "no column named \(quoted(wanted)); the header has \(names.map(quotedList) ?? "no names")")
            }
            label = i
        case .last:
            labelGiven = false
        }
        if let expected = options.expected, let wanted = expected.featureNames, let names {
            // By name: the model's features wherever they stand, in the model's order.
            var columnOf: [String: Int] = [:]
            for (j, n) in names.enumerated() {
                if let previous = columnOf[n] {
                    if wanted.contains(n) || n == expected.labelName {
                        throw DataError.invalidArgument(op: name, reason: "the header names column \(quoted(n)) twice (columns \(previous + 1) and \(j + 1))")
                    }
                } else {
                    columnOf[n] = j
                }
            }
            let absent = wanted.filter { columnOf[$0] == nil }
            guard absent.isEmpty else {
                let which = absent.count == 1 ? "no column named \(quoted(absent[0])), a feature of the model"
                                              : "no columns named \(quotedList(absent)), features of the model"
                throw DataError.invalidArgument(op: name, reason: "\(which); "
                                                + "the model's features are \(quotedList(wanted)), the header has \(quotedList(names))")
            }
            let featureColumns = wanted.compactMap { columnOf[$0] }
            if !labelGiven {
                if let l = expected.labelName, let j = columnOf[l], !featureColumns.contains(j) {
                    label = j
                } else {
                    let rest = (0..<columns).filter { !featureColumns.contains($0) }
                    label = rest.count == 1 ? rest[0] : nil
                }
            }
            if let label, featureColumns.contains(label) {
                throw DataError.invalidArgument(op: name, reason: "column \(quoted(names[label])) is the label column and a feature of the model")
            }
            let extra = (0..<columns).filter { !featureColumns.contains($0) && $0 != label }
            guard extra.isEmpty else {
                let labelText = expected.labelName.map { " nor its label \(quoted($0))" } ?? ""
                throw DataError.invalidArgument(op: name, reason: "column \(quoted(names[extra[0]]))\(extra.count > 1 ? " (and \(extra.count - 1) more)" : "") is neither a feature of the model\(labelText); "
                                                + "the model's features are \(quotedList(wanted))")
            }
            return Layout(label: label, featureColumns: featureColumns)
        }
        if !labelGiven {
            // By position: a file with exactly the model's features has no label column.
            label = options.expected?.featureCount == columns ? nil : columns - 1
        }
        return Layout(label: label, featureColumns: (0..<columns).filter { $0 != label })
    }

    /// Why the first record, read as data, looks like a header instead: its label occurs in no other row,
    /// every other label occurs at least twice, the labels are text, and its fields are distinct. Nil
    /// when it does not look like one.
    private func suspectHeader(_ labels: [CSVField], firstTexts: [String], tokenizer: CSVTokenizer) -> String? {
        guard labels.count >= 5, Set(firstTexts).count == firstTexts.count else { return nil }
        var counts: [String: Int] = [:]
        for field in labels { counts[tokenizer.text(field), default: 0] += 1 }
        let firstLabel = tokenizer.text(labels[0])
        guard counts[firstLabel] == 1, counts.count >= 2,
              parseNumber(tokenizer.bytes, labels[0].range) == nil,
              counts.allSatisfy({ $0.key == firstLabel || $0.value >= 2 }) else { return nil }
        return "its label \(quoted(firstLabel)) occurs in no other row, while every other label occurs at least twice"
    }

    /// Numbers when every label parses as one, text otherwise.
    private func labelEncoding(_ fields: [CSVField], tokenizer: CSVTokenizer) throws -> LabelEncoding {
        var numbers: [Double] = []
        numbers.reserveCapacity(fields.count)
        for field in fields {
            guard let v = parseNumber(tokenizer.bytes, field.range) else { numbers.removeAll(); break }
            numbers.append(v)
        }
        if numbers.count == fields.count { return try .numeric(numbers, file: tokenizer.name) }
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

/// Names for a message: quoted, comma-separated, cut after ten.
func quotedList(_ names: [String]) -> String {
    names.prefix(10).map { quoted($0) }.joined(separator: ", ") + (names.count > 10 ? ", … (\(names.count) in all)" : "")
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

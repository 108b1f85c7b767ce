import Foundation
#if canImport(Tensor)
import Tensor
#endif

/// How to read a LIBSVM / SVMlight file.
public struct LIBSVMOptions: Sendable, Equatable {
    /// The number of features. When nil it is inferred as the largest index in the file; give it to
    /// read a test file whose rows happen not to use the last features with the training file's width.
    public var dimension: Int?
    /// The dense matrix may hold at most this many values (default 2²⁸, 1 GiB of Float): indices are
    /// data, so one line with index 10⁹ must not make the reader allocate gigabytes.
    public var maximumScalars: Int
    /// What to do with a row whose label or a value is NaN, ±Inf or beyond Float's range (default: throw).
    public var nonFinite: NonFiniteValues

    /// Options: inferred dimension, a 1 GiB dense limit and non-finite values refused unless given.
    public init(dimension: Int? = nil, maximumScalars: Int = 1 << 28, nonFinite: NonFiniteValues = .error) {
        self.dimension = dimension
        self.maximumScalars = maximumScalars
        self.nonFinite = nonFinite
    }
}

/// Reads the sparse text format of LIBSVM and SVMlight into a dense feature matrix.
///
/// Each line is `label index:value index:value …`: a numeric label, then 1-based feature indices in any
/// order with their values; features not listed are zero. A `qid:n` token (SVMlight's query id) is
/// ignored, `#` starts a comment, blank lines are skipped. A zero, negative, duplicated or out-of-range
/// index, or a value that is not a number, is an error naming the line and column; so is a NaN or ±Inf
/// value or label, or one beyond Float's range, unless `LIBSVMOptions.nonFinite` drops such rows.
public struct LIBSVMReader: Sendable {
    /// How files are read.
    public var options: LIBSVMOptions

    /// A reader with the given options.
    public init(options: LIBSVMOptions = LIBSVMOptions()) {
        self.options = options
    }

    /// Reads a LIBSVM file (`.gz` compressed or not).
    public func read(path: String) throws -> Dataset {
        try parse(ByteInput(path: path).readAll(), name: path)
    }

    /// Reads LIBSVM text from memory; `name` is used in error messages.
    public func read(data: Data, name: String = "<LIBSVM bytes>") throws -> Dataset {
        try parse(ByteInput(data: data, name: name).readAll(), name: name)
    }

    func parse(_ text: [UInt8], name: String) throws -> Dataset {
        if let d = options.dimension, d < 1 {
            throw DataError.invalidArgument(op: "LIBSVM \(name)", reason: "dimension must be at least 1, not \(d)")
        }
        return try text.withUnsafeBufferPointer { try parse($0, name: name) }
    }

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> Dataset {
        // Sparse entries are collected unboxed, then scattered into the dense matrix once its width is known.
        var labels: [Double] = []
        var entryRows: [Int32] = [], entryColumns: [Int] = [], entryValues: [Float] = []
        var lineIndices: [Int] = []
        var droppedLines: [Int] = []
        var widest = 0
        var lineNumber = 0
        var lineStart = 0
        let n = bytes.count
        while lineStart < n {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < n && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var contentEnd = lineStart
            while contentEnd < lineEnd && bytes[contentEnd] != UInt8(ascii: "#") { contentEnd += 1 }

            func column(_ i: Int) -> Int { i - lineStart + 1 }
            func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
            var i = lineStart
            func nextToken() -> Range<Int>? {
                while i < contentEnd && isSpace(bytes[i]) { i += 1 }
                guard i < contentEnd else { return nil }
                let s = i
                while i < contentEnd && !isSpace(bytes[i]) { i += 1 }
                return s..<i
            }
            guard let labelToken = nextToken() else { continue }
            /// A NaN or infinite label or value: an error, or the row is left out.
            func nonFinite(_ token: Range<Int>, what: String) throws {
                guard options.nonFinite == .drop else {
                    throw DataError.nonFinite(file: name, line: lineNumber, row: nil, column: column(token.lowerBound),
                                              found: "\(what)\(quoted(bytes, token))")
                }
                droppedLines.append(lineNumber)
            }
            let label: Double
            if let v = parseNumber(bytes, labelToken), finiteFloat(v) != nil {
                label = v
            } else if parseNumber(bytes, labelToken) != nil || isNonFiniteSpelling(bytes, labelToken) {
                try nonFinite(labelToken, what: "label ")
                continue
            } else {
                if bytes[labelToken].contains(UInt8(ascii: ",")) {
                    throw DataError.unsupported(file: name, reason: "line \(lineNumber): multi-label rows (\(quoted(bytes, labelToken))) are not supported")
                }
                throw DataError.malformed(file: name, line: lineNumber, column: column(labelToken.lowerBound), offset: nil,
                                          expected: "a numeric label", found: quoted(bytes, labelToken))
            }
            guard labels.count < Int(Int32.max) else {
                throw DataError.tooLarge(file: name, what: "the number of rows", requested: labels.count + 1, limit: Int(Int32.max))
            }
            let row = Int32(labels.count)
            let entriesBefore = entryValues.count, widestBefore = widest
            lineIndices.removeAll(keepingCapacity: true)
            var dropRow = false
            while let token = nextToken() {
                guard let colon = bytes[token].firstIndex(of: UInt8(ascii: ":")) else {
                    throw DataError.malformed(file: name, line: lineNumber, column: column(token.lowerBound), offset: nil,
                                              expected: "index:value", found: quoted(bytes, token))
                }
                let key = token.lowerBound..<colon
                if key.count == 3 && bytes[key].elementsEqual("qid".utf8) { continue }
                guard let index = parseInteger(bytes, key), index >= 1 else {
                    throw DataError.malformed(file: name, line: lineNumber, column: column(token.lowerBound), offset: nil,
                                              expected: "a feature index ≥ 1 (indices are 1-based)", found: quoted(bytes, key))
                }
                if let d = options.dimension, index > d {
                    throw DataError.malformed(file: name, line: lineNumber, column: column(token.lowerBound), offset: nil,
                                              expected: "a feature index in 1...\(d)", found: "\(index)")
                }
                let valueRange = (colon + 1)..<token.upperBound
                let parsed = parseNumber(bytes, valueRange)
                guard let value = parsed.flatMap(finiteFloat) else {
                    guard parsed != nil || isNonFiniteSpelling(bytes, valueRange) else {
                        throw DataError.malformed(file: name, line: lineNumber, column: column(colon + 1), offset: nil,
                                                  expected: "a number after \"\(index):\"", found: quoted(bytes, valueRange))
                    }
                    try nonFinite(valueRange, what: "\(index):")
                    dropRow = true
                    break
                }
                lineIndices.append(index)
                widest = max(widest, index)
                entryRows.append(row); entryColumns.append(index - 1); entryValues.append(value)
            }
            if dropRow {
                entryRows.removeSubrange(entriesBefore...); entryColumns.removeSubrange(entriesBefore...); entryValues.removeSubrange(entriesBefore...)
                widest = widestBefore   // a row left out does not widen the matrix
                continue
            }
            labels.append(label)
            // Duplicates: files are usually sorted, so the sort is only paid for unsorted lines.
            if !zip(lineIndices, lineIndices.dropFirst()).allSatisfy({ $0 < $1 }) {
                let sorted = lineIndices.sorted()
                if let (dup, _) = zip(sorted, sorted.dropFirst()).first(where: { $0 == $1 }) {
                    throw DataError.malformed(file: name, line: lineNumber, column: nil, offset: nil,
                                              expected: "each feature index at most once per line", found: "index \(dup) repeated")
                }
            }
        }

        let rows = labels.count
        let width = options.dimension ?? max(widest, 1)
        guard let scalars = checkedProduct([rows, width]), scalars <= options.maximumScalars else {
            throw DataError.tooLarge(file: name, what: "a dense \(rows) × \(width) matrix",
                                     requested: rows.multipliedReportingOverflow(by: width).overflow ? Int.max : rows * width,
                                     limit: options.maximumScalars)
        }
        var features = Tensor<Float>(zeros: [rows, width])
        features.withUnsafeMutableBufferPointer { dst in
            for k in entryValues.indices { dst[Int(entryRows[k]) * width + entryColumns[k]] = entryValues[k] }
        }
        let encoding = try LabelEncoding.numeric(labels, file: name)
        var set = Dataset(unchecked: features, labels: encoding.indices, classNames: encoding.classNames, targets: encoding.targets)
        if !droppedLines.isEmpty {
            set.warnings.append("\(name): left out \(droppedLines.count) of \(rows + droppedLines.count) rows with a NaN, ±Inf or out-of-range value (lines \(listRows(droppedLines)))")
        }
        return set
    }
}

/// Errors thrown by the dataset readers, the loader and preprocessing.
///
/// Every message names the file and where in it the problem is — a 1-based line and column for text
/// formats, a byte offset (into the uncompressed stream) for binary ones — and what was expected there,
/// so a user can open the file at that spot:
///
/// ```
/// train.csv:1042:7: expected a number, found "N/A"
/// train-images-idx3-ubyte.gz, byte 2: expected IDX type code 0x08…0x0E, found 0x07
/// ```
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not exist (or is not readable as the kind of thing expected).
    case fileNotFound(String)
    /// The operating system or zlib failed to read the file.
    case io(file: String, reason: String)
    /// The content does not follow the format. `line`/`column` are 1-based; `offset` counts bytes from the
    /// start of the (uncompressed) data.
    case malformed(file: String, line: Int?, column: Int?, offset: Int?, expected: String, found: String)
    /// The content is well formed but uses a feature this package refuses (Fortran order, object arrays, …).
    case unsupported(file: String, reason: String)
    /// Two parts of the input disagree in size (images and labels files, header and data length, …).
    case shapeMismatch(file: String, expected: String, found: String)
    /// The data would need more memory than the configured limit.
    case tooLarge(file: String, what: String, requested: Int, limit: Int)
    /// An argument the caller passed is outside its domain (a fraction above 1, a column not in the file, …).
    case invalidArgument(op: String, reason: String)
    /// A feature (or label) that is NaN, ±infinity, a missing-value marker such as `NA`, or a number beyond
    /// Float's range, where a finite number is required. Text formats give the 1-based `line` and
    /// `column`; binary formats the 0-based `row` and `column` of the array, as NumPy indexes it.
    case nonFinite(file: String, line: Int?, row: Int?, column: Int, found: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file or directory"
        case let .io(file, reason):
            return "\(file): read failed: \(reason)"
        case let .malformed(file, line, column, offset, expected, found):
            var place = file
            if let line { place += ":\(line)"; if let column { place += ":\(column)" } }
            else if let column { place += ", column \(column)" }
            if let offset { place += line == nil ? ", byte \(offset)" : " (byte \(offset))" }
            return "\(place): expected \(expected), found \(found)"
        case let .unsupported(file, reason):
            return "\(file): unsupported: \(reason)"
        case let .shapeMismatch(file, expected, found):
            return "\(file): expected \(expected), found \(found)"
        case let .tooLarge(file, what, requested, limit):
            return "\(file): \(what) needs \(requested) values, above the limit of \(limit)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .nonFinite(file, line, row, column, found):
            let place = line.map { "\(file):\($0):\(column)" } ?? "\(file), row \(row ?? 0), column \(column) (0-based)"
            return "\(place): expected a finite number, found \(found)"
        }
    }
}

/// Quotes a piece of input for an error message, cut to a readable length, with control bytes escaped.
func quoted(_ text: some StringProtocol, limit: Int = 40) -> String {
    var out = ""
    for ch in text.prefix(limit) {
        switch ch {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\"": out += "\\\""
        default: out.append(ch)
        }
    }
    return "\"" + out + (text.count > limit ? "…" : "") + "\""
}

/// Quotes raw bytes from a text file for an error message (invalid UTF-8 shows as U+FFFD).
func quoted(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, limit: Int = 40) -> String {
    let cut = range.lowerBound..<min(range.upperBound, range.lowerBound + limit * 4)
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[cut]), as: UTF8.self)
    return quoted(text, limit: limit)
}

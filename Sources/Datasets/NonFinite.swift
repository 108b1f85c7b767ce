#if canImport(Tensor)
import Tensor
#endif

/// What a reader does with a feature that is NaN, ±infinity or a missing-value marker.
///
/// Every reader refuses them by default: a NaN that reaches training surfaces epochs later as a
/// "diverged" loss, and one that reaches standardization poisons a column's mean, far from its cause.
public enum NonFiniteValues: String, Sendable, Equatable, CaseIterable, Codable {
    /// Throw `DataError.nonFinite`, naming the file and the place (the default).
    case error
    /// Leave out every row holding one (in its features or its label), and say so in `Dataset.warnings`.
    case drop
}

/// How text files spell NaN and the infinities (what `strtod` would read, which `parseNumber` refuses).
let nonFiniteSpellings: Set<String> = ["nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"]

/// How text files mark a missing value besides an empty field and NaN (pandas' default `na_values`).
let missingValueMarkers: Set<String> = ["na", "n/a", "#n/a", "#na", "null", "none", "<na>", "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan"]

/// The bytes lower-cased, without surrounding spaces, when short enough to be one of the spellings.
private func spelling(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
    var lo = range.lowerBound, hi = range.upperBound
    while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
    while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
    guard hi - lo <= 9 else { return nil }
    var text = ""
    for i in lo..<hi {
        let c = bytes[i]
        text.unicodeScalars.append(Unicode.Scalar(c >= 0x41 && c <= 0x5A ? c + 0x20 : c))
    }
    return text
}

/// Whether the bytes spell NaN or an infinity.
func isNonFiniteSpelling(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    spelling(bytes, range).map(nonFiniteSpellings.contains) ?? false
}

/// Whether the bytes spell a missing value: NaN, an infinity, or a marker such as `NA` (empty fields
/// are checked separately, since a quoted empty field is not the same as none).
func isMissingValue(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    guard let text = spelling(bytes, range) else { return false }
    return !text.isEmpty && (nonFiniteSpellings.contains(text) || missingValueMarkers.contains(text))
}

/// A number read from text as a Float feature: nil when it is beyond Float's range (it would become ±∞).
@inline(__always)
func finiteFloat(_ v: Double) -> Float? {
    let f = Float(v)
    return f.isFinite ? f : nil
}

/// The first non-finite entry of a matrix, row by row.
func firstNonFinite(_ x: Tensor<Float>) -> (row: Int, column: Int, value: Float)? {
    guard x.rank == 2, x.count > 0 else { return nil }
    let d = x.shape[1]
    return x.withUnsafeBufferPointer { p -> (row: Int, column: Int, value: Float)? in
        for i in 0..<p.count where !p[i].isFinite { return (i / d, i % d, p[i]) }
        return nil
    }
}

/// For each row of `x`, whether every entry is finite.
func finiteRows(_ x: Tensor<Float>) -> [Bool] {
    guard x.rank == 2 else { return [] }
    let n = x.shape[0], d = x.shape[1]
    var keep = [Bool](repeating: true, count: n)
    guard d > 0 else { return keep }
    x.withUnsafeBufferPointer { p in
        for r in 0..<n {
            for c in 0..<d where !p[r * d + c].isFinite { keep[r] = false; break }
        }
    }
    return keep
}

/// "NaN", "+Inf", "-Inf": how a non-finite value is named in messages.
func describeNonFinite(_ v: Float) -> String {
    v.isNaN ? "NaN" : (v > 0 ? "+Inf" : "-Inf")
}

/// Row numbers for a message: the first few, then how many more.
func listRows(_ rows: [Int], limit: Int = 5) -> String {
    let shown = rows.prefix(limit).map(String.init).joined(separator: ", ")
    return rows.count > limit ? shown + " and \(rows.count - limit) more" : shown
}

extension Dataset {
    /// Checks that every feature is finite, or leaves out the rows that are not (`policy`), for readers of
    /// binary arrays (NPY, IDX) whose rows are numbered from 0 as NumPy numbers them.
    /// - Throws: `DataError.nonFinite` naming `file`, the row and the column of the first offender.
    func checkingFinite(_ policy: NonFiniteValues, file: String) throws -> Dataset {
        guard let bad = firstNonFinite(features) else { return self }
        switch policy {
        case .error:
            throw DataError.nonFinite(file: file, line: nil, row: bad.row, column: bad.column, found: describeNonFinite(bad.value))
        case .drop:
            let keep = finiteRows(features)
            let dropped = keep.indices.filter { !keep[$0] }
            var result = try subset(keep.indices.filter { keep[$0] })
            result.warnings.append("\(file): left out \(dropped.count) of \(count) rows holding NaN or ±Inf (0-based rows \(listRows(dropped)))")
            return result
        }
    }
}

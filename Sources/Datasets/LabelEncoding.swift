/// Turns the label column of a file into class indices, the same way for every reader.
///
/// Classes are sorted — numerically when every label is a number, by text otherwise — so that separate
/// training and test files holding the same classes map them to the same indices, whatever their row order.
struct LabelEncoding {
    var indices: [Int]
    var classNames: [String]
    /// The labels as numbers, when all were numeric.
    var targets: [Float]?

    /// Numeric labels: distinct values sorted ascending become classes 0, 1, ….
    /// - Throws: `DataError.invalidArgument` for a NaN or infinite label (readers refuse or drop those
    ///   first, naming the place; NaN is not equal to itself, so it could not be a class).
    static func numeric(_ values: [Double], file: String) throws -> LabelEncoding {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError.invalidArgument(op: file, reason: "label \(bad) is \(values[bad]); labels must be finite")
        }
        let distinct = Array(Set(values)).sorted()
        var index = [Double: Int](minimumCapacity: distinct.count)
        for (i, v) in distinct.enumerated() { index[v] = i }
        return LabelEncoding(indices: values.map { index[$0] ?? 0 },   // every finite value is in `distinct`
                             classNames: distinct.map(canonicalText),
                             targets: values.map { Float($0) })
    }

    /// Text labels given as ids into `names` (first-seen order): classes sorted by text.
    static func text(ids: [Int], names: [String]) -> LabelEncoding {
        let order = names.indices.sorted { names[$0] < names[$1] }
        var remap = [Int](repeating: 0, count: names.count)
        for (newIndex, oldIndex) in order.enumerated() { remap[oldIndex] = newIndex }
        return LabelEncoding(indices: ids.map { remap[$0] }, classNames: order.map { names[$0] }, targets: nil)
    }

    /// A number as label text: integers without a decimal point (`"-1"`, `"7"`), others as Swift prints them.
    static func canonicalText(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }   // |v| < 1e15: Int64(v) cannot trap
        return String(v)
    }
}

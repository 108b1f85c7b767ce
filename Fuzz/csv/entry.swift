// Fuzz target for the CSV reader. The first byte picks the options (header, delimiter, label column,
// missing values, and — from 144 up — a model's expected columns, matched by name) so every code path
// is reachable; the rest is the file. Must never crash.
import Datasets
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let pick = Int(data[0])
    let headers: [CSVOptions.Header] = [.auto, .present, .absent]
    let delimiters: [CSVOptions.Delimiter] = [.auto, .comma, .semicolon, .tab]
    let labels: [CSVOptions.LabelColumn] = [.last, .index(0), .name("label"), .none]
    let missing: [CSVOptions.MissingValues] = [.error, .dropRows, .imputeMean]
    let expected = pick >= 144 ? ExpectedColumns(featureCount: 2, featureNames: ["a", "b"], labelName: "y") : nil
    let options = CSVOptions(header: headers[pick % 3], delimiter: delimiters[(pick / 3) % 4],
                             label: labels[(pick / 12) % 4], missing: missing[(pick / 48) % 3], expected: expected)
    let text = Data(bytes: data + 1, count: size - 1)
    if let set = try? CSVReader(options: options).read(data: text, name: "fuzz") {
        // What a reader returns must be a consistent data set.
        precondition(set.labels.isEmpty || set.labels.count == set.count)
        precondition(set.labels.allSatisfy { $0 >= 0 && $0 < set.classCount })
        // Features are finite: missing values were refused, dropped or imputed.
        precondition(set.features.isFinite)
        if let expected, let names = set.featureNames, options.header != .absent { precondition(names == expected.featureNames) }
    }
    return 0
}

import Foundation
import Testing
@testable import Datasets
import Tensor

/// Every input that ever crashed a fuzz target is kept in `Regressions/`, named after the target
/// (`idx-…`, `csv-…`, `libsvm-…`, `npy-…`), and fed to the reader the way the fuzz entry feeds it.
/// Each must now be refused with a `DataError` — never crash.
@Suite("Fuzz regressions")
struct RegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
    }

    @Test("Each crasher is refused with a DataError", arguments: files)
    func refused(_ file: String) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(file))
        let bytes = [UInt8](data)
        _ = expectDataError {
            switch file.split(separator: "-").first {
            case "idx":
                let split = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
                _ = try IDXReader.read(imageData: Data(bytes[2..<(2 + split)]), labelData: Data(bytes[(2 + split)...]), name: file)
            case "npy":
                let split = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
                _ = try NPYReader.read(featureData: Data(bytes[2..<(2 + split)]), labelData: Data(bytes[(2 + split)...]), name: file)
            case "csv":
                _ = try CSVReader().read(data: Data(bytes.dropFirst()), name: file)
            case "libsvm":
                _ = try LIBSVMReader(options: LIBSVMOptions(maximumScalars: 1 << 20)).read(data: Data(bytes.dropFirst()), name: file)
            default:
                Issue.record("regression file \(file) does not name a reader")
            }
        }
    }
}

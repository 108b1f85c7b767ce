import Foundation
import Testing
@testable import Datasets
import Tensor

/// A fresh temporary directory per test, removed when the value goes away.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("circuits-datasets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `data` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let path = url.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String { try write(name, Data(text.utf8)) }

    var path: String { url.path }
}

/// An IDX file: magic, big-endian dimensions, payload.
func idxBytes(type: UInt8, dimensions: [Int], payload: [UInt8]) -> Data {
    var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
    for d in dimensions { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return Data(bytes + payload)
}

/// An NPY file (version 1 unless given) with a header dict written verbatim and padded as NumPy pads it.
func npyBytes(header dict: String, payload: [UInt8], major: UInt8 = 1) -> Data {
    let prefix = major == 1 ? 10 : 12
    var text = dict
    while (prefix + text.utf8.count + 1) % 64 != 0 { text += " " }
    text += "\n"
    let length = text.utf8.count
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    bytes += major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                        : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
    return Data(bytes + Array(text.utf8) + payload)
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

func bigEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bigEndian) { Array($0) } }
}

/// Runs `body`, expecting a `DataError`, and returns it (nil, recording an issue, if none was thrown).
func expectDataError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The message of a DataError thrown by `body` ("" if none).
func errorMessage(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
    expectDataError(sourceLocation: sourceLocation, body)?.description ?? ""
}

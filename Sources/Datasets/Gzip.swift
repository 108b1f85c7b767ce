import CZlib
import Foundation

/// Compresses `data` into a single-member gzip stream (used to write `.gz` fixtures and by tests'
/// round trips; the readers only ever decompress).
func gzipCompress(_ data: Data, level: Int32 = 6) throws -> Data {
    var stream = z_stream()
    // windowBits 15 + 16 asks deflate for a gzip wrapper instead of zlib's.
    guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw DataError.io(file: "<gzip>", reason: "deflateInit2 failed")
    }
    defer { deflateEnd(&stream) }
    var input = [UInt8](data)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
    let status = input.withUnsafeMutableBufferPointer { src in
        output.withUnsafeMutableBufferPointer { dst in
            stream.next_in = src.baseAddress
            stream.avail_in = UInt32(src.count)
            stream.next_out = dst.baseAddress
            stream.avail_out = UInt32(dst.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END else { throw DataError.io(file: "<gzip>", reason: "deflate failed (\(status))") }
    return Data(output[0..<Int(stream.total_out)])
}

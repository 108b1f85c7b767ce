import CZlib
import Foundation

/// A forward-only stream of the bytes of a data file, decompressing gzip transparently.
///
/// Readers pull exactly what the format says comes next, so a file never has to be held twice: binary
/// readers validate a header, size one buffer from it and stream the rest straight into that buffer.
/// Files go through zlib's `gzread`, which passes plain files through unchanged; in-memory bytes that
/// start with the gzip magic go through `inflate`.
final class ByteInput {
    /// Name used in error messages (the path, or the name given with in-memory bytes).
    let name: String
    /// Bytes of uncompressed data consumed so far: the offset that error messages report.
    private(set) var position = 0
    /// The exact length of the uncompressed data when it is known up front (plain files and bytes).
    let exactSize: Int?
    /// An upper bound on the uncompressed length, used to refuse a header that claims more data than the
    /// input could possibly hold before anything is allocated for it. For gzip, deflate cannot expand
    /// more than 1032:1, so the bound is a multiple of the compressed size.
    let maximumSize: Int
    /// Whether the input is gzip-compressed.
    let isCompressed: Bool
    /// For gzip input, the trailer's ISIZE field: the uncompressed length modulo 2³² of the last member
    /// (of the whole data for an ordinary single-member file).
    let gzipTrailerSize: UInt32?

    private enum Backend {
        case file(gzFile)
        case memory(Data, offset: Int)
        case inflate(Data, UnsafeMutablePointer<z_stream>, offset: Int, finished: Bool)
    }
    private var backend: Backend

    /// Opens a file, plain or gzip-compressed.
    /// - Throws: `DataError.fileNotFound` if it does not exist, `DataError.io` for a directory or a file that cannot be read.
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError.fileNotFound(path) }
        guard !isDirectory.boolValue else { throw DataError.io(file: path, reason: "is a directory, not a file") }
        name = path
        // The first two bytes tell gzip from plain, and the file size bounds the uncompressed size.
        guard let f = fopen(path, "rb") else { throw DataError.io(file: path, reason: String(cString: strerror(errno))) }
        var magic: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &magic) { fread($0.baseAddress, 1, 2, f) }
        fseeko(f, 0, SEEK_END)
        let fileSize = Int(ftello(f))
        isCompressed = got == 2 && magic == (0x1F, 0x8B)
        var trailer: UInt32 = 0
        if isCompressed && fileSize >= 18 && fseeko(f, -4, SEEK_END) == 0
            && withUnsafeMutableBytes(of: &trailer, { fread($0.baseAddress, 1, 4, f) }) == 4 {
            gzipTrailerSize = UInt32(littleEndian: trailer)
        } else {
            gzipTrailerSize = nil
        }
        fclose(f)
        exactSize = isCompressed ? nil : fileSize
        maximumSize = isCompressed ? fileSize.multipliedReportingOverflow(by: 1032).partialValue : fileSize
        guard let handle = gzopen(path, "rb") else {
            throw DataError.io(file: path, reason: String(cString: strerror(errno)))
        }
        gzbuffer(handle, 1 << 18)
        backend = .file(handle)
    }

    /// Reads from bytes already in memory, gzip-compressed or not.
    init(data: Data, name: String) throws {
        self.name = name
        isCompressed = data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
        if isCompressed && data.count >= 18 {
            gzipTrailerSize = data.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        } else {
            gzipTrailerSize = nil
        }
        if isCompressed {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // windowBits 15 + 16: a gzip wrapper is required (the magic said so).
            let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                stream.deallocate()
                throw DataError.io(file: name, reason: "zlib inflateInit2 failed (\(status))")
            }
            backend = .inflate(data, stream, offset: 0, finished: false)
            exactSize = nil
            maximumSize = data.count.multipliedReportingOverflow(by: 1032).partialValue
        } else {
            backend = .memory(data, offset: 0)
            exactSize = data.count
            maximumSize = data.count
        }
    }

    deinit {
        switch backend {
        case .file(let handle): gzclose(handle)
        case .inflate(_, let stream, _, _):
            inflateEnd(stream)
            stream.deallocate()
        case .memory: break
        }
    }

    /// Fills `buffer` as far as the data goes; returns the number of bytes written (short only at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var total = 0
        switch backend {
        case .file(let handle):
            while total < buffer.count {
                // gzread takes an unsigned int length.
                let want = UInt32(min(buffer.count - total, 1 << 30))
                let got = gzread(handle, base + total, want)
                if got < 0 {
                    var code: Int32 = 0
                    let message = gzerror(handle, &code).map { String(cString: $0) } ?? "zlib error \(code)"
                    throw DataError.malformed(file: name, line: nil, column: nil, offset: position + total,
                                              expected: "a valid gzip stream", found: message)
                }
                if got == 0 {
                    // gzread reports a truncated stream through gzerror, not through its return value.
                    var code: Int32 = 0
                    let message = gzerror(handle, &code).map { String(cString: $0) } ?? ""
                    if code != Z_OK && code != Z_STREAM_END {
                        throw DataError.malformed(file: name, line: nil, column: nil, offset: position + total,
                                                  expected: "a complete gzip stream", found: message.isEmpty ? "zlib error \(code)" : message)
                    }
                    break
                }
                total += Int(got)
            }
        case .memory(let data, let offset):
            total = min(buffer.count, data.count - offset)
            if total > 0 {
                data.withUnsafeBytes { src in
                    base.copyMemory(from: src.baseAddress! + offset, byteCount: total)
                }
            }
            backend = .memory(data, offset: offset + total)
        case .inflate(let data, let stream, var offset, var finished):
            while total < buffer.count && !finished {
                let status: Int32 = data.withUnsafeBytes { src in
                    let input = src.bindMemory(to: UInt8.self)
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + offset })
                    stream.pointee.avail_in = UInt32(min(input.count - offset, Int(UInt32.max)))
                    let room = min(buffer.count - total, Int(UInt32.max))
                    stream.pointee.next_out = (base + total).assumingMemoryBound(to: UInt8.self)
                    stream.pointee.avail_out = UInt32(room)
                    let before = Int(stream.pointee.avail_in)
                    let status = inflate(stream, Z_NO_FLUSH)
                    offset += before - Int(stream.pointee.avail_in)
                    total += room - Int(stream.pointee.avail_out)
                    return status
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Concatenated gzip members decompress as one stream, as gzread and gunzip do; bytes
                    // after the last member that are not a gzip header are ignored, as gzread does.
                    if data.count - offset >= 2 && data[data.startIndex + offset] == 0x1F && data[data.startIndex + offset + 1] == 0x8B {
                        inflateReset(stream)
                    } else {
                        finished = true
                    }
                case Z_BUF_ERROR:
                    // No progress possible: the input ended inside the stream.
                    throw DataError.malformed(file: name, line: nil, column: nil, offset: position + total,
                                              expected: "a complete gzip stream", found: "the end of the compressed data")
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.malformed(file: name, line: nil, column: nil, offset: position + total,
                                              expected: "a valid gzip stream", found: message)
                }
            }
            backend = .inflate(data, stream, offset: offset, finished: finished)
        }
        position += total
        return total
    }

    /// Exactly `count` bytes, for headers. `what` describes them for the error if the data ends first.
    func readBytes(_ count: Int, what: String) throws -> [UInt8] {
        let start = position
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0) }
        guard got == count else {
            throw DataError.malformed(file: name, line: nil, column: nil, offset: start + got,
                                      expected: "\(what) (\(count) bytes at byte \(start))", found: "the end of the data")
        }
        return bytes
    }

    /// Fills `buffer` completely or throws, naming `what` was being read.
    func readExactly(into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        let start = position
        let got = try read(into: buffer)
        guard got == buffer.count else {
            throw DataError.malformed(file: name, line: nil, column: nil, offset: start + got,
                                      expected: "\(buffer.count) bytes of \(what) from byte \(start)", found: "the end of the data after \(got)")
        }
    }

    /// Throws unless the data has ended: binary formats must not carry unexplained trailing bytes.
    func expectEnd(what: String) throws {
        var probe: UInt8 = 0
        let got = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
        if got != 0 {
            throw DataError.malformed(file: name, line: nil, column: nil, offset: position - 1,
                                      expected: "the end of the data after \(what)", found: "more bytes")
        }
    }

    /// The rest of the data, for text formats. Refuses to grow beyond `limit` bytes.
    func readAll(limit: Int = Int.max) throws -> [UInt8] {
        if let exact = exactSize {
            // Plain data: one allocation of exactly the remaining size.
            let remaining = max(exact - position, 0)
            guard remaining <= limit else {
                throw DataError.tooLarge(file: name, what: "reading the whole file", requested: remaining, limit: limit)
            }
            var failure: Error? = nil
            let bytes = [UInt8](unsafeUninitializedCapacity: remaining) { buffer, initialized in
                do { initialized = try read(into: UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error; initialized = 0 }
            }
            if let failure { throw failure }
            return bytes
        }
        // Compressed: decompress in chunks and append, letting the array grow geometrically.
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let got = try read(into: chunk)
            guard bytes.count + got <= limit else {
                throw DataError.tooLarge(file: name, what: "reading the whole file", requested: bytes.count + got, limit: limit)
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<got]).bindMemory(to: UInt8.self))
            if got < chunk.count { break }
        }
        return bytes
    }
}

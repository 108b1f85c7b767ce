import Foundation

/// A text file read as Unicode scalars, with a clear error for a binary or invalid file.
enum CharacterText {
    /// The file's Unicode scalars.
    /// A leading byte-order mark (U+FEFF) is dropped: it marks the encoding, it is not text.
    /// - Throws: `CLIError.failure` naming the file and the byte offset of a NUL byte (a binary file) or
    ///   of the first byte that is not valid UTF-8, or saying the file is empty.
    static func read(_ path: String) throws -> [Unicode.Scalar] {
        try DataInput.requireReadableFile(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.failure("\(path): could not be read") }
        return try decode([UInt8](data), file: path)
    }

    static func decode(_ bytes: [UInt8], file: String) throws -> [Unicode.Scalar] {
        guard !bytes.isEmpty else { throw CLIError.failure("\(file): the file is empty") }
        if let nul = bytes.firstIndex(of: 0) {
            throw CLIError.failure("\(file): byte offset \(nul): a NUL byte — this looks like a binary file, not UTF-8 text")
        }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded):
                scalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .emptyInput:
                // A leading byte-order mark says how the file is encoded; it is not a character of the text.
                if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
                guard !scalars.isEmpty else { throw CLIError.failure("\(file): the file holds only a byte-order mark, no text") }
                return scalars
            case let .error(length):
                throw CLIError.failure("\(file): byte offset \(offset): invalid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))) — expected UTF-8 text (\(length) byte\(length == 1 ? "" : "s") could not be decoded)")
            }
        }
    }
}

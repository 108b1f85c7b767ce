import Foundation

/// A corpus read into memory as the vocabulary indices of its tokens, line ends included (`</s>` is 0),
/// words outside the vocabulary left out — what `word2vec.c` looks up on every pass, looked up once.
///
/// Memory: 4 bytes per token (28 MB for 7 million words).
public struct TextCorpus: Sendable {
    /// Vocabulary indices in corpus order; 0 marks a line end.
    public private(set) var tokens: [Int32]
    /// Words of the file (line ends not counted), in the vocabulary or not: the count the benchmark's
    /// words per second are expressed in, the same for every tool.
    public private(set) var rawWordCount: Int

    /// Encodes `text` with `vocabulary`.
    public init(text: UnsafeBufferPointer<UInt8>, vocabulary: Vocabulary) {
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.count / 5)
        var raw = 0
        let table = vocabulary.table
        if let base = text.baseAddress {
            Tokenizer.scan(text, word: { start, length in
                raw += 1
                let k = table.find(base + start, length)
                if k > 0 { tokens.append(Int32(truncatingIfNeeded: k)) }
            }, lineEnd: { tokens.append(0) })
        }
        self.tokens = tokens
        rawWordCount = raw
    }

    /// Reads a corpus file into memory (mapped, not copied) and hands its bytes to `body`.
    /// - Throws: `Word2VecError.io` when the file cannot be read.
    public static func withContents<R>(of path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let data: Data
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Word2VecError.io(file: path, message: "is a directory, not a text file")
        }
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Word2VecError.io(file: path, message: "cannot read the corpus: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // Text has no NUL bytes; a model file or an archive given as the corpus does.
            if let base = raw.baseAddress, let nul = memchr(base, 0, raw.count) {
                throw Word2VecError.malformed(file: path, offset: base.distance(to: UnsafeRawPointer(nul)),
                                              expected: "text (words separated by white space)", found: "a NUL byte — this looks like a binary file")
            }
            if let bad = firstInvalidUTF8(bytes) {
                throw Word2VecError.malformed(file: path, offset: bad, expected: "UTF-8 text",
                                              found: "byte 0x" + String(bytes[bad], radix: 16, uppercase: true) + ", which is not valid UTF-8 there")
            }
            return try body(bytes)
        }
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or nil.
    /// ASCII runs are skipped eight bytes at a time (a corpus is mostly ASCII).
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            if i + 8 <= n && UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            let b = base[i]
            if b < 0x80 { i += 1; continue }
            // Lead byte: the sequence length and the allowed range of the second byte (no overlong forms,
            // no surrogates, nothing above U+10FFFF).
            let length: Int, low: UInt8, high: UInt8
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return i
            }
            guard i + length <= n else { return i }
            guard (low...high).contains(base[i + 1]) else { return i }
            for k in 2..<max(length, 2) where !(0x80...0xBF).contains(base[i + k]) { return i }
            i += length
        }
        return nil
    }
}

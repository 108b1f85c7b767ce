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
            return try body(bytes)
        }
    }
}

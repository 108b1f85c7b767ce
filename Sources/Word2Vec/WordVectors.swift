/// Trained word vectors: one row of `size` floats per word, in vocabulary order (most frequent first,
/// `</s>` first when the vectors come from `word2vec.c` or from this trainer).
public struct WordVectors: Sendable {
    public private(set) var words: [String]
    /// Row-major [words.count × size].
    public private(set) var vectors: [Float]
    public let size: Int
    private var indexByWord: [String: Int]

    /// - Throws: `Word2VecError.invalidSetting` when `vectors.count != words.count × size`.
    public init(words: [String], size: Int, vectors: [Float]) throws {
        guard size >= 1, vectors.count == words.count * size else {
            throw Word2VecError.invalidSetting(name: "vectors", message: "\(vectors.count) numbers for \(words.count) words of size \(size)")
        }
        self.words = words
        self.size = size
        self.vectors = vectors
        var index: [String: Int] = [:]
        index.reserveCapacity(words.count)
        // A word listed twice keeps its first (more frequent) row, as gensim's loader does.
        for (i, w) in words.enumerated() where index[w] == nil { index[w] = i }
        indexByWord = index
    }

    public var count: Int { words.count }

    public func index(of word: String) -> Int? { indexByWord[word] }

    /// The vector of `word`. - Throws: `Word2VecError.unknownWord`.
    public func vector(_ word: String) throws -> ArraySlice<Float> {
        guard let i = indexByWord[word] else { throw Word2VecError.unknownWord(word) }
        return vectors[(i * size)..<((i + 1) * size)]
    }
}

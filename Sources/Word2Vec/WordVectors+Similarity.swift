import Foundation

/// Nearest neighbours by cosine similarity, and analogies by 3CosAdd (Mikolov, Yih and Zweig,
/// "Linguistic Regularities in Continuous Space Word Representations", NAACL 2013): the answer to
/// "a is to b as c is to ?" is the word closest to b − a + c, the three query words excluded — what
/// `word2vec.c`'s `word-analogy` and gensim's `most_similar(positive=[b, c], negative=[a])` compute.
extension WordVectors {
    /// One neighbour: the word, its row and its cosine similarity to the query.
    public struct Neighbour: Sendable, Equatable {
        public var word: String
        public var index: Int
        public var similarity: Float
    }

    /// The rows scaled to unit length (a zero row stays zero), [count × size].
    public func unitVectors() -> [Float] {
        var out = vectors
        out.withUnsafeMutableBufferPointer { v in
            for i in 0..<count {
                let row = v.baseAddress! + i * size
                var s: Float = 0
                for j in 0..<size { s += row[j] * row[j] }
                if s > 0 { let inv = 1 / s.squareRoot(); for j in 0..<size { row[j] *= inv } }
            }
        }
        return out
    }

    /// The `n` words most similar to `word` (itself excluded).
    /// - Throws: `Word2VecError.unknownWord` naming the word.
    public func mostSimilar(to word: String, count n: Int = 10) throws -> [Neighbour] {
        try mostSimilar(positive: [word], negative: [], count: n)
    }

    /// The analogy a : b :: c : ? — the `n` words closest to b − a + c, a, b and c excluded.
    /// - Throws: `Word2VecError.unknownWord` naming the first query word not in the vocabulary.
    public func analogy(_ a: String, _ b: String, _ c: String, count n: Int = 10) throws -> [Neighbour] {
        try mostSimilar(positive: [b, c], negative: [a], count: n)
    }

    /// The `n` words closest (cosine) to the sum of the unit vectors of `positive` minus those of
    /// `negative`, the query words excluded.
    public func mostSimilar(positive: [String], negative: [String], count n: Int) throws -> [Neighbour] {
        let unit = unitVectors()
        var query = [Float](repeating: 0, count: size)
        var excluded = Set<Int>()
        for (words, sign) in [(positive, Float(1)), (negative, Float(-1))] {
            for w in words {
                guard let i = index(of: w) else { throw Word2VecError.unknownWord(w) }
                excluded.insert(i)
                for j in 0..<size { query[j] += sign * unit[i * size + j] }
            }
        }
        var norm: Float = 0
        for q in query { norm += q * q }
        if norm > 0 { let inv = 1 / norm.squareRoot(); for j in 0..<size { query[j] *= inv } }
        var best: [Neighbour] = []
        for i in 0..<count where !excluded.contains(i) {
            var s: Float = 0
            for j in 0..<size { s += unit[i * size + j] * query[j] }
            if best.count < n || s > best[best.count - 1].similarity {
                let at = best.firstIndex { $0.similarity < s } ?? best.count
                best.insert(Neighbour(word: words[i], index: i, similarity: s), at: at)
                if best.count > n { best.removeLast() }
            }
        }
        return best
    }
}

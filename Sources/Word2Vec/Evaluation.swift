import Foundation

/// The two standard evaluations of word vectors, as gensim's `evaluate_word_analogies` and
/// `evaluate_word_pairs` run them (case-insensitive: a word matches its first, most frequent, row).
public enum WordVectorEvaluation {
    // MARK: Analogies

    /// One section of an analogy file (": capital-common-countries", "gram1-adjective-to-adverb", …).
    public struct Section: Sendable, Equatable {
        public var name: String
        /// Questions whose four words are all in the restricted vocabulary.
        public var answered = 0
        public var correct = 0
        /// Questions in the file.
        public var total = 0
        public var accuracy: Double { answered > 0 ? Double(correct) / Double(answered) : 0 }
        /// Mikolov's files name the syntactic sections "gram…"; the others are semantic.
        public var isSyntactic: Bool { name.hasPrefix("gram") }
    }

    public struct AnalogyReport: Sendable {
        public var sections: [Section]
        public var restrictVocabulary: Int
        public var semantic: Section { sum("semantic", sections.filter { !$0.isSyntactic }) }
        public var syntactic: Section { sum("syntactic", sections.filter(\.isSyntactic)) }
        public var overall: Section { sum("total", sections) }
        /// Fraction of the questions answered (all four words in the restricted vocabulary).
        public var coverage: Double { overall.total > 0 ? Double(overall.answered) / Double(overall.total) : 0 }

        func sum(_ name: String, _ parts: [Section]) -> Section {
            Section(name: name, answered: parts.reduce(0) { $0 + $1.answered }, correct: parts.reduce(0) { $0 + $1.correct },
                    total: parts.reduce(0) { $0 + $1.total })
        }
    }

    /// Scores an analogy file in Mikolov's `questions-words.txt` format: `: section` lines, then one
    /// question `a b c d` per line (a is to b as c is to d). A question counts when its four words are
    /// among the `restrict` most frequent words (30 000 is customary, as in `compute-accuracy.c`); it is
    /// right when d is the word closest to b − a + c among those words, a, b and c excluded.
    /// - Throws: `Word2VecError.malformed` with the byte offset of a line that is not 4 words or a section.
    public static func analogies(_ vectors: WordVectors, questions text: String, file: String, restrict: Int = 30_000) throws -> AnalogyReport {
        let limit = min(max(restrict, 0), vectors.count)
        let lookup = caseInsensitiveIndex(vectors, limit: limit)
        var sections: [Section] = []
        var queries: [(a: Int, b: Int, c: Int, d: Int, section: Int)] = []
        var offset = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { offset += line.utf8.count + 1 }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            if fields[0] == ":" || fields[0].hasPrefix(":") {
                let name = fields[0] == ":" ? fields.dropFirst().joined(separator: " ") : String(fields[0].dropFirst())
                sections.append(Section(name: name))
                continue
            }
            guard fields.count == 4 else {
                throw Word2VecError.malformed(file: file, offset: offset, expected: "a question of 4 words or a ': section' line",
                                              found: "\(fields.count) fields in '\(line.prefix(60))'")
            }
            if sections.isEmpty { sections.append(Section(name: "questions")) }
            sections[sections.count - 1].total += 1
            let ids = fields.map { lookup[$0.lowercased()] }
            if let a = ids[0], let b = ids[1], let c = ids[2], let d = ids[3] {
                queries.append((a, b, c, d, sections.count - 1))
            }
        }
        guard sections.contains(where: { $0.total > 0 }) else {
            throw Word2VecError.malformed(file: file, offset: 0, expected: "analogy questions 'a b c d', one per line", found: "none")
        }
        let size = vectors.size
        let unit = vectors.unitVectors()
        // Each question is independent: answer them on every core, in blocks so that a block's queries
        // share each pass over the restricted vocabulary in cache.
        let block = 64
        let blocks = (queries.count + block - 1) / block
        let right = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(queries.count, 1))
        right.initialize(repeating: false)
        defer { right.deallocate() }
        let results = UnsafeResults(base: right)
        let questions = queries
        unit.withUnsafeBufferPointer { u in
            let units = UnsafeFloats(base: u.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: blocks) { k in
                let lower = k * block, upper = min(questions.count, lower + block)
                let n = upper - lower
                var q = [Float](repeating: 0, count: n * size)
                var best = [Float](repeating: -.infinity, count: n)
                var guess = [Int](repeating: -1, count: n)
                let u = units.base
                for t in 0..<n {
                    let (a, b, c, _, _) = questions[lower + t]
                    var norm: Float = 0
                    for j in 0..<size {
                        let v = u[b * size + j] - u[a * size + j] + u[c * size + j]
                        q[t * size + j] = v
                        norm += v * v
                    }
                    let inv = norm > 0 ? 1 / norm.squareRoot() : 0
                    for j in 0..<size { q[t * size + j] *= inv }
                }
                q.withUnsafeBufferPointer { qp in
                    for row in 0..<limit {
                        let r = u + row * size
                        for t in 0..<n {
                            let query = qp.baseAddress! + t * size
                            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                            var j = 0
                            while j + 4 <= size {
                                s0 += r[j] * query[j]; s1 += r[j + 1] * query[j + 1]
                                s2 += r[j + 2] * query[j + 2]; s3 += r[j + 3] * query[j + 3]
                                j += 4
                            }
                            while j < size { s0 += r[j] * query[j]; j += 1 }
                            let s = (s0 + s1) + (s2 + s3)
                            if s > best[t] {
                                let (a, b, c, _, _) = questions[lower + t]
                                if row != a && row != b && row != c { best[t] = s; guess[t] = row }
                            }
                        }
                    }
                }
                for t in 0..<n { results.base[lower + t] = guess[t] == questions[lower + t].d }
            }
        }
        for (i, query) in queries.enumerated() {
            sections[query.section].answered += 1
            if right[i] { sections[query.section].correct += 1 }
        }
        return AnalogyReport(sections: sections, restrictVocabulary: limit)
    }

    // MARK: Word similarity

    public struct SimilarityReport: Sendable {
        /// Spearman's rank correlation between the human scores and the cosine similarities.
        public var spearman: Double
        /// Pearson's correlation, as gensim also reports.
        public var pearson: Double
        public var found: Int
        public var total: Int
        public var coverage: Double { total > 0 ? Double(found) / Double(total) : 0 }
    }

    /// Scores a word-similarity file such as WordSim-353 (`wordsim353.tsv`: `#` comment lines, then
    /// `word1<TAB>word2<TAB>score`): Spearman's ρ between the scores and the cosine similarities of the
    /// pairs whose two words are in the vocabulary (`restrict` most frequent words; default all).
    /// - Throws: `Word2VecError.malformed` with the byte offset of a line that is not two words and a number.
    public static func similarity(_ vectors: WordVectors, pairs text: String, file: String, restrict: Int? = nil) throws -> SimilarityReport {
        let lookup = caseInsensitiveIndex(vectors, limit: min(restrict ?? vectors.count, vectors.count))
        let unit = vectors.unitVectors()
        let size = vectors.size
        var human: [Double] = [], model: [Double] = []
        var total = 0, offset = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { offset += line.utf8.count + 1 }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\r" || $0 == "," })
            guard fields.count >= 3, let score = Double(fields[2]) else {
                throw Word2VecError.malformed(file: file, offset: offset, expected: "'word1<TAB>word2<TAB>score'", found: "'\(line.prefix(60))'")
            }
            total += 1
            guard let a = lookup[fields[0].lowercased()], let b = lookup[fields[1].lowercased()] else { continue }
            var s: Float = 0
            for j in 0..<size { s += unit[a * size + j] * unit[b * size + j] }
            human.append(score)
            model.append(Double(s))
        }
        guard total > 0 else { throw Word2VecError.malformed(file: file, offset: 0, expected: "word pairs 'word1<TAB>word2<TAB>score', one per line", found: "none") }
        return SimilarityReport(spearman: pearson(ranks(human), ranks(model)), pearson: pearson(human, model),
                                found: human.count, total: total)
    }

    /// Ranks 1…n, ties given the mean of the ranks they span (Spearman's convention).
    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = mean }
            i = j + 1
        }
        return r
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count > 1 else { return .nan }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
    }

    /// Lower-cased word → first (most frequent) row among the first `limit` rows.
    static func caseInsensitiveIndex(_ vectors: WordVectors, limit: Int) -> [String: Int] {
        var index: [String: Int] = [:]
        for i in 0..<limit {
            let w = vectors.words[i].lowercased()
            if index[w] == nil { index[w] = i }
        }
        return index
    }
}

private struct UnsafeFloats: @unchecked Sendable { let base: UnsafePointer<Float> }
private struct UnsafeResults: @unchecked Sendable { let base: UnsafeMutableBufferPointer<Bool> }

import Foundation

/// The words a model has vectors for, with their corpus counts, in `word2vec.c`'s order: the line end
/// `</s>` first (index 0, whatever its count), then every word occurring at least `minCount` times by
/// descending count, ties in order of first appearance.
///
/// Files (`write(to:)`, `read(from:)`) use `word2vec.c`'s `-save-vocab` format: one `word count` line per
/// word, in this order.
public struct Vocabulary: Sendable {
    /// The sentence end, a token for every line end of the corpus (`word2vec.c`'s convention).
    public static let sentenceEnd = "</s>"

    public private(set) var words: [String]
    public private(set) var counts: [Int]
    var table: WordTable

    /// Number of words, `</s>` included.
    public var count: Int { words.count }

    /// Corpus tokens the vocabulary covers (`</s>` included): `word2vec.c`'s `train_words`, the total that
    /// sub-sampling and the learning-rate schedule are expressed against.
    public var trainWords: Int { counts.reduce(0, +) }

    /// A vocabulary from explicit words and counts (the first word should be `</s>`).
    /// - Throws: `Word2VecError.invalidSetting` for a duplicate word, a negative count, or mismatched lengths.
    public init(words: [String], counts: [Int]) throws {
        guard words.count == counts.count else {
            throw Word2VecError.invalidSetting(name: "vocabulary", message: "\(words.count) words but \(counts.count) counts")
        }
        var table = WordTable(capacity: words.count)
        for (w, c) in zip(words, counts) {
            guard c >= 0 else { throw Word2VecError.invalidSetting(name: "vocabulary", message: "negative count \(c) for '\(w)'") }
            guard table.find(w) < 0 else { throw Word2VecError.invalidSetting(name: "vocabulary", message: "'\(w)' appears twice") }
            table.insert(w)
        }
        self.words = words
        self.counts = counts
        self.table = table
    }

    /// The index of `word`, or nil.
    public func index(of word: String) -> Int? {
        let k = table.find(word)
        return k < 0 ? nil : k
    }

    /// Counts the words of a corpus and keeps those occurring at least `minCount` times.
    ///
    /// - Parameters:
    ///   - text: the corpus bytes (see `Tokenizer` for what a word is).
    ///   - file: the corpus's name, for errors.
    /// - Throws: `Word2VecError.emptyCorpus` when there is no word, `.noWordAboveMinCount` when no word
    ///   (other than `</s>`) reaches `minCount`.
    public static func learn(from text: UnsafeBufferPointer<UInt8>, file: String, minCount: Int) throws -> Vocabulary {
        guard let base = text.baseAddress, text.count > 0 else { throw Word2VecError.emptyCorpus(file: file) }
        var table = WordTable(capacity: 1 << 16)
        var counts: [Int] = [0]
        table.insert(sentenceEnd)
        Tokenizer.scan(text, word: { start, length in
            let p = base + start
            let h = WordTable.hash(p, length)
            let k = table.find(p, length, hash: h)
            if k >= 0 {
                counts[k] += 1
            } else {
                table.insert(p, length, hash: h)
                counts.append(1)
            }
        }, lineEnd: { counts[0] += 1 })
        let distinct = counts.count - 1
        guard distinct > 0 else { throw Word2VecError.emptyCorpus(file: file) }
        // Stable: ties keep their order of first appearance, so the result does not depend on the sort.
        let kept = (1..<counts.count).filter { counts[$0] >= minCount }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        guard !kept.isEmpty else { throw Word2VecError.noWordAboveMinCount(file: file, minCount: minCount, distinctWords: distinct) }
        let order = [0] + kept
        let words = order.map { String(decoding: table.word($0), as: UTF8.self) }
        return try Vocabulary(words: words, counts: order.map { counts[$0] })
    }

    /// Writes `word count` lines atomically.
    public func write(to url: URL) throws {
        var text = ""
        text.reserveCapacity(words.count * 16)
        for (w, c) in zip(words, counts) { text += "\(w) \(c)\n" }
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw Word2VecError.io(file: url.path, message: "cannot write the vocabulary: \(error.localizedDescription)")
        }
    }

    /// Reads a vocabulary written by `write(to:)` or by `word2vec.c -save-vocab`, keeping the words that
    /// occur at least `minCount` times (`</s>` always; `word2vec.c` re-applies min-count on reading too).
    /// - Throws: `Word2VecError.malformed` naming the byte offset of a line that is not `word count`,
    ///   `.io` when the file cannot be read.
    public static func read(from url: URL, minCount: Int = 0) throws -> Vocabulary {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw Word2VecError.io(file: url.path, message: "cannot read the vocabulary: \(error.localizedDescription)")
        }
        var words: [String] = [], counts: [Int] = []
        var seen = Set<String>()
        var offset = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            defer { offset += line.count + 1 }
            if line.isEmpty || line.allSatisfy({ $0 == 0x0D || $0 == 0x20 }) { continue }
            let fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard fields.count == 2, let c = Int(String(decoding: fields[1], as: UTF8.self)), c >= 0 else {
                throw Word2VecError.malformed(file: url.path, offset: offset, expected: "a line 'word count'",
                                              found: "'\(String(decoding: line.prefix(60), as: UTF8.self))'")
            }
            let w = String(decoding: fields[0], as: UTF8.self)
            guard !seen.contains(w) else {
                throw Word2VecError.malformed(file: url.path, offset: offset, expected: "each word once", found: "'\(w)' again")
            }
            seen.insert(w)
            if c >= minCount || w == sentenceEnd { words.append(w); counts.append(c) }
        }
        // word2vec.c sorts what it reads: `</s>` first (added with count 0 if absent), then by count.
        let end = words.firstIndex(of: sentenceEnd)
        let order = words.indices.filter { $0 != end }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        words = [sentenceEnd] + order.map { words[$0] }
        counts = [end.map { counts[$0] } ?? 0] + order.map { counts[$0] }
        guard words.count > 1 else { throw Word2VecError.noWordAboveMinCount(file: url.path, minCount: minCount, distinctWords: seen.count) }
        return try Vocabulary(words: words, counts: counts)
    }
}

import Foundation
import Testing
@testable import Word2Vec

@Suite("Vocabulary, Huffman tree and noise distribution")
struct VocabularyTests {
    @Test("word2vec.c's order: </s> first, then by count, ties by first appearance; min-count applied")
    func order() throws {
        let text = "b a c a\nd b a\ne e\n"
        let v = try withBytes(text) { try Vocabulary.learn(from: $0, file: "t", minCount: 2) }
        #expect(v.words == ["</s>", "a", "b", "e"])
        #expect(v.counts == [3, 3, 2, 2])
        #expect(v.trainWords == 10)
        #expect(v.index(of: "e") == 3)
        #expect(v.index(of: "c") == nil)
        let corpus = withBytes(text) { TextCorpus(text: $0, vocabulary: v) }
        // c and d are below min-count: left out; every line end is token 0.
        #expect(corpus.tokens == [2, 1, 1, 0, 2, 1, 0, 3, 3, 0])
        #expect(corpus.rawWordCount == 9)
    }

    @Test("tabs, carriage returns and runs of spaces separate words; a last line without line end counts")
    func tokenizer() throws {
        let v = try withBytes("x\ty  x\r\ny") { try Vocabulary.learn(from: $0, file: "t", minCount: 1) }
        #expect(v.words == ["</s>", "x", "y"])
        #expect(v.counts == [1, 2, 2])
    }

    @Test("an empty corpus and one with no word above min-count are errors naming the file")
    func badCorpora() throws {
        #expect(throws: Word2VecError.emptyCorpus(file: "empty.txt")) {
            try withBytes("  \n\n ") { try Vocabulary.learn(from: $0, file: "empty.txt", minCount: 1) }
        }
        #expect(throws: Word2VecError.emptyCorpus(file: "none.txt")) {
            try withBytes("") { try Vocabulary.learn(from: $0, file: "none.txt", minCount: 1) }
        }
        do {
            _ = try withBytes("a b c a") { try Vocabulary.learn(from: $0, file: "rare.txt", minCount: 5) }
            Issue.record("expected an error")
        } catch let error as Word2VecError {
            #expect(error == .noWordAboveMinCount(file: "rare.txt", minCount: 5, distinctWords: 3))
            #expect(error.description.contains("rare.txt") && error.description.contains("min-count"))
        }
    }

    @Test("save and read back; a malformed line is named by its byte offset")
    func files() throws {
        let v = try Vocabulary(words: ["</s>", "dog", "cat"], counts: [4, 9, 7])
        let url = temporaryFile("vocab.txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try v.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "</s> 4\ndog 9\ncat 7\n")
        let back = try Vocabulary.read(from: url, minCount: 8)
        #expect(back.words == ["</s>", "dog"])
        try Data("</s> 1\ndog 3\ncat x\n".utf8).write(to: url)
        #expect(throws: Word2VecError.malformed(file: url.path, offset: 13, expected: "a line 'word count'", found: "'cat x'")) {
            try Vocabulary.read(from: url)
        }
        // Unsorted input is sorted as word2vec.c sorts it, `</s>` added when missing.
        try Data("a 1\nb 5\n".utf8).write(to: url)
        let sorted = try Vocabulary.read(from: url)
        #expect(sorted.words == ["</s>", "b", "a"] && sorted.counts == [0, 5, 1])
    }

    @Test("Huffman codes: prefix-free, Kraft sum 1, frequent words no longer than rare ones, root first")
    func huffman() {
        let counts = [50, 40, 30, 20, 10, 5, 5, 2, 1]
        let tree = HuffmanTree(counts: counts)
        var codes: [[UInt8]] = []
        var kraft = 0.0
        for w in 0..<counts.count {
            let range = tree.offsets[w]..<tree.offsets[w + 1]
            let code = Array(tree.codes[range])
            codes.append(code)
            kraft += pow(2, -Double(code.count))
            #expect(tree.points[range.lowerBound] == Int32(counts.count - 2), "path starts at the root")
            #expect(tree.points[range].allSatisfy { $0 >= 0 && $0 < Int32(counts.count - 1) })
        }
        #expect(abs(kraft - 1) < 1e-12)
        for a in 0..<codes.count {
            for b in 0..<codes.count where a != b {
                #expect(!(codes[a].count <= codes[b].count && Array(codes[b].prefix(codes[a].count)) == codes[a]))
            }
            if a > 0 { #expect(codes[a - 1].count <= codes[a].count) }
        }
        // The expected code length is the entropy bound's: within one bit of it.
        let total = Double(counts.reduce(0, +))
        let length = zip(counts, codes).reduce(0.0) { $0 + Double($1.0) / total * Double($1.1.count) }
        let entropy = counts.reduce(0.0) { $0 - Double($1) / total * log2(Double($1) / total) }
        #expect(length >= entropy && length < entropy + 1)
    }

    @Test("negative samples follow count^0.75 and never draw </s>")
    func noise() {
        let counts = [1000, 800, 200, 50, 10, 1]
        let entries = NoiseDistribution(counts: counts).entries
        var rng = SplitMix64(seed: 5)
        var seen = [Int](repeating: 0, count: counts.count)
        let draws = 400_000
        for _ in 0..<draws {
            let r = rng.next()
            let i = Int(((r >> 32) * UInt64(entries.count)) >> 32)
            let e = entries[i]
            seen[UInt32(truncatingIfNeeded: r) < e.threshold ? i : Int(e.alias)] += 1
        }
        #expect(seen[0] == 0)
        let weights = counts.dropFirst().map { pow(Double($0), 0.75) }
        let total = weights.reduce(0, +)
        for (k, w) in weights.enumerated() {
            let expected = w / total, observed = Double(seen[k + 1]) / Double(draws)
            // Four standard deviations of a binomial proportion.
            #expect(abs(observed - expected) < 4 * (expected * (1 - expected) / Double(draws)).squareRoot() + 1e-9, "word \(k + 1)")
        }
    }
}

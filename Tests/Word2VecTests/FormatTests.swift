import Foundation
import Testing
@testable import Word2Vec

@Suite("Vector files, queries and evaluations")
struct FormatTests {
    static func sample() throws -> WordVectors {
        var rng = SplitMix64(seed: 9)
        let words = ["</s>", "king", "queen", "man", "woman", "ünïcode"]
        return try WordVectors(words: words, size: 5, vectors: (0..<30).map { _ in (rng.unitFloat() - 0.5) * 1e-2 })
    }

    @Test("text and binary formats read back exactly, the format recognised from the file", arguments: WordVectors.Format.allCases)
    func roundTrip(format: WordVectors.Format) throws {
        let v = try Self.sample()
        let url = temporaryFile("v.\(format.rawValue)")
        defer { try? FileManager.default.removeItem(at: url) }
        try v.write(to: url, format: format)
        let back = try WordVectors.read(from: url)
        #expect(back.words == v.words && back.size == 5)
        #expect(back.vectors.map(\.bitPattern) == v.vectors.map(\.bitPattern))
        let header = try Data(contentsOf: url).prefix(4)
        #expect(String(decoding: header, as: UTF8.self) == "6 5\n")
    }

    @Test("a truncated binary file names the byte offset and the word")
    func truncated() throws {
        let v = try Self.sample()
        let url = temporaryFile("t.bin")
        defer { try? FileManager.default.removeItem(at: url) }
        try v.write(to: url, format: .binary)
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 9).write(to: url)
        do {
            _ = try WordVectors.read(from: url)
            Issue.record("expected an error")
        } catch let Word2VecError.malformed(file, offset, expected, found) {
            // The last record starts after the header and five records of (word, space, 20 bytes, line feed).
            let lastVector = whole.count - 21
            #expect(file == url.path && offset == lastVector)
            #expect(expected.contains("20 bytes") && expected.contains("ünïcode") && found.contains("truncated"))
        }
    }

    @Test("malformed text files: bad header, a word that is not a number, too few numbers")
    func malformedText() throws {
        let url = temporaryFile("m.txt")
        defer { try? FileManager.default.removeItem(at: url) }
        func error(_ text: String) -> Word2VecError? {
            try? Data(text.utf8).write(to: url)
            do { _ = try WordVectors.read(from: url, format: .text); return nil } catch { return error as? Word2VecError }
        }
        guard case let .malformed(_, offset, _, _)? = error("two 3\na 1 2 3\n") else { Issue.record("header"); return }
        #expect(offset == 0)
        guard case let .malformed(_, offset2, _, found)? = error("2 3\na 1 2 3\nb 1 x 3\n") else { Issue.record("number"); return }
        #expect(offset2 == 16 && found == "'x'")
        guard case let .malformed(_, _, expected, _)? = error("2 3\na 1 2 3\nb 1 2\n") else { Issue.record("short"); return }
        #expect(expected.contains("number 3 of 3"))
        guard case let .malformed(_, _, expected2, _)? = error("3 3\na 1 2 3\nb 1 2 3\n") else { Issue.record("count"); return }
        #expect(expected2.contains("word 3 of 3"))
        #expect(error("1 2\na 1 2\nextra 3 4\n") != nil)
    }

    @Test("similar and analogy: cosine order, query words excluded, an unknown word named")
    func queries() throws {
        // a_i = e_i, b_i = (e_i + e_9)/√2: "a0 is to b0 as a1 is to ?" is b1.
        var words: [String] = [], vectors: [Float] = []
        for i in 0..<5 {
            words.append("a\(i)"); vectors += (0..<10).map { $0 == i ? 1 : 0 }
            words.append("b\(i)"); vectors += (0..<10).map { $0 == i || $0 == 9 ? 1 / Float(2).squareRoot() : 0 }
        }
        let v = try WordVectors(words: words, size: 10, vectors: vectors)
        let answer = try v.analogy("a0", "b0", "a1", count: 3)
        #expect(answer.first?.word == "b1")
        #expect(!answer.contains { ["a0", "b0", "a1"].contains($0.word) })
        let near = try v.mostSimilar(to: "b2", count: 2)
        #expect(near.map(\.word) == ["a2", "b0"] || near.map(\.word) == ["a2", "b1"])
        #expect(abs(near[0].similarity - 1 / Float(2).squareRoot()) < 1e-6)
        #expect(throws: Word2VecError.unknownWord("zebra")) { try v.analogy("a0", "zebra", "a1") }
        #expect(Word2VecError.unknownWord("zebra").description.contains("'zebra'"))

        let questions = """
        : capital-world
        a0 b0 a1 b1
        A2 B2 a3 b3
        a0 b0 zebra b4
        : gram1-plural
        b0 a0 b1 a1
        a4 b4 a0 b1
        """
        let report = try WordVectorEvaluation.analogies(v, questions: questions, file: "q.txt", restrict: 30_000)
        #expect(report.sections.map(\.name) == ["capital-world", "gram1-plural"])
        #expect(report.sections[0].correct == 2 && report.sections[0].answered == 2 && report.sections[0].total == 3)
        #expect(report.sections[1].correct == 1 && report.sections[1].answered == 2)
        #expect(report.overall.correct == 3 && report.overall.answered == 4 && report.overall.total == 5)
        #expect(abs(report.coverage - 0.8) < 1e-12)
        #expect(report.semantic.accuracy == 1 && report.syntactic.accuracy == 0.5)
        // Restricted to the first 4 words, only the question on a0 b0 a1 b1 remains.
        let restricted = try WordVectorEvaluation.analogies(v, questions: questions, file: "q.txt", restrict: 4)
        #expect(restricted.overall.answered == 2)
        #expect(throws: (any Error).self) { try WordVectorEvaluation.analogies(v, questions: "a0 b0 a1\n", file: "bad.txt") }
    }

    @Test("word similarity: Spearman's ρ with tied ranks, coverage of the pairs")
    func similarity() throws {
        #expect(WordVectorEvaluation.ranks([3, 1, 2, 2]) == [4, 1, 2.5, 2.5])
        let v = try WordVectors(words: ["x", "y", "z", "w"], size: 2, vectors: [1, 0, 1, 0.1, 0, 1, 1, 1])
        // cos(x,y) ≈ 0.995 > cos(x,w) ≈ 0.707 > cos(x,z) = 0: human scores in the same order give ρ = 1.
        let pairs = "# comment\nx\ty\t9.0\nx\tw\t5.5\nx\tz\t1.0\nx\tmissing\t3\n"
        let report = try WordVectorEvaluation.similarity(v, pairs: pairs, file: "ws.tsv")
        #expect(report.found == 3 && report.total == 4)
        #expect(abs(report.spearman - 1) < 1e-12)
        let reversed = try WordVectorEvaluation.similarity(v, pairs: "X Y 1\nx w 5\nx z 9\n", file: "ws.tsv")
        #expect(abs(reversed.spearman + 1) < 1e-12)
        #expect(throws: (any Error).self) { try WordVectorEvaluation.similarity(v, pairs: "x y\n", file: "bad.tsv") }
    }
}

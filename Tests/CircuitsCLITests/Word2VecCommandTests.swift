import Foundation
import Testing
@testable import CircuitsCLI
@testable import Word2Vec

@Suite("circuits word2vec")
struct Word2VecCommandTests {
    /// Four topics of ten words each; every line is a sentence from one topic, with "the" between.
    static func writeCorpus(in directory: URL) throws -> String {
        var state: UInt64 = 12345
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var lines: [String] = []
        for _ in 0..<1200 {
            let t = next(4)
            lines.append((0..<9).map { $0 % 3 == 0 ? "the" : "t\(t)w\(next(10))" }.joined(separator: " "))
        }
        let path = directory.appendingPathComponent("corpus.txt").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let small = ["--size", "16", "--window", "3", "--iter", "3", "--min-count", "1", "--threads", "1", "--seed", "3", "--sample", "0.01"]

    @Test("train writes vectors, JSON lines per iteration and a summary; one thread, same seed: same file")
    func trainDeterministic() throws {
        let dir = try temporaryDirectory()
        let corpus = try Self.writeCorpus(in: dir)
        let a = dir.appendingPathComponent("a.bin").path, b = dir.appendingPathComponent("b.bin").path
        let r = circuits(["word2vec", "train", "--text", corpus, "--out", a, "--json"] + Self.small)
        #expect(r.code == .success, "\(r.errors)")
        let lines = r.output.split(separator: "\n")
        #expect(lines.filter { $0.contains("\"event\":\"iteration\"") }.count == 3)
        #expect(lines.last?.contains("\"event\":\"summary\"") == true && lines.last?.contains("\"vocabulary\":42") == true)
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", b] + Self.small).code == .success)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
        #expect(FileManager.default.contents(atPath: a)?.prefix(6) == Data("42 16\n".utf8))
    }

    @Test("similar, analogy and eval on trained vectors; text output when --out is not .bin")
    func queries() throws {
        let dir = try temporaryDirectory()
        let corpus = try Self.writeCorpus(in: dir)
        let vectors = dir.appendingPathComponent("v.txt").path
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", vectors] + Self.small).code == .success)
        #expect(try String(contentsOfFile: vectors, encoding: .utf8).hasPrefix("42 16\n</s> "))
        let similar = circuits(["word2vec", "similar", "--vectors", vectors, "t1w1", "-n", "3"])
        #expect(similar.code == .success, "\(similar.errors)")
        let words = similar.output.split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(words.count == 3 && words.allSatisfy { $0.hasPrefix("t1w") })
        let analogy = circuits(["word2vec", "analogy", "--vectors", vectors, "t0w0", "t0w1", "t2w0", "--json"])
        #expect(analogy.code == .success && analogy.output.split(separator: "\n").count == 10)
        let questions = dir.appendingPathComponent("q.txt"), pairs = dir.appendingPathComponent("ws.tsv")
        try ": topics\nt0w0 t0w1 t2w0 t2w1\nt0w0 t0w1 zebra t2w1\n".write(to: questions, atomically: true, encoding: .utf8)
        try "# a comment\nt0w0\tt0w1\t9\nt0w0\tt3w3\t1\nt0w0\tzebra\t5\n".write(to: pairs, atomically: true, encoding: .utf8)
        let eval = circuits(["word2vec", "eval", "--vectors", vectors, "--analogies", questions.path, "--similarity", pairs.path])
        #expect(eval.code == .success, "\(eval.errors)")
        #expect(eval.output.contains("coverage 50.0% (1/2 questions"))
        #expect(eval.output.contains("Spearman ρ 1.0000") && eval.output.contains("(2/3 pairs)"))
    }

    @Test("bad input: empty corpus, nothing above min-count, unknown query word, truncated vectors (exit 1)")
    func failures() throws {
        let dir = try temporaryDirectory()
        let empty = dir.appendingPathComponent("empty.txt").path
        try "\n\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let r1 = circuits(["word2vec", "train", "--text", empty, "--out", dir.appendingPathComponent("x.bin").path])
        #expect(r1.code == .failure && r1.errors.contains("empty"))
        let corpus = try Self.writeCorpus(in: dir)
        let r2 = circuits(["word2vec", "train", "--text", corpus, "--min-count", "100000", "--out", dir.appendingPathComponent("x.bin").path])
        #expect(r2.code == .failure && r2.errors.contains("min-count"))
        let vectors = dir.appendingPathComponent("v.bin").path
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", vectors] + Self.small).code == .success)
        let r3 = circuits(["word2vec", "analogy", "--vectors", vectors, "t0w0", "zebra", "t1w0"])
        #expect(r3.code == .failure && r3.errors.contains("'zebra' is not in the vocabulary"))
        let data = try Data(contentsOf: URL(fileURLWithPath: vectors))
        try data.prefix(data.count - 30).write(to: URL(fileURLWithPath: vectors))
        let r4 = circuits(["word2vec", "similar", "--vectors", vectors, "t0w0"])
        #expect(r4.code == .failure && r4.errors.contains("byte offset") && r4.errors.contains("truncated"))
        // A binary file as the corpus (here the vectors), and evaluation files with no pairs or questions.
        let r5 = circuits(["word2vec", "train", "--text", vectors, "--out", dir.appendingPathComponent("y.bin").path])
        #expect(r5.code == .failure && r5.errors.contains("NUL byte"), "\(r5.errors)")
        // Text that is not UTF-8 names the byte (gensim refuses it too); UTF-8 words of 2, 3 and 4 bytes pass.
        let latin1 = dir.appendingPathComponent("latin1.txt").path
        try Data(Array("hello world caf".utf8) + [0xE9] + Array(" again\n".utf8)).write(to: URL(fileURLWithPath: latin1))
        let r5b = circuits(["word2vec", "train", "--text", latin1, "--out", dir.appendingPathComponent("z.bin").path, "--min-count", "1"])
        #expect(r5b.code == .failure && r5b.errors.contains("byte offset 15") && r5b.errors.contains("UTF-8"), "\(r5b.errors)")
        let words = Array("é ü € 𝄞 ok".utf8)
        #expect(words.withUnsafeBufferPointer { TextCorpus.firstInvalidUTF8($0) } == nil)
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]] {
            #expect((Array("abcdefghij".utf8) + bad).withUnsafeBufferPointer { TextCorpus.firstInvalidUTF8($0) } == 10, "\(bad)")
        }
        let r5c = circuits(["word2vec", "train", "--text", dir.path, "--out", dir.appendingPathComponent("z.bin").path])
        #expect(r5c.code == .failure && r5c.errors.contains("is a directory"), "\(r5c.errors)")
        let good = dir.appendingPathComponent("g.bin").path
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", good] + Self.small).code == .success)
        for option in ["--similarity", "--analogies"] {
            let r6 = circuits(["word2vec", "eval", "--vectors", good, option, empty])
            #expect(r6.code == .failure && r6.errors.contains("found none"), "\(option): \(r6.errors)")
        }
        // Output paths are checked before any work.
        let r7 = circuits(["word2vec", "train", "--text", corpus, "--out", dir.appendingPathComponent("no/such/dir/v.bin").path])
        #expect(r7.code == .usage && r7.errors.contains("does not exist"), "\(r7.errors)")
    }

    @Test("usage errors exit 2: missing verb, unknown verb, missing --text, bad values, stray words")
    func usage() throws {
        #expect(circuits(["word2vec"]).code == .usage)
        let unknown = circuits(["word2vec", "trian"])
        #expect(unknown.code == .usage && unknown.errors.contains("did you mean 'train'"))
        #expect(circuits(["word2vec", "train", "--out", "x.bin"]).errors.contains("--text"))
        #expect(circuits(["word2vec", "train", "--text", "x", "--hs", "2"]).code == .usage)
        #expect(circuits(["word2vec", "train", "--text", "x", "--negative", "0"]).code == .usage)
        #expect(circuits(["word2vec", "similar", "--vectors", "v.bin", "a", "b"]).code == .usage)
        #expect(circuits(["word2vec", "analogy", "--vectors", "v.bin", "a", "b"]).code == .usage)
        #expect(circuits(["word2vec", "similar", "--vectors", "v.bin", "a", "-x"]).code == .usage)
        #expect(circuits(["word2vec", "eval", "--vectors", "v.bin"]).code == .usage)
        let help = circuits(["word2vec", "train", "--help"])
        #expect(help.code == .success && help.output.contains("--min-count") && help.output.contains("deterministic"))
        let overview = circuits(["word2vec", "--help"])
        #expect(["train", "similar", "analogy", "eval"].allSatisfy { overview.output.contains("circuits word2vec \($0)") })
    }

    @Test("gensim's KeyedVectors.load_word2vec_format reads our binary and text files: the same words and vectors")
    func gensimReadsOurFiles() throws {
        let python = packageRoot.appendingPathComponent(".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path),
              (try? runProcess(python, ["-c", "import gensim"]).0) == 0 else {
            print("gensim interop: SKIPPED — \(python.path) with gensim not found (make bench-peers sets it up)")
            return
        }
        let dir = try temporaryDirectory()
        let corpus = try Self.writeCorpus(in: dir)
        let bin = dir.appendingPathComponent("v.bin").path, txt = dir.appendingPathComponent("v.txt").path
        // One thread and a seed: the two runs write the same vectors, once per format.
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", bin] + Self.small).code == .success)
        #expect(circuits(["word2vec", "train", "--text", corpus, "--out", txt] + Self.small).code == .success)
        let script = """
        import sys
        from gensim.models import KeyedVectors
        b = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)
        t = KeyedVectors.load_word2vec_format(sys.argv[2], binary=False)
        assert b.index_to_key == t.index_to_key, "word lists differ"
        rows = [l.split() for l in open(sys.argv[2], encoding="utf-8").read().splitlines()[1:]]
        for word, *values in rows[:10]:
            want = [float(v) for v in values]
            for got in (b[word], t[word]):
                assert max(abs(g - w) for g, w in zip(got, want)) < 1e-6, word
        print(f"gensim read {len(b.index_to_key)} words × {b.vector_size}; first 10 vectors equal to the text file's")
        """
        let (status, out, err) = try runProcess(python, ["-c", script, bin, txt])
        print(out + err)
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("gensim read 42 words × 16"))
    }
    @Test("iterations that end between two progress reports get their own interpolated time and learning rate")
    func shortIterationsAreInterpolated() throws {
        let console = Console.capturing()
        let reporter = Word2VecProgressReporter(console: console, json: true, iterations: 4)
        // 400 words in four iterations of 100; a linear decay from 0.025; reports at 50 and 400 words.
        func alpha(_ words: Int) -> Double { 0.025 * (1 - Double(words) / 401) }
        reporter.update(Word2VecProgress(wordsProcessed: 50, totalWords: 400, alpha: alpha(50), seconds: 0.125))
        reporter.update(Word2VecProgress(wordsProcessed: 400, totalWords: 400, alpha: alpha(400), seconds: 1.0))
        let lines = console.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == 4)
        for (k, line) in lines.enumerated() {
            #expect(abs((line["seconds"] as? Double ?? 0) - 0.25) < 1e-9, "\(line)")
            #expect(abs((line["alpha"] as? Double ?? 0) - alpha(100 * (k + 1))) < 1e-12, "\(line)")
            #expect(abs((line["wordsPerSecond"] as? Double ?? 0) - 400) < 1e-6, "\(line)")
        }
    }
}

import Foundation
import Word2Vec

// word2vec (issue 16): `circuits word2vec train` against the original word2vec.c and gensim on the same
// corpus and settings — skip-gram and CBOW, negative sampling 5, window 5, size 100, sample 1e-3,
// min-count 5 — each run in its own fresh process, ours and the peer's alternating, medians of the rounds.
//
// Words per second are counted the same way for every tool: the corpus file's words (whitespace-separated
// tokens, out-of-vocabulary words included, line ends not) × iterations / seconds, where the seconds are
// - against word2vec.c: the wall time of the whole process on both sides, each reading the same
//   vocabulary file (-read-vocab / --read-vocab) so neither counts the corpus first; the process reads
//   and trains on the corpus and writes binary vectors;
// - against gensim: the training alone — gensim's `model.train(...)` after `build_vocab`, ours the
//   encoding of the corpus plus training (the summary's encodeSeconds + trainSeconds).
// The corpus is `make word2vec-corpus` (.build/word2vec/corpus.txt, or $W2V_CORPUS); word2vec.c is built
// by scripts/word2vec-c-setup.sh. One iteration per run by default ($W2V_BENCH_ITER): words per second
// do not depend on the iteration count, and one pass of word2vec.c at one thread already takes a minute.

/// The issue's targets: ours ≥ 1.5× word2vec.c at 1 thread and ≥ 1.5× gensim at 2 threads (skip-gram).
private let word2vecTarget = 1.5

func word2vecSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let report = context.report
    guard let root = context.repoRoot else { report.say("  (word2vec skipped: repository root not found)"); return [] }
    let env = ProcessInfo.processInfo.environment
    let corpus = env["W2V_CORPUS"] ?? root + "/.build/word2vec/corpus.txt"
    guard FileManager.default.isReadableFile(atPath: corpus) else {
        report.say("  (word2vec skipped: no corpus at \(corpus); run `make word2vec-corpus`)")
        return []
    }
    let circuits = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("circuits").path
    guard FileManager.default.isExecutableFile(atPath: circuits) else {
        report.say("  (word2vec skipped: \(circuits) not built; swift build -c release --product circuits)")
        return []
    }
    let iterations = Int(env["W2V_BENCH_ITER"] ?? "") ?? 1
    let rounds = context.quick ? 1 : 3
    let work = root + "/.build/word2vec"
    let vocabulary = work + "/bench-vocab.txt"
    let out = work + "/bench-ours.bin"
    let runner = PeerRunner(context: context)

    // Warm-up (not timed): builds the shared vocabulary file and brings the corpus into the page cache.
    guard let warm = runCapturing(circuits, ["word2vec", "train", "--text", corpus, "--out", out, "--iter", "1", "--threads", "2",
                                             "--save-vocab", vocabulary, "--json"], timeout: 900), warm.status == 0 else {
        report.say("  (word2vec skipped: the warm-up run of circuits word2vec train failed)")
        return []
    }

    struct Ours { var wall: Double; var train: Double; var corpusWords: Int }
    func ours(cbow: Bool, threads: Int) -> Ours? {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = runCapturing(circuits, ["word2vec", "train", "--text", corpus, "--out", out, "--read-vocab", vocabulary,
                                             "--cbow", cbow ? "1" : "0", "--iter", "\(iterations)", "--threads", "\(threads)", "--json"], timeout: 1800)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard let result, result.status == 0,
              let line = result.stdout.split(separator: "\n").last(where: { $0.contains("\"summary\"") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let encode = (object["encodeSeconds"] as? NSNumber)?.doubleValue, let train = (object["trainSeconds"] as? NSNumber)?.doubleValue,
              let words = (object["corpusWords"] as? NSNumber)?.intValue else {
            report.say("  (word2vec: a run of ours failed: \(result?.stderr.split(separator: "\n").last ?? "did not start"))")
            return nil
        }
        return Ours(wall: wall, train: encode + train, corpusWords: words)
    }

    struct Case { var cbow: Bool; var threads: Int; var peer: String }
    var cases = [Case(cbow: false, threads: 1, peer: "word2vec.c"), Case(cbow: false, threads: 2, peer: "gensim")]
    if !context.quick { cases += [Case(cbow: true, threads: 1, peer: "word2vec.c"), Case(cbow: true, threads: 2, peer: "gensim")] }
    var figures: [BenchFigure] = []
    for c in cases {
        let arch = c.cbow ? "cbow" : "skip-gram"
        var mine: [Double] = [], theirs: [Double] = [], version = "?"
        for round in 0..<rounds {
            report.say("  (word2vec \(arch) threads=\(c.threads) vs \(c.peer), round \(round + 1)/\(rounds))")
            guard let o = ours(cbow: c.cbow, threads: c.threads) else { continue }
            let seconds = c.peer == "word2vec.c" ? o.wall : o.train
            mine.append(Double(o.corpusWords * iterations) / seconds)
            let common = ["--corpus", corpus, "--iter", "\(iterations)", "--cbow", c.cbow ? "1" : "0", "--threads", "\(c.threads)"]
            let records = c.peer == "word2vec.c" ? runner.run("word2vec_c.py", common + ["--vocab", vocabulary], timeout: 3600)
                                                 : runner.run("word2vec_gensim.py", common, timeout: 3600)
            for r in records ?? [] {
                guard let v = r.value else { continue }
                theirs.append(v)
                version = r.version ?? version
            }
        }
        guard !mine.isEmpty else { continue }
        let our = median(mine)
        let base = theirs.isEmpty ? nil : median(theirs)
        let counted = c.peer == "word2vec.c" ? "process wall time, both reading the same vocabulary file" : "training time (gensim train(); ours encoding + training)"
        var f = BenchFigure(suite: "word2vec", name: "word2vec \(arch) threads=\(c.threads)\(c.peer == "gensim" ? " vs gensim" : "")",
                            value: our, unit: "words/s", baseline: base, baselineName: c.peer, ratio: base.map { our / $0 },
                            note: "corpus words × \(iterations) iteration\(iterations == 1 ? "" : "s") / \(counted); "
                                + "\(c.peer) \(version); medians over \(mine.count) ours / \(theirs.count) theirs interleaved; "
                                + "ours \(mine.map { rateLabel($0) }.joined(separator: " ")), theirs \(theirs.map { rateLabel($0) }.joined(separator: " "))")
        if !c.cbow { f.requireRatio(atLeast: word2vecTarget, String(format: "≥ %.1f× %@", word2vecTarget, c.peer)) }
        figures.append(f)
    }
    figures += try formatCheck(context, runner, circuits: circuits, vectors: out)
    try? FileManager.default.removeItem(atPath: out)
    return figures
}

/// gensim reads our files: `KeyedVectors.load_word2vec_format` on the binary vectors of the last run and
/// on the same vectors in text format must give exactly the vectors we read back; and gensim's own
/// evaluation of that file is set beside `circuits word2vec eval`'s (the same questions over the 30,000
/// most frequent words, and WordSim-353).
private func formatCheck(_ context: BenchContext, _ runner: PeerRunner, circuits: String, vectors binary: String) throws -> [BenchFigure] {
    let report = context.report
    guard FileManager.default.fileExists(atPath: binary) else { return [] }
    let ours = try WordVectors.read(from: URL(fileURLWithPath: binary))
    let text = binary + ".txt"
    try ours.write(to: URL(fileURLWithPath: text), format: .text)
    defer { try? FileManager.default.removeItem(atPath: text) }
    var figures: [BenchFigure] = []
    for (path, isBinary) in [(binary, true), (text, false)] {
        var args = ["--vectors", path, "--binary", isBinary ? "1" : "0", "--words", "the,of,king,queen,computer"]
        if isBinary { args.append("--evaluate") }
        guard let record = runner.run("word2vec_load_check.py", args, timeout: 900)?.first else { continue }
        let sample = record.fields["sample"] as? [String: [NSNumber]] ?? [:]
        var identical = 0
        for (word, values) in sample {
            let mine = try ours.vector(word)
            if values.count == mine.count && zip(values, mine).allSatisfy({ $0.floatValue.bitPattern == $1.bitPattern }) { identical += 1 }
        }
        let words = record.int("words") ?? -1
        report.say("  gensim \(record.version ?? "?") load_word2vec_format(\(isBinary ? "binary" : "text")): \(words) words (ours \(ours.count)), "
                   + "first '\(record.fields["first_word"] ?? "?")'; \(identical) of \(sample.count) sample vectors bit-identical")
        if words != ours.count || identical != sample.count || sample.isEmpty {
            throw BenchError("gensim read our \(isBinary ? "binary" : "text") file differently")
        }
        guard isBinary, let gensimAccuracy = record.double("analogy_accuracy"), let gensimRho = record.double("spearman") else { continue }
        guard let eval = runCapturing(circuits, ["word2vec", "eval", "--vectors", binary, "--analogies", gensimData(context, "questions-words.txt"),
                                                 "--similarity", gensimData(context, "wordsim353.tsv"), "--json"], timeout: 600),
              eval.status == 0, let line = eval.stdout.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let accuracy = (object["analogyAccuracy"] as? NSNumber)?.doubleValue, let rho = (object["spearman"] as? NSNumber)?.doubleValue else {
            report.say("  (circuits word2vec eval failed on \(binary))")
            continue
        }
        report.say(String(format: "  evaluation of the same file: analogies %.2f%% ours / %.2f%% gensim, WordSim-353 ρ %.4f ours / %.4f gensim",
                          accuracy * 100, gensimAccuracy * 100, rho, gensimRho))
        figures.append(BenchFigure(suite: "word2vec", name: "word2vec eval analogies (same file)", value: accuracy * 100, unit: "%",
                                   baseline: gensimAccuracy * 100, baselineName: "gensim evaluate_word_analogies",
                                   ratio: gensimAccuracy > 0 ? accuracy / gensimAccuracy : nil,
                                   note: String(format: "WordSim-353 ρ %.4f ours / %.4f gensim; 30,000 most frequent words", rho, gensimRho)))
    }
    return figures
}

/// A file of gensim's test data in the peer venv (questions-words.txt, wordsim353.tsv).
private func gensimData(_ context: BenchContext, _ name: String) -> String {
    let lib = (context.repoRoot ?? ".") + "/.build/peers-venv/lib"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib))?.filter { $0.hasPrefix("python") }.sorted() ?? []
    return lib + "/" + (versions.last ?? "python3") + "/site-packages/gensim/test/test_data/" + name
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// 412345 → "412k" for the notes.
private func rateLabel(_ x: Double) -> String {
    x >= 1e6 ? String(format: "%.2fM", x / 1e6) : String(format: "%.0fk", x / 1e3)
}

import Foundation
import Word2Vec

/// `circuits word2vec similar WORD` and `analogy A B C`.
enum Word2VecQuery {
    struct Line: Encodable { var word: String; var similarity: Double }

    static func vectors(_ a: ParsedArguments) throws -> WordVectors {
        guard let path = a.string("vectors") else { throw CLIError.usage("--vectors FILE is required", command: a.command) }
        try DataInput.requireReadableFile(path)
        return try WordVectors.read(from: URL(fileURLWithPath: path))
    }

    static func run(_ verb: Word2VecVerb, _ a: ParsedArguments, positional: [String], context: CommandContext) throws -> ExitCode {
        let wanted = verb == .similar ? 1 : 3
        guard positional.count == wanted else {
            throw CLIError.usage(verb == .similar ? "similar takes one word, got \(positional.count)" : "analogy takes three words A B C (A is to B as C is to ?), got \(positional.count)", command: a.command)
        }
        let n = try a.int("n", minimum: 1) ?? 10
        let v = try vectors(a)
        let neighbours = verb == .similar ? try v.mostSimilar(to: positional[0], count: n)
                                          : try v.analogy(positional[0], positional[1], positional[2], count: n)
        for nb in neighbours {
            if a.has("json") {
                context.console.print(ProgressReporter.json(Line(word: nb.word, similarity: Double(nb.similarity))))
            } else {
                context.console.print(nb.word.padding(toLength: max(20, nb.word.count), withPad: " ", startingAt: 0) + " " + String(format: "%.4f", nb.similarity))
            }
        }
        return .success
    }
}

/// `circuits word2vec eval`: analogy accuracy and word-similarity correlation.
enum Word2VecEval {
    struct SectionLine: Encodable {
        var event = "analogy-section"
        var section: String
        var correct: Int
        var answered: Int
        var total: Int
        var accuracy: Double
    }

    struct Summary: Encodable {
        var event = "summary"
        var analogyAccuracy: Double?
        var semanticAccuracy: Double?
        var syntacticAccuracy: Double?
        var analogyCoverage: Double?
        var analogiesAnswered: Int?
        var analogiesTotal: Int?
        var restrict: Int?
        var spearman: Double?
        var pearson: Double?
        var similarityCoverage: Double?
        var pairsFound: Int?
        var pairsTotal: Int?
    }

    static func read(_ path: String) throws -> String {
        try DataInput.requireReadableFile(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.failure("\(path): could not be read") }
        return String(decoding: data, as: UTF8.self)
    }

    static func run(_ a: ParsedArguments, positional: [String], context: CommandContext) throws -> ExitCode {
        guard positional.isEmpty else { throw CLIError.usage("unexpected argument \"\(positional[0])\"", command: a.command) }
        guard a.has("analogies") || a.has("similarity") else {
            throw CLIError.usage("give --analogies FILE, --similarity FILE or both", command: a.command)
        }
        let restrict = try a.int("restrict", minimum: 1) ?? 30_000
        let json = a.has("json")
        let console = context.console
        let v = try Word2VecQuery.vectors(a)
        var summary = Summary()
        func percent(_ s: WordVectorEvaluation.Section) -> String {
            String(format: "%6.2f%%  (%d/%d, %d of %d questions answered)", s.accuracy * 100, s.correct, s.answered, s.answered, s.total)
        }
        if let path = a.string("analogies") {
            let report = try WordVectorEvaluation.analogies(v, questions: try read(path), file: path, restrict: restrict)
            for s in report.sections {
                if json {
                    console.print(ProgressReporter.json(SectionLine(section: s.name, correct: s.correct, answered: s.answered, total: s.total, accuracy: s.accuracy)))
                } else {
                    console.print(s.name.padding(toLength: 28, withPad: " ", startingAt: 0) + percent(s))
                }
            }
            let overall = report.overall
            if !json {
                console.print("semantic".padding(toLength: 28, withPad: " ", startingAt: 0) + percent(report.semantic))
                console.print("syntactic".padding(toLength: 28, withPad: " ", startingAt: 0) + percent(report.syntactic))
                console.print("analogies: " + String(format: "%.2f%%", overall.accuracy * 100) + " accuracy, coverage "
                              + String(format: "%.1f%%", report.coverage * 100) + " (\(overall.answered)/\(overall.total) questions; \(report.restrictVocabulary) most frequent words)")
            }
            summary.analogyAccuracy = overall.accuracy
            summary.semanticAccuracy = report.semantic.accuracy
            summary.syntacticAccuracy = report.syntactic.accuracy
            summary.analogyCoverage = report.coverage
            summary.analogiesAnswered = overall.answered
            summary.analogiesTotal = overall.total
            summary.restrict = report.restrictVocabulary
        }
        if let path = a.string("similarity") {
            let report = try WordVectorEvaluation.similarity(v, pairs: try read(path), file: path)
            if !json {
                console.print("similarity: Spearman ρ " + String(format: "%.4f", report.spearman) + ", Pearson " + String(format: "%.4f", report.pearson)
                              + ", coverage " + String(format: "%.1f%%", report.coverage * 100) + " (\(report.found)/\(report.total) pairs)")
            }
            summary.spearman = report.spearman.isFinite ? report.spearman : nil
            summary.pearson = report.pearson.isFinite ? report.pearson : nil
            summary.similarityCoverage = report.coverage
            summary.pairsFound = report.found
            summary.pairsTotal = report.total
        }
        if json { console.print(ProgressReporter.json(summary)) }
        return .success
    }
}

import Foundation
import Word2Vec

/// `circuits word2vec VERB …`: word vectors with skip-gram or CBOW (module `Word2Vec`), and the usual
/// queries and evaluations on them. The verb is the first word after `word2vec`; each verb has its own
/// options (`Word2VecVerb`), and some take positional words (`similar WORD`, `analogy A B C`).
enum Word2VecCommand: Command {
    static let name = "word2vec"
    static let summary = "train word vectors (skip-gram/CBOW) and query or evaluate them"
    /// Every verb's options, for the listing in `--help` (each verb accepts only its own).
    static var options: [OptionSpec] {
        var seen = Set<String>()
        return Word2VecVerb.allCases.flatMap(\.options).filter { seen.insert($0.name).inserted }
    }
    static var details: String {
        var lines = ["Verbs:"]
        for verb in Word2VecVerb.allCases {
            lines.append("  circuits word2vec \(verb.usage)")
            lines.append("      \(verb.summary)")
        }
        lines += ["", "Run 'circuits word2vec VERB --help' for a verb's options.", "", Word2VecVerb.trainNotes]
        return lines.joined(separator: "\n")
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        throw CLIError.usage("word2vec needs a verb: \(Word2VecVerb.allCases.map(\.rawValue).joined(separator: ", "))", command: name)
    }

    /// Runs `circuits word2vec ARGS` (called before the shared option parsing: verbs and positional words).
    static func dispatch(_ arguments: [String], context: CommandContext) -> ExitCode {
        let console = context.console
        guard let first = arguments.first else {
            console.printError("circuits word2vec: missing verb (\(Word2VecVerb.allCases.map(\.rawValue).joined(separator: ", ")))")
            console.printError("Run 'circuits word2vec --help' for usage.")
            return .usage
        }
        if ["--help", "-h", "help"].contains(first) {
            if first == "help", arguments.count > 1, let verb = Word2VecVerb(rawValue: arguments[1]) { console.print(verb.help) } else { console.print(help) }
            return .success
        }
        guard let verb = Word2VecVerb(rawValue: first) else {
            let hint = closest(to: first, among: Word2VecVerb.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
            console.printError("circuits word2vec: unknown verb '\(first)'\(hint)")
            console.printError("Run 'circuits word2vec --help' for usage.")
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            console.print(verb.help)
            return .success
        }
        let label = "word2vec \(verb.rawValue)"
        do {
            let (options, positional) = try split(rest, verb: verb)
            let parsed = try ArgumentParser.parse(options, options: verb.options, command: label)
            switch verb {
            case .train: return try Word2VecTrain.run(parsed, positional: positional, context: context)
            case .similar, .analogy: return try Word2VecQuery.run(verb, parsed, positional: positional, context: context)
            case .eval: return try Word2VecEval.run(parsed, positional: positional, context: context)
            }
        } catch let error as CLIError {
            console.printError("circuits \(label): \(error)")
            if case .usage = error { console.printError("Run 'circuits word2vec \(verb.rawValue) --help' for usage.") }
            return error.exitCode
        } catch {
            console.printError("circuits \(label): \(oneLine(error))")
            return .failure
        }
    }

    /// Separates options (with their values) from positional words; `-n N` is `--n N`, as in the C tools'
    /// and gensim's habit of a short top-n flag.
    static func split(_ arguments: [String], verb: Word2VecVerb) throws -> (options: [String], positional: [String]) {
        var options: [String] = [], positional: [String] = []
        var i = 0
        while i < arguments.count {
            var a = arguments[i]
            if a == "-n" { a = "--n" }
            if a == "--" { positional += arguments[(i + 1)...]; break }
            if a.hasPrefix("--") && a.count > 2 {
                options.append(a)
                let name = String(a.dropFirst(2).prefix { $0 != "=" })
                if !a.contains("="), let spec = verb.options.first(where: { $0.name == name }), !spec.isFlag, i + 1 < arguments.count {
                    options.append(arguments[i + 1])
                    i += 1
                }
            } else if a.hasPrefix("-") && a.count > 1 && Double(a) == nil {
                throw CLIError.usage("unexpected option \"\(a)\" for 'circuits word2vec \(verb.rawValue)' (options start with two dashes; -n is the one short form)", command: "word2vec \(verb.rawValue)")
            } else {
                positional.append(a)
            }
            i += 1
        }
        return (options, positional)
    }
}

/// The verbs of `circuits word2vec`, their options and help.
enum Word2VecVerb: String, CaseIterable {
    case train, similar, analogy, eval

    var summary: String {
        switch self {
        case .train: return "train vectors on a text corpus and write them in word2vec's text or binary format"
        case .similar: return "the words closest to WORD (cosine)"
        case .analogy: return "a is to b as c is to ?: the words closest to b − a + c (a, b, c excluded)"
        case .eval: return "score analogies (questions-words.txt) and word similarity (WordSim-353)"
        }
    }

    var usage: String {
        switch self {
        case .train: return "train --text FILE --out FILE [options]"
        case .similar: return "similar --vectors FILE WORD [-n 10]"
        case .analogy: return "analogy --vectors FILE A B C [-n 10]"
        case .eval: return "eval --vectors FILE [--analogies FILE] [--similarity FILE]"
        }
    }

    static let vectorsOption = OptionSpec("vectors", value: "FILE", help: "word vectors in word2vec's text or binary format (recognised from the file)")
    static let jsonOption = OptionSpec("json", help: "print JSON (one object per line) on standard output")

    var options: [OptionSpec] {
        switch self {
        case .train:
            return [
                OptionSpec("text", value: "FILE", help: "training corpus: words separated by spaces, one sentence (document) per line"),
                OptionSpec("out", value: "FILE", help: "where to write the vectors", default: "vectors.bin"),
                OptionSpec("binary", value: "0|1", help: "1: binary format, 0: text", default: "1 when --out ends in .bin, else 0"),
                OptionSpec("size", value: "N", help: "dimension of the word vectors", default: "100"),
                OptionSpec("window", value: "N", help: "largest distance between centre and context words (each window shrinks at random to 1…N)", default: "5"),
                OptionSpec("negative", value: "N", help: "negative samples per positive one (0: none)", default: "5"),
                OptionSpec("hs", value: "0|1", help: "1: hierarchical softmax over a Huffman tree", default: "0"),
                OptionSpec("cbow", value: "0|1", help: "1: continuous bag of words, 0: skip-gram (word2vec.c defaults to 1)", default: "0"),
                OptionSpec("sample", value: "X", help: "sub-sampling threshold for frequent words (0: off)", default: "1e-3"),
                OptionSpec("min-count", value: "N", help: "leave out words occurring fewer times", default: "5"),
                OptionSpec("alpha", value: "X", help: "starting learning rate, decaying linearly to alpha·1e-4", default: "0.025 skip-gram, 0.05 CBOW"),
                OptionSpec("iter", value: "N", help: "passes over the corpus", default: "5"),
                OptionSpec("threads", value: "N", help: "Hogwild threads (1: deterministic, same seed same vectors)", default: "the number of cores"),
                OptionSpec("seed", value: "N", help: "seed of the initial vectors and every random choice", default: "1"),
                OptionSpec("save-vocab", value: "FILE", help: "also write the vocabulary ('word count' lines, most frequent first)"),
                OptionSpec("read-vocab", value: "FILE", help: "take the vocabulary from this file instead of counting the corpus"),
                Self.jsonOption,
            ]
        case .similar, .analogy:
            return [Self.vectorsOption, OptionSpec("n", value: "N", help: "how many words to list (also -n N)", default: "10"), Self.jsonOption]
        case .eval:
            return [Self.vectorsOption,
                    OptionSpec("analogies", value: "FILE", help: "analogy questions in questions-words.txt format"),
                    OptionSpec("similarity", value: "FILE", help: "word pairs with scores, as wordsim353.tsv"),
                    OptionSpec("restrict", value: "N", help: "analogies: answer among the N most frequent words only", default: "30000"),
                    Self.jsonOption]
        }
    }

    static let trainNotes = """
    Training follows word2vec.c (Mikolov et al. 2013) and takes its options under the same names; the
    defaults are its defaults except --cbow (skip-gram here) and --threads (the cores of this machine).
    With --threads 1 a run is deterministic: the same --seed gives the same vectors bit for bit. With
    more threads the updates race (Hogwild), as in word2vec.c and gensim: vectors differ from run to run.
    Words per second count corpus tokens in the vocabulary, line ends included (word2vec.c's count).
    """

    var help: String {
        var lines = ["circuits word2vec \(rawValue) — \(summary)", "", "Usage: circuits word2vec \(usage)", "", "Options:"]
        let labels = options.map { Word2VecCommand.optionLabel($0) }
        let width = (labels.map(\.count) + ["--help".count]).max()! + 2
        for (o, label) in zip(options, labels) {
            var line = "  " + label + String(repeating: " ", count: width - label.count) + o.help
            if let d = o.defaultValue { line += " (default: \(d))" }
            lines.append(line)
        }
        lines.append("  --help" + String(repeating: " ", count: width - 6) + "show this help")
        switch self {
        case .train:
            lines += ["", "Example:", "  circuits word2vec train --text corpus.txt --out vectors.bin --size 100 --window 5 --negative 5 --iter 5", "", Self.trainNotes]
        case .similar:
            lines += ["", "Example:", "  circuits word2vec similar --vectors vectors.bin king -n 5"]
        case .analogy:
            lines += ["", "Example:", "  circuits word2vec analogy --vectors vectors.bin man king woman   # → queen"]
        case .eval:
            lines += ["", "Both files ship in gensim under gensim/test/test_data/ (questions-words.txt, wordsim353.tsv).",
                      "Analogies: accuracy per section, semantic, syntactic and overall, over the questions whose four words",
                      "are among the --restrict most frequent words (coverage = the fraction answered), case-insensitive.",
                      "Similarity: Spearman's ρ between the scores and the cosines of the pairs in the vocabulary."]
        }
        lines += ["", exitCodesHelp]
        return lines.joined(separator: "\n")
    }
}

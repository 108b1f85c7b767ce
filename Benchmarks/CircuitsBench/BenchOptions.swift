import Foundation

/// The suites, in the order they run: gemm first, because it measures the per-core peak that the mlp
/// figures are expressed against. `--suite all` runs the `standard` ones (minutes); word2vec and tsne
/// train on whole corpora and data sets for many minutes each and run only when named
/// (`make bench-word2vec`, `make bench-tsne`), and so does cnn-accuracy, which trains the cnn preset to 92%
/// on each side (`make bench-cnn-accuracy`).
enum Suite: String, CaseIterable {
    case gemm, elementwise, mlp, gates, peers, conv, cnn, cnnAccuracy = "cnn-accuracy", recurrent, word2vec, tsne

    static let standard: [Suite] = [.gemm, .elementwise, .mlp, .gates, .peers, .conv, .cnn, .recurrent]
    static var names: String { allCases.map(\.rawValue).joined(separator: "|") }
}

/// The command line: `CircuitsBench [--suite NAME[,NAME…]|all] [--threads N]
/// [--quick] [--json]`. `circuits bench` execs this binary with the same arguments.
struct BenchOptions {
    var suites: [Suite] = Suite.standard
    /// BLAS thread counts the thread-dependent figures are taken at. Default 1 and 2: the targets
    /// are stated at both; `--threads N` pins one.
    var threads: [Int] = [1, 2]
    var quick = false
    var json = false

    static let usage = """
        usage: CircuitsBench [--suite gemm|elementwise|gates|mlp|peers|conv|cnn|cnn-accuracy|recurrent|word2vec|tsne|all] [--threads N] [--quick] [--json]
          --suite S    one suite, a comma-separated list, or all (default all: every suite but cnn-accuracy, word2vec and tsne)
          --threads N  BLAS threads for the gemm, mlp, peers, conv and recurrent figures (default: 1 and 2)
          --quick      fewer repetitions and smaller subsets: the whole run in about a minute
          --json       one JSON object per figure on stdout (human text goes to stderr)
        Results are also written to bench-results.json and bench-results.md in the current directory.
        """

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments[...]
        func value(of flag: String) throws -> String {
            guard let next = rest.popFirst(), !next.hasPrefix("--") else { throw UsageError(description: "\(flag) needs a value") }
            return next
        }
        while let argument = rest.popFirst() {
            // Accept --flag=value as well as --flag value.
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { rest.insert(parts[1], at: rest.startIndex) }
            switch parts[0] {
            case "--suite":
                let text = try value(of: "--suite")
                if text == "all" { options.suites = Suite.standard; continue }
                var chosen: [Suite] = []
                for name in text.split(separator: ",") {
                    guard let suite = Suite(rawValue: String(name)) else {
                        throw UsageError(description: "unknown suite '\(name)' (expected \(Suite.names) or all)")
                    }
                    chosen.append(suite)
                }
                // Keep the canonical order whatever order they were named in (gemm's peak feeds mlp).
                options.suites = Suite.allCases.filter(chosen.contains)
            case "--threads":
                let text = try value(of: "--threads")
                guard let n = Int(text), n >= 1 else { throw UsageError(description: "--threads needs a positive integer, got '\(text)'") }
                options.threads = [n]
            case "--quick": options.quick = true
            case "--json": options.json = true
            case "--help", "-h": throw UsageError(description: "")
            default: throw UsageError(description: "unknown argument '\(argument)'")
            }
        }
        return options
    }
}

import Foundation
import Layers
import Tensor

/// `circuits gradcheck`: compares every op's and layer's analytic gradient (the hand-written backward
/// kernels, run on the tape) with `GradientCheck`'s central differences, in Double, and prints the worst
/// relative errors. The checks are the entries of `GradientCatalogue.all`, the same the tests run.
enum GradcheckCommand: Command {
    static let name = "gradcheck"
    static let summary = "check every op's and layer's gradient against central differences"
    static let options: [OptionSpec] = [
        OptionSpec("tolerance", value: "X", help: "largest relative error that passes", default: "1e-5"),
        OptionSpec("seed", value: "N", help: "seed of the random test points", default: "7"),
        OptionSpec("all", help: "print every check, not just the ten worst"),
    ]

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let tolerance = try arguments.double("tolerance", in: 0...1) ?? 1e-5
        var seed: UInt64 = 7
        if let s = arguments.string("seed") {
            guard let v = UInt64(s) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(s)\"", command: name) }
            seed = v
        }
        var results: [(String, GradientCheck.Result)] = []
        for (i, check) in GradientCatalogue.all.enumerated() {
            results.append((check.name, try check.check(seed: seed &+ UInt64(i))))
        }
        let ranked = results.sorted { $0.1.worstRelativeError > $1.1.worstRelativeError }
        let failed = ranked.filter { !($0.1.worstRelativeError <= tolerance) }
        let console = context.console
        console.print("gradient check: \(results.count) ops and layers in Double, fourth-order central differences (GradientCheck defaults: h = 1e-4, floor 1e-3), outputs weighted by random factors")
        console.print("worst relative errors:")
        let width = results.map(\.0.count).max()!
        for (name, r) in arguments.has("all") ? ranked : Array(ranked.prefix(10)) {
            let mark = r.worstRelativeError <= tolerance ? "ok  " : "FAIL"
            console.print("  \(mark) \(name)" + String(repeating: " ", count: width - name.count)
                          + String(format: "  %.2e  (input %d[%d]: analytic %.6g, numerical %.6g)", r.worstRelativeError, r.worstInput, r.worstIndex, r.analytic, r.numerical))
        }
        if failed.isEmpty {
            console.print("all \(results.count) checks pass (tolerance \(tolerance))")
            return .success
        }
        console.print("\(failed.count) of \(results.count) checks exceed tolerance \(tolerance): \(failed.map(\.0).joined(separator: ", "))")
        return .failure
    }
}

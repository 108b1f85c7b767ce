import Foundation
import Tensor

// CircuitsBench: the figures of issue #7 — GEMM roofline, elementwise ops, the MLP training step,
// scalar gates against vectorized training, and the same work in peer libraries. See
// Benchmarks/README.md for what each figure means and how to read the ratios.

// A worker measures one configuration in this fresh process and exits (see Worker.swift).
if CommandLine.arguments.count >= 3, CommandLine.arguments[1] == "--worker" {
    exit(runWorker(CommandLine.arguments[2], Array(CommandLine.arguments.dropFirst(3))))
}

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch let error as BenchOptions.UsageError {
    if !error.description.isEmpty { FileHandle.standardError.write(Data("CircuitsBench: \(error.description)\n".utf8)) }
    FileHandle.standardError.write(Data((BenchOptions.usage + "\n").utf8))
    exit(error.description.isEmpty ? 0 : 2)
}

let report = Report(json: options.json)
let repoRoot = findRepoRoot()
let peerPython = findPeerPython(repoRoot: repoRoot)
let machine = MachineInfo.collect(repoRoot: repoRoot, peerPython: peerPython)
let header = machine.lines(threads: options.threads, quick: options.quick)
report.say("CircuitsBench — suites: \(options.suites.map(\.rawValue).joined(separator: ", "))")
for line in header { report.say("  " + line) }

let context = BenchContext(options: options, report: report, repoRoot: repoRoot, peerPython: peerPython)
let runStart = DispatchTime.now().uptimeNanoseconds
var failedSuites: [String] = []
for suite in options.suites {
    report.say("\n[\(suite.rawValue)]")
    let suiteStart = DispatchTime.now().uptimeNanoseconds
    do {
        switch suite {
        case .gemm: report.add(try gemmSuite(context))
        case .elementwise: report.add(try elementwiseSuite(context))
        case .mlp: report.add(try mlpSuite(context))
        case .gates:
            // The gate engine against unrolled scalar code (GatesSuite.swift), then the scalar engine
            // against vectorized training on the same nets.
            report.add(gatesSuite(quick: options.quick))
            report.add(try vectorizedGatesSuite(context))
        case .peers: report.add(try peersSuite(context))
        case .conv: report.add(try convSuite(context))
        case .cnn: report.add(try cnnSuite(context))
        case .cnnAccuracy: report.add(try cnnAccuracySuite(context))
        case .word2vec: report.add(try word2vecSuite(context))
        case .tsne: report.add(try tsneSuite(context))
        case .recurrent: report.add(try recurrentSuite(context))
        }
    } catch {
        // One suite's error (a shape the library rejects, say) should not hide the other suites' figures.
        report.say("  \(suite.rawValue) suite failed: \(error)")
        failedSuites.append(suite.rawValue)
    }
    report.say(String(format: "  (%@: %.1f s, load average %@)", suite.rawValue,
                      Double(DispatchTime.now().uptimeNanoseconds - suiteStart) / 1e9, loadAverage()))
}

let targets = report.figures.filter { $0.target != nil }
let judged = targets.filter { $0.pass != nil }
let passed = judged.filter { $0.pass == true }.count
let noisy = targets.filter { $0.pass == nil && $0.noise != nil }.count
let unjudged = targets.count - judged.count - noisy
let notJudged = [unjudged > 0 ? "\(unjudged) not judged: baseline missing" : nil,
                 noisy > 0 ? "\(noisy) not judged: noisy run (see the notes; run again on a quiet machine)" : nil].compactMap { $0 }
report.say(String(format: "\nTargets: %d of %d met%@. Total %.0f s; load average at end %@.", passed, judged.count,
                  notJudged.isEmpty ? "" : " (" + notJudged.joined(separator: "; ") + ")",
                  Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9, loadAverage()))
for f in judged where f.pass == false {
    report.say("  not met: \(f.name) — \(f.target!)" + (f.gap.map { ": \($0)" } ?? ""))
}

let command = (["CircuitsBench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
do {
    try report.writeJSON(to: "bench-results.json")
    try report.writeMarkdown(to: "bench-results.md", header: header + ["Load average at end: \(loadAverage())"], command: command)
    report.say("Wrote bench-results.json and bench-results.md in \(FileManager.default.currentDirectoryPath).")
} catch {
    report.say("Could not write the result files: \(error)")
    exit(1)
}
exit(failedSuites.isEmpty ? 0 : 1)

// Fuzz target for `circuits predict` and `circuits eval` on a model file and a data file, run in
// process exactly as the command line runs them (CommandFuzzing frames the input: which command and
// options, which model — one of models/, written by scripts/fuzz-cli-corpus.sh, or model bytes carried by
// the input — and the data file). Must never crash, and predict must never print NaN on a finite model.
import CircuitsCLI
import Foundation

/// The committed model files (Fuzz/cli/models, relative to the repository root where fuzz.sh runs).
let models: [String] = {
    let directory = ProcessInfo.processInfo.environment["CIRCUITS_FUZZ_MODELS"] ?? "Fuzz/cli/models"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
}()
let scratch = NSTemporaryDirectory() + "fuzz-cli-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let (outcome, committed) = CommandFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)), models: models, scratch: scratch) else {
        return 0
    }
    if let problem = CommandFuzzing.violation(outcome, committedModel: committed) { fatalError(problem) }
    return 0
}

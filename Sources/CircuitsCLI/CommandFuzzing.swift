import Foundation

/// `circuits predict` and `circuits eval` on fuzzer-made input: the harness of the `Fuzz/cli` target and
/// of the test that replays its saved crashers (`Tests/CircuitsCLITests/Fixtures/Regressions`).
///
/// An input is framed as
/// - byte 0: bit 0 eval (else predict), bit 1 `--proba`, bit 2 `--nan drop`, bits 3–4 `--header`
///   (auto, yes, no, auto), bits 5–7 the data file's format (csv, svm, npy, idx, csv, svm, csv, csv);
/// - byte 1: the model — one of `models` (index modulo their count), or, from 0xF0 up, a model file that
///   the input itself carries: 2 bytes of length (little-endian), then that many bytes;
/// - the rest: the data file; for npy and idx, 2 bytes of length (little-endian) split it into the
///   features file and a labels file (none when empty).
///
/// The command must end with status 0, 1 or 2 — never a trap — and, on one of `models` (finite, well
/// formed), a successful `predict` must not print NaN.
package enum CommandFuzzing {
    package struct Outcome {
        package var code: ExitCode
        package var output: String
        package var errors: String
        package var arguments: [String]
    }

    /// What went wrong, for the fuzz entry to trap on (nil when the run behaved).
    package static func violation(_ outcome: Outcome, committedModel: Bool) -> String? {
        if committedModel && outcome.code == .success && outcome.arguments.contains("predict") && outcome.output.contains("nan") {
            return "predict printed nan on a finite model: \(outcome.output.prefix(200))"
        }
        return nil
    }

    /// Runs the command an input describes in `scratch` (a directory it may fill and empty), or returns
    /// nil for an input too short to describe one. `committedModel` tells whether one of `models` was used.
    package static func run(_ bytes: [UInt8], models: [String], scratch: String) -> (Outcome, committedModel: Bool)? {
        guard bytes.count >= 2 else { return nil }
        let flags = bytes[0], choice = bytes[1]
        var rest = bytes[2...]
        func take(_ count: Int) -> ArraySlice<UInt8> {
            let n = min(count, rest.count)
            defer { rest = rest.dropFirst(n) }
            return rest.prefix(n)
        }
        func length() -> Int {
            let b = take(2)
            return b.count == 2 ? Int(b[b.startIndex]) | Int(b[b.startIndex + 1]) << 8 : 0
        }
        let fm = FileManager.default
        try? fm.removeItem(atPath: scratch)
        guard (try? fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)) != nil else { return nil }
        func write(_ name: String, _ content: ArraySlice<UInt8>) -> String {
            let path = (scratch as NSString).appendingPathComponent(name)
            // fopen/fwrite rather than Data.write, which fsyncs and would dominate the run time.
            if let file = fopen(path, "wb") {
                _ = content.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
                fclose(file)
            }
            return path
        }

        let committed = choice < 0xF0 && !models.isEmpty
        let model = committed ? models[Int(choice) % models.count] : write("model.safetensors", take(length()))
        let command = flags & 1 == 1 ? "eval" : "predict"
        var arguments = [command, "--model", model]
        let formats = ["csv", "svm", "npy", "idx", "csv", "svm", "csv", "csv"]
        switch formats[Int(flags >> 5)] {
        case "npy":
            let features = take(length())
            arguments += ["--data", write("X.npy", features)]
            if !rest.isEmpty { arguments += ["--labels", write("y.npy", rest)] }
        case "idx":
            let images = take(length())
            arguments += ["--data", write("d-images-idx3-ubyte", images)]
            if !rest.isEmpty { arguments += ["--labels", write("d-labels-idx1-ubyte", rest)] }
        case let ext:
            arguments += ["--data", write("d.\(ext)", rest)]
        }
        if flags & 2 != 0 && command == "predict" { arguments.append("--proba") }
        if flags & 4 != 0 { arguments += ["--nan", "drop"] }
        switch (flags >> 3) & 3 {
        case 1: arguments += ["--header", "yes"]
        case 2: arguments += ["--header", "no"]
        default: break
        }
        let console = Console.capturing()
        let context = CommandContext(console: console, executablePath: "circuits", handlesSignals: false)
        let code = CircuitsCLI.run(["circuits"] + arguments, context: context)
        return (Outcome(code: code, output: console.output, errors: console.errors, arguments: arguments), committed)
    }
}

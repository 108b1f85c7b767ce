import Foundation
import Testing
@testable import CircuitsCLI

/// The `cli` fuzz target's harness in the test suite: every seed of its corpus and every input that ever
/// crashed it is replayed through `CommandFuzzing` — the code the fuzz binary runs — and must end with a
/// status of 0, 1 or 2 and print no NaN from a committed (finite) model.
@Suite("Fuzz target cli: seeds and regressions replayed", .serialized)
struct CommandFuzzingTests {
    static let models: [String] = {
        let directory = packageRoot.appendingPathComponent("Fuzz/cli/models").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { directory + "/" + $0 }
    }()

    static func inputs(_ folder: String) -> [String] {
        let directory = packageRoot.appendingPathComponent(folder).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { directory + "/" + $0 }
    }

    func replay(_ path: String) throws -> CommandFuzzing.Outcome? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("circuits-fuzz-replay-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard let (outcome, committed) = CommandFuzzing.run(bytes, models: Self.models, scratch: scratch) else { return nil }
        #expect([ExitCode.success, .failure, .usage].contains(outcome.code))
        #expect(CommandFuzzing.violation(outcome, committedModel: committed) == nil, "\(path)")
        if outcome.code != .success {
            // A failure is one line naming the cause, never an internal message.
            #expect(outcome.errors.split(separator: "\n").filter { !$0.hasPrefix("warning:") && !$0.hasPrefix("Run ") }.count == 1, "\(outcome.errors)")
        }
        return outcome
    }

    @Test("The committed models are the eight the corpus indexes")
    func models() {
        #expect(Self.models.map { URL(fileURLWithPath: $0).lastPathComponent } ==
                ["columns", "format1", "idx", "layers", "libsvm", "logistic", "npy-pca", "regression"].map { $0 + ".safetensors" })
    }

    @Test("Every seed runs its command to a clean end; the well-formed ones succeed")
    func seeds() throws {
        let seeds = Self.inputs("Fuzz/cli/corpus")
        #expect(seeds.count >= 12)
        var outcomes: [String: CommandFuzzing.Outcome] = [:]
        for seed in seeds { outcomes[URL(fileURLWithPath: seed).lastPathComponent] = try replay(seed) }
        for name in ["predict-columns-swapped", "eval-columns", "predict-columns-unlabelled", "eval-libsvm", "predict-npy-nan-drop",
                     "eval-npy-nan-drop", "predict-logistic-proba", "eval-regression", "predict-format1", "predict-inline-model"] {
            #expect(outcomes[name]?.code == .success, "\(name): \(outcomes[name]?.errors ?? "not run")")
        }
        // The layers model's seed holds a NaN and asks for --nan drop: the row is left out, with a warning.
        #expect(outcomes["predict-layers"]?.code == .success)
        #expect(outcomes["predict-layers"]?.errors.contains("left out 1 of 3 rows with a missing or non-finite value (lines 3)") == true)
        #expect(outcomes["predict-layers"]?.output.split(separator: "\n").count == 3)   // header and two rows
    }

    @Test("Every saved crasher now ends cleanly", arguments: inputs("Tests/CircuitsCLITests/Fixtures/Regressions"))
    func regression(_ path: String) throws {
        _ = try replay(path)
    }
}

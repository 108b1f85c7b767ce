import Foundation
import Testing
@testable import CircuitsCLI

/// Runs the built `circuits` executable as a subprocess (`make test` builds it first).
@Suite("the circuits binary", .serialized)
struct BinaryTests {
    @Test("train through the binary: JSON lines on stdout, exit 0; usage and missing-file errors")
    func binary() throws {
        guard let binary = builtBinary() else {
            print("binary tests: SKIPPED — no .build/release/circuits or .build/debug/circuits (run: swift build -c release --product circuits)")
            return
        }
        let dir = try temporaryDirectory()
        let (status, out, err) = try runProcess(binary, ["train", "--data", "toy:xor:200", "--model", "mlp:8", "--epochs", "3", "--json",
                                                         "--out", "m.safetensors", "--report", "r.html"], directory: dir)
        #expect(status == 0, "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == 4)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.safetensors").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.html").path))

        let usage = try runProcess(binary, ["train", "--epoch", "3"])
        #expect(usage.0 == 2)
        #expect(usage.2.contains("did you mean --epochs?"))
        let missing = try runProcess(binary, ["eval", "--model", "/no/such/model.safetensors", "--data", "x"])
        #expect(missing.0 == 1)
        #expect(missing.2 == "circuits eval: /no/such/model.safetensors: no such file or directory\n")
        let help = try runProcess(binary, ["--help"])
        #expect(help.0 == 0 && help.1.contains("Commands:"))
    }
}

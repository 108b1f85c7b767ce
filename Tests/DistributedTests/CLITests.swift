import Foundation
import Layers
import Testing

/// `mpirun -np N circuits train --distributed …` trains the model `circuits train …` trains, and reports
/// a mismatched rank clearly.
@Suite("circuits train --distributed", .serialized)
struct CLITests {
    static let arguments = ["--data", "toy:spirals", "--model", "mlp:32,32", "--optimizer", "momentum", "--lr", "0.05",
                            "--epochs", "5", "--batch-size", "32", "--threads", "1"]

    static func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: path))
        var result: [String: [Float]] = [:]
        for (name, tensor) in file.tensors { if let t = tensor.tensor(as: Float.self) { result[name] = t.scalars } }
        return result
    }

    @Test("2 ranks write the model one process writes, within 1e-5")
    func sameModel() throws {
        let single = temporaryPath("single.safetensors"), parallel = temporaryPath("parallel.safetensors")
        defer { for p in [single, parallel] { try? FileManager.default.removeItem(atPath: p) } }
        let one = try MPIRun.run(ranks: 1, Self.arguments + ["--out", single], program: [MPIRun.cli.path, "train"])
        try #require(one.status == 0, "\(one.all)")
        let two = try MPIRun.run(ranks: 2, Self.arguments + ["--out", parallel], program: [MPIRun.cli.path, "train", "--distributed"])
        try #require(two.status == 0, "\(two.all)")
        #expect(two.errors.contains("distributed: 2 ranks"))
        let a = try Self.tensors(parallel), b = try Self.tensors(single)
        #expect(Set(a.keys) == Set(b.keys) && !a.isEmpty)
        for (name, want) in b {
            let got = try #require(a[name])
            let scale = max(want.map(abs).max() ?? 0, 1e-30)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst / scale <= 1e-5, "\(name): worst relative difference \(worst / scale)")
        }
    }

    @Test("A different seed on rank 1: circuits train fails naming the rank and the seed")
    func seedMismatch() throws {
        let cli = MPIRun.cli.path
        let out = temporaryPath("unused.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try MPIRun.run(ranks: nil, ["-np", "1", cli, "train", "--distributed"] + Self.arguments + ["--out", out, "--seed", "1", ":",
                                            "-np", "1", cli, "train", "--distributed"] + Self.arguments + ["--out", out, "--seed", "2"])
        #expect(!r.timedOut && r.status != 0)
        #expect(r.errors.contains("circuits train: rank 1 differs from rank 0 in seed: \"2\" on rank 1, \"1\" on rank 0"), "\(r.all)")
    }

    @Test("Checkpoints by rank 0: a 2-rank run resumed after epoch 2 ends with the weights of a 4-epoch run")
    func resume() throws {
        let checkpoint = temporaryPath("checkpoint.safetensors"), first = temporaryPath("first.safetensors")
        let resumed = temporaryPath("resumed.safetensors"), straight = temporaryPath("straight.safetensors")
        defer { for p in [checkpoint, first, resumed, straight] { try? FileManager.default.removeItem(atPath: p) } }
        let program = [MPIRun.cli.path, "train", "--distributed"]
        // A constant schedule: the cosine one depends on the epoch count, which grows on resume.
        let base = ["--data", "toy:spirals", "--model", "mlp:32,32", "--optimizer", "adam", "--lr", "0.01", "--schedule", "constant",
                    "--batch-size", "32", "--threads", "1", "--checkpoint", checkpoint]
        let a = try MPIRun.run(ranks: 2, base + ["--epochs", "2", "--checkpoint-every", "1", "--out", first], program: program)
        try #require(a.status == 0, "\(a.all)")
        let b = try MPIRun.run(ranks: 2, base + ["--epochs", "4", "--resume", "--out", resumed], program: program)
        try #require(b.status == 0, "\(b.all)")
        #expect(b.errors.contains("resuming from"))
        let c = try MPIRun.run(ranks: 2, base + ["--epochs", "4", "--out", straight], program: program)
        try #require(c.status == 0, "\(c.all)")
        let x = try Self.tensors(resumed), y = try Self.tensors(straight)
        #expect(!x.isEmpty && x == y, "resumed weights differ from the uninterrupted run's")
    }
}

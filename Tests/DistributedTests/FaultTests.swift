import Distributed
import Foundation
import Layers
import Testing

/// A job whose ranks disagree, or lose a rank, ends with an error naming the rank — never a hang — and a
/// job killed mid-run resumes from rank 0's checkpoint to the parameters of an uninterrupted run.
@Suite("Distributed faults and resume", .serialized)
struct FaultTests {
    static let base = ["--data", "synthetic:227:6:3", "--model", "mlp:16,8", "--optimizer", "momentum", "--lr", "0.05",
                       "--l2", "0.01", "--batch-size", "32", "--seed", "11", "--val-split", "0", "--schedule", "constant",
                       "--threads", "1", "--out", temporaryPath("model.safetensors")]
    /// Bound on how long a failing job may take to end (they take 1–3 s here).
    static let bound = 30.0

    /// `mpirun -np a prog args… : -np b prog other…` — ranks started with different command lines.
    static func mpmd(_ first: (Int, [String]), _ second: (Int, [String])) -> [String] {
        let program = MPIRun.train
        return ["-np", "\(first.0)"] + program + first.1 + [":", "-np", "\(second.0)"] + program + second.1
    }

    func expectFailure(_ result: MPIRun.Result, mentions text: String) {
        #expect(!result.timedOut, "the job hung:\n\(result.all)")
        #expect(result.status != 0)
        #expect(result.seconds < Self.bound)
        #expect(result.all.contains(text), "expected \"\(text)\" in:\n\(result.all)")
    }

    @Test("A different seed on rank 1 ends the job naming rank 1 and the seed")
    func seedMismatch() throws {
        let r = try MPIRun.run(ranks: nil, Self.mpmd((1, Self.base + ["--epochs", "2"]), (1, Self.base + ["--epochs", "2", "--seed", "12"])))
        expectFailure(r, mentions: "rank 1 differs from rank 0 in seed: \"12\" on rank 1, \"11\" on rank 0")
    }

    @Test("A different data file on rank 2 of 3 ends the job naming rank 2 and the data")
    func dataMismatch() throws {
        let r = try MPIRun.run(ranks: nil, Self.mpmd((2, Self.base + ["--epochs", "2"]), (1, Self.base + ["--epochs", "2", "--data", "synthetic:228:6:3"])))
        expectFailure(r, mentions: "rank 2 differs from rank 0 in data file")
    }

    @Test("A different model on rank 1 ends the job naming rank 1 and the model")
    func modelMismatch() throws {
        let r = try MPIRun.run(ranks: nil, Self.mpmd((1, Self.base + ["--epochs", "2"]), (1, Self.base + ["--epochs", "2", "--model", "mlp:16,4"])))
        expectFailure(r, mentions: "rank 1 differs from rank 0 in model")
    }

    @Test("A rank killed mid-training ends the job within a bounded time, naming the rank")
    func killedRank() throws {
        let r = try MPIRun.run(ranks: 2, Self.base + ["--epochs", "1000", "--die-rank", "1", "--die-step", "5"])
        expectFailure(r, mentions: "rank 1")
    }

    @Test("A stalled rank makes the others abort after the collective timeout")
    func stalledRank() throws {
        let r = try MPIRun.run(ranks: 2, Self.base + ["--epochs", "1000", "--die-rank", "1", "--die-step", "5", "--die-signal", "stop", "--timeout", "2"])
        expectFailure(r, mentions: "rank 0 of 2: gradient all-reduce: no answer from the other ranks within 2 s")
    }

    @Test("Killed after a checkpoint, resumed: the same parameters as an uninterrupted run")
    func resumeAfterKill() throws {
        let checkpoint = temporaryPath("checkpoint.safetensors"), resumed = temporaryPath("resumed.txt"), straight = temporaryPath("straight.txt")
        defer { for p in [checkpoint, resumed, straight] { try? FileManager.default.removeItem(atPath: p) } }
        // 8 steps per epoch: step 20 is in epoch 3, after the checkpoints of epochs 1 and 2.
        let killed = try MPIRun.run(ranks: 2, Self.base + ["--epochs", "4", "--checkpoint", checkpoint, "--checkpoint-every", "1",
                                                           "--die-rank", "1", "--die-step", "20"])
        #expect(killed.status != 0)
        try #require(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint written:\n\(killed.all)")
        let again = try MPIRun.run(ranks: 2, Self.base + ["--epochs", "4", "--checkpoint", checkpoint, "--resume", "--parameters-out", resumed])
        try #require(again.status == 0, "\(again.all)")
        let whole = try MPIRun.run(ranks: 2, Self.base + ["--epochs", "4", "--parameters-out", straight])
        try #require(whole.status == 0, "\(whole.all)")
        let a = try readParameters(resumed), b = try readParameters(straight)
        #expect(a.map(\.name) == b.map(\.name))
        #expect(zip(a, b).allSatisfy { $0.values == $1.values }, "resumed parameters differ from the uninterrupted run's")
    }
}

@Suite("Configuration fingerprint")
struct FingerprintTests {
    @Test("Fields compare in order; the first difference names the field and both values")
    func mismatch() throws {
        var a = ConfigurationFingerprint()
        a.add("data file", "train.csv, 100 bytes")
        a.add("seed", "42")
        var b = a
        b.add("seed", "43")
        #expect(a != b)
        let message = DistributedError.configurationMismatch(rank: 3, field: "seed", value: "43", rank0Value: "42").description
        #expect(message.hasPrefix("rank 3 differs from rank 0 in seed: \"43\" on rank 3, \"42\" on rank 0"))
    }

    @Test("The data digest changes with one label")
    func digest() throws {
        let x = try Tensor<Float>([[1, 2], [3, 4]])
        let d1 = ConfigurationFingerprint.digest(try TrainingData(features: x, labels: [0, 1]))
        let d2 = ConfigurationFingerprint.digest(try TrainingData(features: x, labels: [1, 0]))
        #expect(d1 != d2)
        #expect(d1.hasPrefix("2×2, 2 classes, hash "))
    }
}

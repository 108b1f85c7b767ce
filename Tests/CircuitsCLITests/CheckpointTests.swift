import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

@Suite("checkpoint and resume", .serialized)
struct CheckpointTests {
    /// Weights of a model file by name.
    func weights(_ path: URL) throws -> [String: Tensor<Float>] {
        let file = try SafeTensorsFile.read(from: path)
        var out: [String: Tensor<Float>] = [:]
        for (name, t) in file.tensors { out[name] = t.tensor(as: Float.self) }
        return out
    }

    func arguments(out: URL, optimizer: String) -> [String] {
        ["train", "--data", "toy:spirals:240", "--model", "mlp:12,8", "--dropout", "0.2", "--optimizer", optimizer,
         "--epochs", "6", "--batch-size", "16", "--seed", "5", "--checkpoint-every", "1", "--out", out.path]
    }

    @Test("interrupted mid-epoch and resumed ends with bit-identical weights", arguments: ["adam", "momentum"])
    func resumeEqualsUninterrupted(optimizer: String) throws {
        let dir = try temporaryDirectory(#function + optimizer)
        let straight = dir.appendingPathComponent("straight.safetensors")
        let resumed = dir.appendingPathComponent("resumed.safetensors")
        let a = circuits(arguments(out: straight, optimizer: optimizer))
        #expect(a.code == .success, "\(a.errors)")

        // Stopped in epoch 4 (index 3) after 5 batches: the checkpoint holds epoch 3; the partial epoch is
        // lost, as when the process is killed.
        let b = circuits(arguments(out: resumed, optimizer: optimizer), interruptAfter: { epoch, batch in epoch == 3 && batch == 5 })
        #expect(b.code == .failure)
        let checkpoint = dir.appendingPathComponent("resumed.checkpoint.safetensors")
        let saved = try Checkpoint<Float>.read(from: checkpoint).state
        #expect(saved.completedEpochs == 3)
        #expect(saved.history.count == 3)
        #expect(saved.layers.flatMap(\.generators).count == 2)   // the two dropout layers' streams
        #expect(try weights(resumed) != weights(straight))

        let c = circuits(arguments(out: resumed, optimizer: optimizer) + ["--resume"])
        #expect(c.code == .success, "\(c.errors)")
        #expect(c.errors.contains("resuming from") && c.errors.contains("after epoch 3"))
        #expect(!c.errors.contains("epoch 3/6  ") && c.errors.contains("epoch 6/6"))
        let w1 = try weights(straight), w2 = try weights(resumed)
        #expect(w1.keys.sorted() == w2.keys.sorted())
        for (name, t) in w1 {
            // Bit for bit: compare the raw patterns, so even -0.0 versus 0.0 would count.
            #expect(t.scalars.map(\.bitPattern) == w2[name]!.scalars.map(\.bitPattern), "\(name) differs")
        }
    }

    @Test("a checkpoint is refused when the settings differ")
    func settingsMustMatch() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("m.safetensors")
        #expect(circuits(arguments(out: out, optimizer: "adam")).code == .success)
        var changed = arguments(out: out, optimizer: "adam") + ["--resume"]
        changed[changed.firstIndex(of: "5")!] = "6"   // another seed
        let r = circuits(changed)
        #expect(r.code == .failure)
        #expect(r.errors.contains("written with other settings") && r.errors.contains("seed: 5 → 6"), "\(r.errors)")
    }

    @Test("--resume without a checkpoint names the missing file")
    func missingCheckpoint() throws {
        let dir = try temporaryDirectory()
        let r = circuits(arguments(out: dir.appendingPathComponent("m.safetensors"), optimizer: "adam") + ["--resume"])
        #expect(r.code == .failure)
        #expect(r.errors.contains("m.checkpoint.safetensors: no such file or directory"))
    }

    @Test("checkpoints leave no temporary files behind")
    func atomicWrites() throws {
        let dir = try temporaryDirectory()
        #expect(circuits(arguments(out: dir.appendingPathComponent("m.safetensors"), optimizer: "sgd")).code == .success)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["m.checkpoint.safetensors", "m.safetensors"])
    }
}

import Foundation
import Testing
@testable import CircuitsCLI
import Layers
import Tensor

// `circuits lm train` and `lm sample` on a small text, and recurrent layers in `--model`.

private let verse = """
    The quality of mercy is not strain'd,
    It droppeth as the gentle rain from heaven
    Upon the place beneath: it is twice blest;
    It blesseth him that gives and him that takes.

    """

private func writeText(_ directory: URL, _ text: String, name: String = "text.txt") throws -> String {
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

private func jsonLines(_ output: String) -> [[String: Any]] {
    output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

@Suite("circuits lm: train, sample, errors, resume")
struct LMCommandTests {
    static func train(_ dir: URL, _ extra: [String]) throws -> RunResult {
        let text = try writeText(dir, String(repeating: verse, count: 12))
        return circuits(["lm", "train", "--text", text, "--model", "rnn:32", "--seq-length", "20", "--batch-size", "8",
                         "--lr", "0.01", "--threads", "1", "--seed", "3", "--json", "--sample-length", "60", "--temperature", "0.7"] + extra)
    }

    @Test("JSON lines in train's schema: per-row seconds adding up to trainSeconds, no epoch count under a time budget alone, the summary names the model")
    func jsonSchemaMatchesTrain() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        let r = try Self.train(dir, ["--out", model, "--time-budget", "0.3", "--validation-every", "0.02", "--sample-length", "0"])
        #expect(r.code == .success, "\(r.errors)")
        let lines = jsonLines(r.output)
        let rows = lines.filter { $0["event"] as? String != "summary" }
        #expect(!rows.isEmpty && rows.allSatisfy { ["epoch", "validation"].contains($0["event"] as? String) })
        #expect(rows.allSatisfy { $0["epochs"] == nil }, "a time budget alone sets no epoch count")
        let seconds = rows.compactMap { $0["seconds"] as? Double }, total = rows.last?["trainSeconds"] as? Double
        #expect(seconds.count == rows.count && total.map { abs(seconds.reduce(0, +) - $0) < 1e-9 } == true)
        let summary = try #require(lines.last)
        #expect(summary["event"] as? String == "summary" && summary["model"] as? String == model)
        // The summary counts complete epochs only (a run stopped inside one ends on a validation row).
        #expect(summary["epochs"] as? Int == rows.filter { $0["event"] as? String == "epoch" }.count, "\(summary)")
        // Interrupted inside epoch 2: the last row is a validation point of epoch 2, one epoch is complete.
        let cut = circuits(["lm", "train", "--text", try writeText(dir, String(repeating: verse, count: 12)), "--model", "rnn:16",
                            "--seq-length", "20", "--batch-size", "8", "--threads", "1", "--json", "--sample-length", "0", "--epochs", "3",
                            "--out", model], interruptAfter: { epoch, chunk in epoch == 1 && chunk == 2 })
        let cutLines = jsonLines(cut.output)
        #expect(cut.code == .failure && cut.errors.contains("interrupted after 1 complete epoch and part of the next"), "\(cut.errors)")
        #expect(cutLines.filter { $0["event"] as? String == "epoch" }.count == 1)
        #expect(cutLines.dropLast().last?["event"] as? String == "validation" && cutLines.dropLast().last?["epoch"] as? Int == 2)
        #expect(cutLines.last?["epochs"] as? Int == 1 && cutLines.last?["interrupted"] as? Bool == true)
        let bounded = try Self.train(dir, ["--out", model, "--epochs", "2", "--sample-length", "0"])
        #expect(jsonLines(bounded.output).filter { $0["event"] as? String == "epoch" }.allSatisfy { $0["epochs"] as? Int == 2 })
    }

    @Test("training lowers the validation loss below uniform; lm sample after loading prints the training run's sample")
    func trainAndSample() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        let report = dir.appendingPathComponent("r.html").path
        let r = try Self.train(dir, ["--out", model, "--epochs", "3", "--report", report])
        #expect(r.code == .success, "\(r.errors)")
        let epochs = jsonLines(r.output).filter { $0["event"] as? String == "epoch" }
        #expect(epochs.count == 3)
        let losses = epochs.compactMap { $0["validationLoss"] as? Double }
        let symbols = Set(verse.unicodeScalars).count
        #expect(losses.count == 3 && losses[2] < losses[0] && losses[2] < log(Double(symbols)) * 0.75, "validation \(losses)")
        let bits = epochs.last?["validationBitsPerCharacter"] as? Double
        #expect(bits.map { abs($0 - losses[2] / log(2)) < 1e-9 } == true)
        let sample = try #require(epochs.last?["sample"] as? String)
        #expect(sample.unicodeScalars.count == 60)
        let s = circuits(["lm", "sample", "--model", model, "--length", "60", "--temperature", "0.7", "--seed", "3"])
        #expect(s.code == .success, "\(s.errors)")
        #expect(s.output == sample + "\n")
        // A prime is printed, then continued.
        let primed = circuits(["lm", "sample", "--model", model, "--length", "30", "--prime", "It is", "--seed", "4"])
        #expect(primed.code == .success && primed.output.hasPrefix("It is") && primed.output.unicodeScalars.count == 36)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("loss-curve") && html.contains("Sample after epoch 3"))
    }

    @Test("a prime character the model never saw is an error naming it")
    func unknownPrime() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        #expect(try Self.train(dir, ["--out", model, "--epochs", "1", "--sample-length", "0"]).code == .success)
        let r = circuits(["lm", "sample", "--model", model, "--prime", "It~", "--length", "5"])
        #expect(r.code == .failure)
        #expect(r.errors.contains("\"~\"") && r.errors.contains("position 2"), "\(r.errors)")
    }

    @Test("invalid UTF-8 and binary files: errors name the byte offset")
    func badText() throws {
        let dir = try temporaryDirectory()
        var bytes = Array("hello, world and more text here".utf8)
        bytes[7] = 0xFF
        let invalid = dir.appendingPathComponent("bad.txt").path
        try Data(bytes).write(to: URL(fileURLWithPath: invalid))
        let r = circuits(["lm", "train", "--text", invalid, "--out", dir.appendingPathComponent("m").path, "--epochs", "1"])
        #expect(r.code == .failure && r.errors.contains("byte offset 7") && r.errors.contains("UTF-8"), "\(r.errors)")
        bytes[7] = 0
        try Data(bytes).write(to: URL(fileURLWithPath: invalid))
        let b = circuits(["lm", "train", "--text", invalid, "--out", dir.appendingPathComponent("m").path, "--epochs", "1"])
        #expect(b.code == .failure && b.errors.contains("byte offset 7") && b.errors.contains("binary"), "\(b.errors)")
        // A leading byte-order mark is not a character of the text; a file of nothing else has no text.
        #expect(try CharacterText.decode([0xEF, 0xBB, 0xBF] + Array("ab\u{FEFF}c".utf8), file: "t") == Array("ab\u{FEFF}c".unicodeScalars))
        #expect(throws: CLIError.self) { try CharacterText.decode([0xEF, 0xBB, 0xBF], file: "t") }
        let m = circuits(["lm", "train", "--text", invalid, "--model", "lstm:0"])
        #expect(m.code == .usage)
        // Sizes that cannot be allocated are usage errors before any weight is drawn.
        let text = try writeText(dir, verse, name: "ok.txt")
        let huge = circuits(["lm", "train", "--text", text, "--model", "lstm:64x65536"])
        #expect(huge.code == .usage && huge.errors.contains("parameters"), "\(huge.errors)")
        let wide = circuits(["lm", "train", "--text", text, "--model", "rnn:8", "--batch-size", "100000", "--seq-length", "100000"])
        #expect(wide.code == .usage && wide.errors.contains("--batch-size"), "\(wide.errors)")
    }

    @Test("--length 0 prints the prime and nothing else")
    func lengthZero() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        #expect(try Self.train(dir, ["--out", model, "--epochs", "1", "--sample-length", "0"]).code == .success)
        let none = circuits(["lm", "sample", "--model", model, "--length", "0"])
        #expect(none.code == .success && none.output == "\n", "\(none.output.debugDescription)")
        let primed = circuits(["lm", "sample", "--model", model, "--length", "0", "--prime", "It is"])
        #expect(primed.code == .success && primed.output == "It is\n", "\(primed.output.debugDescription)")
        // The prime is still checked against the vocabulary.
        #expect(circuits(["lm", "sample", "--model", model, "--length", "0", "--prime", "~"]).code == .failure)
        #expect(circuits(["lm", "sample", "--model", model, "--length", "1"]).output.unicodeScalars.count == 2)
    }

    @Test("--batch-size × --seq-length beyond what the text's parts give is refused with the sizes and the largest that fit")
    func textTooShort() throws {
        let dir = try temporaryDirectory()
        // Self.train's text: 12 verses, the last 10% held out.
        let n = verse.unicodeScalars.count * 12, validation = n / 10, training = n - validation
        let seq = 30, batch = 8
        #expect(batch * (seq + 1) > validation && batch * (seq + 1) <= training)
        let r = try Self.train(dir, ["--out", dir.appendingPathComponent("m").path, "--epochs", "1", "--seq-length", "\(seq)", "--batch-size", "\(batch)"])
        #expect(r.code == .usage, "\(r.errors)")
        #expect(r.errors.contains("\(training) for training and \(validation) for validation"), "\(r.errors)")
        #expect(r.errors.contains("--batch-size \(validation / (seq + 1)) at --seq-length \(seq)")
                && r.errors.contains("--seq-length \(validation / batch - 1) at --batch-size \(batch)"), "\(r.errors)")
        // The largest batch it names trains.
        let fits = try Self.train(dir, ["--out", dir.appendingPathComponent("m").path, "--epochs", "1", "--seq-length", "\(seq)",
                                        "--batch-size", "\(validation / (seq + 1))", "--sample-length", "0"])
        #expect(fits.code == .success, "\(fits.errors)")
        // When neither alone can be lowered enough, both are.
        let both = try Self.train(dir, ["--out", dir.appendingPathComponent("m").path, "--seq-length", "1000", "--batch-size", "\(validation - 10)"])
        #expect(both.code == .usage && both.errors.contains("the largest that fit: --batch-size 1 with --seq-length \(validation - 1)"), "\(both.errors)")
    }

    @Test("a language model given to eval or predict, and a classifier given to lm sample, point to the right command")
    func wrongKindOfModel() throws {
        let dir = try temporaryDirectory()
        let lm = dir.appendingPathComponent("lm.safetensors").path, classifier = dir.appendingPathComponent("c.safetensors").path
        #expect(try Self.train(dir, ["--out", lm, "--epochs", "1", "--sample-length", "0"]).code == .success)
        for command in ["eval", "predict"] {
            let r = circuits([command, "--model", lm, "--data", "toy:spirals"])
            #expect(r.code == .failure && r.errors.contains("character language model written by 'circuits lm train'")
                    && r.errors.contains("circuits lm sample --model \(lm)"), "\(r.errors)")
        }
        #expect(circuits(["train", "--data", "toy:spirals", "--model", "mlp:4", "--epochs", "1", "--out", classifier]).code == .success)
        let r = circuits(["lm", "sample", "--model", classifier])
        #expect(r.code == .failure && r.errors.contains("written by 'circuits train'") && r.errors.contains("circuits predict --model \(classifier)")
                && r.errors.contains("circuits eval --model"), "\(r.errors)")
    }

    @Test("resume from an epoch checkpoint gives the uninterrupted run's weights")
    func resume() throws {
        let dir = try temporaryDirectory()
        let straight = dir.appendingPathComponent("a.safetensors").path, resumed = dir.appendingPathComponent("b.safetensors").path
        let checkpoint = dir.appendingPathComponent("ck.safetensors").path
        let common = ["--model", "lstm:2x16", "--dropout", "0.1"]
        #expect(try Self.train(dir, common + ["--out", straight, "--epochs", "2"]).code == .success)
        #expect(try Self.train(dir, common + ["--out", resumed, "--epochs", "1", "--checkpoint", checkpoint]).code == .success)
        let r = try Self.train(dir, common + ["--out", resumed, "--epochs", "2", "--resume", checkpoint])
        #expect(r.code == .success, "\(r.errors)")
        let a = try SafeTensorsFile.read(from: URL(fileURLWithPath: straight)), b = try SafeTensorsFile.read(from: URL(fileURLWithPath: resumed))
        #expect(a.names == b.names && !a.names.isEmpty)
        for name in a.names { #expect(a[name] == b[name], "\(name) differs") }
    }

    @Test("--model with recurrent layers: rows as steps, stacked layers hand on every step, options")
    func grammar() throws {
        let a = try ModelGrammar(text: "gru:8,bilstm:2x4:mean:sum,dense:3").architecture(exampleShape: [1, 5, 4], outputs: 3, dropout: 0, command: "train")
        #expect(a.layers.map(\.kind) == ["rows_as_steps", "recurrent", "recurrent", "dense"])
        let first = try #require(a.layers[1].configuration as? RecurrentConfiguration)
        let second = try #require(a.layers[2].configuration as? RecurrentConfiguration)
        #expect(first.output == .sequence && first.cell == .gru)
        #expect(second.output == .mean && second.merge == .sum && second.layers == 2 && second.bidirectional)
        let shape = try a.layers.reduce([1, 5, 4]) { try $1.configuration.outputShape(for: $0) }
        #expect(shape == [3])
        #expect(throws: CLIError.self) { try ModelGrammar(text: "lstm:x").form(command: "train") }
        #expect(throws: CLIError.self) { try ModelGrammar(text: "lstm:8:sum").form(command: "train") }
        // Two outputs, two merges or two dropouts contradict each other: refused, naming both.
        for text in ["lstm:8:last:mean", "bigru:4:sum:concat", "rnn:4:dropout=0.1:dropout=0.2"] {
            #expect { try ModelGrammar(text: text).form(command: "train") } throws: { error in
                "\(error)".contains("contradict each other")
            }
        }
        _ = try ModelGrammar(text: "lstm:8:mean:mean").form(command: "train")   // the same option twice says one thing
        // Vectors are not sequences: the error says what the layer expected.
        #expect(throws: LayerError.self) { try ModelGrammar(text: "lstm:8").architecture(exampleShape: [4], outputs: 2, dropout: 0, command: "train") }
    }
}

/// A version-1 NPY file of `shape` (little-endian, C order): '<f4' scalars or '<i8' labels.
private func writeNPY(_ path: String, shape: [Int], floats: [Float]? = nil, ints: [Int64]? = nil) throws {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '\(floats != nil ? "<f4" : "<i8")', 'fortran_order': False, 'shape': (\(dims)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
    if let floats { for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes += $0 } } }
    if let ints { for i in ints { withUnsafeBytes(of: i.littleEndian) { bytes += $0 } } }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

@Suite("circuits train on sequences")
struct SequenceTrainTests {
    @Test("NPY [N, T, F] sequences: gru:8,dense:2 learns which half holds the marker; the model file records the layer")
    func npySequences() throws {
        let dir = try temporaryDirectory()
        var rng = SeededRNG(seed: 7)
        let n = 120, t = 6
        var x: [Float] = [], y: [Int64] = []
        for i in 0..<n {
            let label = i % 2, step = label == 0 ? rng.nextInt(below: t / 2) : t / 2 + rng.nextInt(below: t / 2)
            for s in 0..<t { x += [s == step ? 1 : 0, Float(rng.nextDouble() * 0.1)] }
            y.append(Int64(label))
        }
        let xs = dir.appendingPathComponent("x.npy").path, ys = dir.appendingPathComponent("y.npy").path
        try writeNPY(xs, shape: [n, t, 2], floats: x)
        try writeNPY(ys, shape: [n], ints: y)
        let model = dir.appendingPathComponent("m.safetensors").path
        let r = circuits(["train", "--data", xs, "--labels", ys, "--model", "gru:8,dense:2", "--optimizer", "adam", "--lr", "0.02",
                          "--epochs", "60", "--batch-size", "16", "--out", model, "--threads", "1"])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.errors.contains("GRU"), "\(r.errors)")
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: model))
        #expect(file.metadata["architecture"]?.contains("recurrent") == true)
        #expect(file.names.contains("0.weight_hh_l0"))
        let e = circuits(["eval", "--model", model, "--data", xs, "--labels", ys])
        #expect(e.code == .success, "\(e.errors)")
        // The accuracy line: at least 90% of these separable sequences right.
        let text = e.output + e.errors
        let percents = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).compactMap { w -> Double? in
            guard w.hasSuffix("%") else { return nil }
            return Double(w.dropLast())
        }
        #expect(percents.first.map { $0 >= 90 } == true, "\(text)")
    }
}

extension SequenceTrainTests {
    @Test("NPY [N, T] token ids: embedding:20x8,lstm:16,dense:2 learns whether id 7 occurs; bad ids and tokens are errors")
    func embeddingTokens() throws {
        let dir = try temporaryDirectory()
        var rng = SeededRNG(seed: 9)
        let n = 160, t = 8
        var x: [Float] = [], y: [Int64] = []
        for i in 0..<n {
            var ids = (0..<t).map { _ in Float([1, 2, 3, 4, 5, 6, 8, 9][rng.nextInt(below: 8)]) }
            if i % 2 == 1 { ids[rng.nextInt(below: t)] = 7 }
            x += ids
            y.append(Int64(i % 2))
        }
        let xs = dir.appendingPathComponent("x.npy").path, ys = dir.appendingPathComponent("y.npy").path
        try writeNPY(xs, shape: [n, t], floats: x)
        try writeNPY(ys, shape: [n], ints: y)
        let model = dir.appendingPathComponent("m.safetensors").path
        let r = circuits(["train", "--data", xs, "--labels", ys, "--model", "embedding:20x8,lstm:16,dense:2", "--optimizer", "adam",
                          "--lr", "0.02", "--epochs", "40", "--batch-size", "16", "--out", model, "--threads", "1", "--val-split", "0"])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.errors.contains("Embedding(20×8)"), "\(r.errors)")
        let e = circuits(["eval", "--model", model, "--data", xs, "--labels", ys])
        let percents = (e.output + e.errors).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).compactMap { w -> Double? in
            w.hasSuffix("%") ? Double(w.dropLast()) : nil
        }
        #expect(percents.first.map { $0 >= 90 } == true, "\(e.output)\(e.errors)")
        // An id the table does not have names its row and step.
        var bad = x
        bad[3 * t + 5] = 20
        try writeNPY(xs, shape: [n, t], floats: bad)
        for command in ["eval", "train"] {
            let b = circuits([command, "--model", command == "eval" ? model : "embedding:20x8,lstm:16", "--data", xs, "--labels", ys]
                             + (command == "train" ? ["--out", model + ".2"] : []))
            #expect(b.code != .success && b.errors.contains("example 3 (0-based), position 5: 20.0 is not a token id in 0..<20"), "\(command): \(b.errors)")
        }
        // t-SNE of a layer's activations reads the data through the same check, naming the file.
        let embedded = circuits(["tsne", "--model", model, "--layer", "1", "--data", xs, "--out", dir.appendingPathComponent("e.csv").path, "--perplexity", "5"])
        #expect(embedded.code != .success && embedded.errors.contains(xs) && embedded.errors.contains("example 3 (0-based), position 5"), "tsne: \(embedded.errors)")
        let scaled = circuits(["train", "--data", xs, "--labels", ys, "--model", "embedding:20x8,lstm:16", "--standardize", "--out", model])
        #expect(scaled.code == .usage && scaled.errors.contains("token ids"), "\(scaled.errors)")
        for token in ["embedding:20", "embedding:0x8", "lstm:16,embedding:20x8"] {
            let u = circuits(["train", "--data", xs, "--labels", ys, "--model", token, "--epochs", "1", "--out", model])
            #expect(u.code == .usage && u.errors.contains("embedding"), "\(token): \(u.errors)")
        }
    }
}

@Suite("circuits lm: model files load into PyTorch")
struct LMTorchInteropTests {
    @Test("nn.LSTM / nn.GRU + nn.Linear load the file with strict=True and score a text as we do", arguments: ["lstm:2x12", "gru:10", "rnn:8"])
    func torchScores(model: String) throws {
        let python = packageRoot.appendingPathComponent(".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path), (try? runProcess(python, ["-c", "import torch, safetensors"]).0) == 0 else {
            print("lm torch interop: SKIPPED — \(python.path) with torch and safetensors not found (make bench-peers sets it up)")
            return
        }
        let dir = try temporaryDirectory()
        let text = dir.appendingPathComponent("t.txt")
        try Data(String(repeating: verse, count: 6).utf8).write(to: text)
        let file = dir.appendingPathComponent("m.safetensors").path
        let r = circuits(["lm", "train", "--text", text.path, "--out", file, "--model", model, "--epochs", "1", "--seq-length", "16",
                          "--batch-size", "4", "--threads", "1", "--sample-length", "0"])
        #expect(r.code == .success, "\(r.errors)")
        let lm = try CharacterLanguageModel<Float>.read(from: URL(fileURLWithPath: file))
        let ids = try lm.encode(verse)
        let ours = try lm.evaluate(ids: ids, batch: 1, steps: ids.count)
        let check = dir.appendingPathComponent("verse.txt")
        try Data(verse.utf8).write(to: check)
        let (status, out, err) = try runProcess(python, [packageRoot.appendingPathComponent("scripts/lm_torch_check.py").path, file, check.path])
        #expect(status == 0, "\(out)\(err)")
        let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        let theirs = try #require(object?["loss"] as? Double)
        #expect(abs(ours - theirs) < 1e-4, "ours \(ours), torch \(theirs)")
    }
}

@Suite("model-file checks count recurrent parameters")
struct RecurrentModelFileCheckTests {
    @Test("a file claiming a huge LSTM is refused before any weight is allocated, naming the layer")
    func hugeRecurrentLayer() throws {
        func file(hidden: Int) throws -> SafeTensorsFile {
            let architecture = Architecture(input: [28, 28], layers: [.recurrent(.init(cell: .lstm, hidden: hidden, layers: 2)), .dense(10)])
            let json = String(decoding: try JSONEncoder().encode(architecture), as: UTF8.self)
            return SafeTensorsFile(tensors: [("0.weight_ih_l0", AnyTensor(Tensor<Float>(zeros: [4, 28])))],
                                   metadata: ["circuits.format": "2", "architecture": json], fileName: "claims.safetensors")
        }
        for hidden in [100_000, 64] {
            do {
                try ModelFileCheck.check(try file(hidden: hidden))
                Issue.record("hidden \(hidden): accepted")
            } catch let error as CLIError {
                #expect("\(error)".contains("claims.safetensors: layer 0 (LSTM") && "\(error)".contains("parameters"), "\(error)")
            }
        }
    }
}

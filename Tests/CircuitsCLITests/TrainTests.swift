import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

/// End-to-end runs through the library API. Serialized: they share OpenBLAS and keep the machine calm.
@Suite("train, eval, predict end to end", .serialized)
struct TrainTests {
    @Test("a tiny CSV with text labels trains, saves, evaluates and predicts")
    func tinyCSV() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        let model = dir.appendingPathComponent("tiny.safetensors").path
        let r = circuits(["train", "--data", csv, "--model", "mlp:8", "--lr", "0.05", "--epochs", "60", "--batch-size", "16",
                          "--standardize", "--out", model, "--test", csv])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.output.contains("test accuracy"))
        #expect(r.errors.contains("epoch 60/60"))

        let saved = try ModelFile<Float>.read(from: URL(fileURLWithPath: model))
        #expect(saved.classNames == ["setosa", "versicolor", "virginica"])
        #expect(saved.model.specs == [.dense(8), .relu, .dense(3)] && saved.model.inputShape == [2])
        #expect(saved.extra["preprocessing"]?.contains("standardize") == true)
        #expect(saved.configuration?.epochs == 60)

        let eval = circuits(["eval", "--model", model, "--data", csv])
        #expect(eval.code == .success, "\(eval.errors)")
        #expect(eval.output.contains("accuracy"))
        #expect(eval.output.contains("versicolor"))
        #expect(eval.output.contains("confusion matrix"))
        let accuracy = Double(eval.output.split(separator: " ")[1].dropLast()) ?? 0
        #expect(accuracy > 90, "\(eval.output)")

        let predict = circuits(["predict", "--model", model, "--data", csv])
        #expect(predict.code == .success, "\(predict.errors)")
        let lines = predict.output.split(separator: "\n")
        #expect(lines.count == 90)
        #expect(Set(lines).isSubset(of: ["setosa", "versicolor", "virginica"]))
        let correct = zip(lines, (0..<90).map { ["setosa", "versicolor", "virginica"][$0 % 3] }).filter { $0 == $1 }.count
        #expect(Double(correct) / 90 * 100 == accuracy)

        let proba = circuits(["predict", "--model", model, "--data", csv, "--proba"])
        let rows = proba.output.split(separator: "\n")
        #expect(rows.first == "class,setosa,versicolor,virginica")
        #expect(rows.count == 91)
        let p = rows[1].split(separator: ",").dropFirst().compactMap { Double($0) }
        #expect(p.count == 3 && abs(p.reduce(0, +) - 1) < 1e-5)
    }

    @Test("--init picks the initializer, and the model file records it")
    func initializerOption() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        // A learning rate of 1e-12 leaves the weights where the initializer put them.
        func firstWeights(_ extra: [String]) throws -> (weights: [Float], recorded: String?) {
            let model = dir.appendingPathComponent("init.safetensors").path
            let r = circuits(["train", "--data", csv, "--optimizer", "sgd", "--lr", "1e-12", "--epochs", "1", "--out", model] + extra)
            #expect(r.code == .success, "\(r.errors)")
            let saved = try ModelFile<Float>.read(from: URL(fileURLWithPath: model))
            return (saved.model.parameters[0].variable.value.scalars, saved.extra["initializer"])
        }
        // The guide's U(−0.5, 0.5) on a 2→8 layer, against He's N(0, 1) for fan-in 2.
        let guide = try firstWeights(["--model", "mlp:8", "--init", "guide-uniform"])
        #expect(guide.recorded == "guideUniform")
        #expect(guide.weights.allSatisfy { abs($0) < 0.5 } && guide.weights.contains { abs($0) > 0.3 })
        let he = try firstWeights(["--model", "mlp:8"])
        #expect(he.recorded == "he")
        #expect(he.weights.contains { abs($0) > 0.5 })
        // A linear model defaults to Xavier, but an explicit --init he is honoured, not swapped.
        #expect(try firstWeights(["--model", "linear"]).recorded == "xavier")
        let linearHe = try firstWeights(["--model", "linear", "--init", "he"])
        #expect(linearHe.recorded == "he")
        #expect(linearHe.weights != (try firstWeights(["--model", "linear", "--init", "xavier"])).weights)
        #expect(circuits(["train", "--data", csv, "--init", "kaiming"]).errors.contains("--init must be one of he, xavier, orthogonal, guide-uniform"))
    }

    @Test("predict reads an unlabelled CSV (one column fewer) by itself")
    func unlabelledPredict() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        let model = dir.appendingPathComponent("m.safetensors").path
        #expect(circuits(["train", "--data", csv, "--model", "linear", "--epochs", "5", "--out", model]).code == .success)
        let unlabelled = dir.appendingPathComponent("new.csv").path
        try "x,y\n0.5,2.1\n4.2,0.3\n".write(toFile: unlabelled, atomically: true, encoding: .utf8)
        let r = circuits(["predict", "--model", model, "--data", unlabelled])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.output.split(separator: "\n").count == 2)
        let wrongWidth = dir.appendingPathComponent("wide.csv").path
        try "a,b,c,d\n1,2,3,4\n".write(toFile: wrongWidth, atomically: true, encoding: .utf8)
        // The model knows its feature names (x, y), so a file with a header is matched by name…
        let bad = circuits(["predict", "--model", model, "--data", wrongWidth, "--label-column", "none"])
        #expect(bad.code == .failure)
        #expect(bad.errors.contains("no columns named \"x\", \"y\", features of the model"), "\(bad.errors)")
        // …and by position when told the file has no header.
        let positional = circuits(["predict", "--model", model, "--data", wrongWidth, "--label-column", "none", "--header", "no"])
        #expect(positional.code == .failure)
        #expect(positional.errors.contains("expected a number") || positional.errors.contains("expects 2"), "\(positional.errors)")
    }

    @Test("a toy 2-D set trains to high accuracy and the report draws its decision regions")
    func toyReport() throws {
        let dir = try temporaryDirectory()
        let report = dir.appendingPathComponent("report.html").path
        let r = circuits(["train", "--data", "toy:moons:400", "--model", "mlp:16,16", "--lr", "0.01", "--epochs", "60",
                          "--batch-size", "32", "--out", dir.appendingPathComponent("m.safetensors").path, "--report", report])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.output.contains("validation accuracy"))
        let html = try String(contentsOfFile: report, encoding: .utf8)
        for id in ["loss-curve", "accuracy-curve", "regions", "confusion", "per-class", "epochs"] {
            #expect(html.contains("id=\"\(id)\""), "missing \(id)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.components(separatedBy: "class=\"cell\"").count - 1 == 4)   // 2 classes: 2×2 cells
        #expect(html.components(separatedBy: "class=\"point\"").count - 1 == 400)
        #expect(html.components(separatedBy: "<polyline").count - 1 == 4)
        // Self-contained: nothing fetched from anywhere.
        for forbidden in ["http://", "https://", "<script", "src=", "url(", "@import", "<link"] {
            #expect(!html.contains(forbidden), "report contains \(forbidden)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>"))
    }

    @Test("batch norm: a last batch of one example is left out of the epoch; batches of one are refused up front")
    func batchNormLastBatchOfOne() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        // 257 training examples in batches of 128: the third batch would hold one.
        let r = circuits(["train", "--data", "toy:moons:257", "--val-split", "0", "--model", "dense:8,bn,relu", "--epochs", "3",
                          "--batch-size", "128", "--out", model, "--threads", "1"])
        #expect(r.code == .success && FileManager.default.fileExists(atPath: model), "\(r.errors)")
        let one = circuits(["train", "--data", "toy:moons:64", "--model", "dense:8,bn,relu", "--batch-size", "1", "--out", model])
        #expect(one.code == .failure && one.errors.contains("at least two examples per batch"), "\(one.errors)")
    }

    @Test("output paths are checked before training: a missing directory, a directory as the file")
    func outputPathsCheckedFirst() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors").path
        let r = circuits(["train", "--data", "toy:moons:200", "--epochs", "1", "--out", model, "--report", "/nonexistent-circuits-dir/r.html"])
        #expect(r.code == .usage && r.errors.contains("--report /nonexistent-circuits-dir/r.html: the directory /nonexistent-circuits-dir does not exist"), "\(r.errors)")
        #expect(!FileManager.default.fileExists(atPath: model), "nothing trained or written")
        let d = circuits(["train", "--data", "toy:moons:200", "--epochs", "1", "--out", dir.path])
        #expect(d.code == .usage && d.errors.contains("is a directory"), "\(d.errors)")
        let text = dir.appendingPathComponent("t.txt").path
        try String(repeating: "To be, or not to be, that is the question.\n", count: 400).write(toFile: text, atomically: true, encoding: .utf8)
        let lm = circuits(["lm", "train", "--text", text, "--out", model, "--report", dir.appendingPathComponent("x/r.html").path])
        #expect(lm.code == .usage && lm.errors.contains("does not exist"), "\(lm.errors)")
    }

    @Test("two outputs naming one file, or an output naming an input, are refused before anything is written")
    func outputsCollide() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: csv))
        let model = dir.appendingPathComponent("m.safetensors").path
        // The same file spelled two ways, and a hard link to it.
        let same = circuits(["train", "--data", csv, "--epochs", "1", "--out", model, "--report", dir.appendingPathComponent("./m.safetensors").path])
        #expect(same.code == .usage && same.errors.contains("are one file"), "\(same.errors)")
        let overwrite = circuits(["train", "--data", csv, "--epochs", "1", "--out", csv])
        #expect(overwrite.code == .usage && overwrite.errors.contains("is the --data file"), "\(overwrite.errors)")
        let link = dir.appendingPathComponent("link.csv").path
        try FileManager.default.linkItem(atPath: csv, toPath: link)
        let linked = circuits(["train", "--data", csv, "--epochs", "1", "--out", model, "--report", link])
        #expect(linked.code == .usage && linked.errors.contains("is the --data file"), "\(linked.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: csv)) == before && !FileManager.default.fileExists(atPath: model))
        let text = dir.appendingPathComponent("t.txt").path
        try String(repeating: "To be, or not to be, that is the question.\n", count: 400).write(toFile: text, atomically: true, encoding: .utf8)
        for command in [["lm", "train", "--text", text, "--out", text], ["word2vec", "train", "--text", text, "--out", text],
                        ["lm", "train", "--text", text, "--out", model, "--checkpoint", model],
                        ["tsne", "--data", csv, "--out", model, "--plot", model]] {
            let r = circuits(command)
            #expect(r.code == .usage && (r.errors.contains("is the --text file") || r.errors.contains("are one file")), "\(command): \(r.errors)")
        }
        #expect(try String(contentsOfFile: text, encoding: .utf8).hasPrefix("To be"))
    }

    @Test("--json prints one parseable object per epoch and a final summary")
    func jsonLines() throws {
        let dir = try temporaryDirectory()
        let r = circuits(["train", "--data", "toy:blobs:150", "--model", "mlp:8", "--epochs", "4", "--json",
                          "--out", dir.appendingPathComponent("m.safetensors").path, "--test", "toy:blobs:60"])
        #expect(r.code == .success, "\(r.errors)")
        let objects = try r.output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        #expect(objects.count == 5)
        for (i, o) in objects.prefix(4).enumerated() {
            #expect(o["event"] as? String == "epoch")
            #expect(o["epoch"] as? Int == i + 1)
            #expect(o["epochs"] as? Int == 4)
            #expect(o["trainLoss"] is Double && o["validationAccuracy"] is Double && o["examplesPerSecond"] is Double)
        }
        let summary = objects[4]
        #expect(summary["event"] as? String == "summary")
        #expect(summary["epochs"] as? Int == 4)
        #expect(summary["testAccuracy"] is Double)
        #expect(summary["interrupted"] as? Bool == false)
    }

    @Test("a stop request ends the run after the current batch and still writes model and report")
    func interruptWritesOutputs() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("m.safetensors"), report = dir.appendingPathComponent("r.html")
        let r = circuits(["train", "--data", "toy:spirals", "--model", "mlp:8", "--epochs", "50", "--batch-size", "10",
                          "--out", model.path, "--report", report.path], interruptAfter: { epoch, batch in epoch == 2 && batch == 3 })
        #expect(r.code == .failure)
        #expect(r.errors.contains("interrupted after 2 complete epochs"))
        #expect(r.errors.contains("epoch 2/50") && !r.errors.contains("epoch 4/50"))
        _ = try ModelFile<Float>.read(from: model)
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("Interrupted"))
    }

    @Test("eval on a data set with other class names is one clear line")
    func foreignLabels() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        let model = dir.appendingPathComponent("m.safetensors").path
        #expect(circuits(["train", "--data", csv, "--model", "linear", "--epochs", "2", "--out", model]).code == .success)
        let other = dir.appendingPathComponent("other.csv").path
        try "x,y,species\n1,2,rose\n".write(toFile: other, atomically: true, encoding: .utf8)
        let r = circuits(["eval", "--model", model, "--data", other])
        #expect(r.code == .failure)
        #expect(r.errors.contains("\"rose\" is not one of the model's classes"))
    }

    @Test("info, guide and gradcheck run")
    func smallCommands() {
        let info = circuits(["info"])
        #expect(info.code == .success && info.output.contains("BLAS core") && info.output.contains(CircuitsCLI.version))
        let guide = circuits(["guide"])
        #expect(guide.code == .success && guide.output.count > 500)
        let check = circuits(["gradcheck"])
        #expect(check.code == .success, "\(check.output)")
        #expect(check.output.contains("all \(GradientCatalogue.all.count) checks pass"))
    }

    @Test("bench without CircuitsBench next to the binary is a one-line error")
    func benchMissing() throws {
        let dir = try temporaryDirectory()
        let console = Console.capturing()
        let code = CircuitsCLI.run(["circuits", "bench", "--suite", "all"],
                                   context: CommandContext(console: console, executablePath: dir.appendingPathComponent("circuits").path, handlesSignals: false))
        #expect(code == .failure)
        #expect(console.errors.split(separator: "\n").count == 1)
        #expect(console.errors.contains("CircuitsBench not found") && console.errors.contains("--product CircuitsBench"))
    }
}

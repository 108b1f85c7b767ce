import Datasets
import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

/// Convolutional networks from the command line: the `--model` tokens and the `cnn` preset,
/// `--image-shape`, `--augment`, `--class-names`, and a trained conv net that eval, predict and
/// PyTorch read back.
@Suite("CNN from the command line", .serialized)
struct CNNCommandTests {
    func architecture(_ text: String, shape: [Int] = [1, 28, 28], outputs: Int = 10) throws -> Architecture {
        try ModelGrammar(text: text).architecture(exampleShape: shape, outputs: outputs, dropout: 0, command: "train")
    }

    @Test("each layer token of the issue parses to its layer; the output layer and a flatten are added")
    func tokens() throws {
        let a = try architecture("conv:32x3,bn,relu,pool:3/2,conv:8x5x3/2,avgpool:2,dropout:0.3,pool:2,gap")
        #expect(a.input == [1, 28, 28])
        #expect(a.layers == [.conv2D(32, kernel: 3), .batchNorm(), .relu, .maxPool2D(3, stride: 2),
                             .conv2D(8, kernel: Size2D(height: 5, width: 3), stride: 2), .avgPool2D(2), .dropout(0.3), .maxPool2D(2),
                             .globalAveragePool, .dense(10)])
        let b = try architecture("conv:16x3:valid,conv:4x2/2:1,pool:2:1,dense:64,bn,relu")
        #expect(b.layers == [.conv2D(16, kernel: 3, padding: .valid), .conv2D(4, kernel: 2, stride: 2, padding: .explicit(Padding2D(1))),
                             .maxPool2D(2, padding: Padding2D(1)), .flatten, .dense(64), .batchNorm(), .relu, .dense(10)])
        // [H, W] examples (an NPY stack of grayscale images) are one channel.
        #expect(try architecture("conv:4x3", shape: [9, 7]).input == [1, 9, 7])
        // A model of images can be given flat rows of the right count (eval on a CSV without --image-shape).
        var rng = SeededRNG(seed: 1)
        let model = try Sequential<Float>(inputShape: a.input, specs: a.layers, rng: &rng)
        try model.checkInput([28, 28])
        #expect(throws: LayerError.self) { try model.checkInput([784]) }
    }

    @Test("bad layer tokens and geometry are usage errors or build errors naming the layer and the shapes")
    func badTokens() throws {
        for text in ["conv:32", "conv:0x3", "conv:3x3/0", "conv:3x3x3x3", "conv:3x3:full", "pool:0", "pool:2/0", "avgpool", "gap:2", "bn:0.1", "conv:axb"] {
            let r = circuits(["train", "--data", "toy:moons", "--model", text, "--epochs", "1"])
            #expect(r.code == .usage, "\(text): \(r.errors)")
            #expect(r.errors.contains(text), "\(text): \(r.errors)")
        }
        #expect(throws: LayerError.self) { try architecture("conv:8x5:valid,conv:8x5:valid", shape: [1, 8, 8]) }
        do {
            _ = try architecture("conv:4x3,pool:2,conv:8x9:valid", shape: [1, 12, 12])
            Issue.record("a 9×9 kernel on a 6×6 map was accepted")
        } catch let error as LayerError {
            #expect(error.description.contains("layer 2") && error.description.contains("[4, 6, 6]") && error.description.contains("9×9"), "\(error)")
        }
        // A conv net on rows of features without --image-shape says what to give.
        let r = circuits(["train", "--data", "toy:moons", "--model", "conv:4x3", "--epochs", "1"])
        #expect(r.code != .success && r.errors.contains("--image-shape"), "\(r.errors)")
    }

    @Test("the cnn preset's settings apply unless the command line gives its own")
    func preset() throws {
        let preset = try #require(ModelPreset.named("cnn"))
        #expect(try ModelGrammar(text: "cnn").form(command: "train") == ModelGrammar(text: preset.layers).form(command: "train"))
        let defaults = try TrainOptions.parse(try ArgumentParser.parse(["--model", "cnn"], options: TrainOptions.specs, command: "train"))
        #expect(defaults.configuration.epochs == preset.epochs && defaults.configuration.batchSize == preset.batchSize)
        #expect(defaults.configuration.optimizer == preset.optimizer && defaults.configuration.learningRate == preset.learningRate)
        #expect(defaults.configuration.augmentation == preset.augmentation)
        let mine = try TrainOptions.parse(try ArgumentParser.parse(["--model", "cnn", "--epochs", "3", "--augment", "none", "--lr", "0.01"],
                                                                  options: TrainOptions.specs, command: "train"))
        #expect(mine.configuration.epochs == 3 && mine.configuration.augmentation == nil && mine.configuration.learningRate == 0.01)
        #expect(mine.configuration.batchSize == preset.batchSize)
        let a = try architecture("cnn")
        var rng = SeededRNG(seed: 1)
        #expect(try Sequential<Float>(inputShape: a.input, specs: a.layers, rng: &rng).outputShape == [10])
        // --augment's language.
        #expect(try ImageOptions.augmentation("shift:2,flip", command: "train") == ImageAugmentation(shift: 2, flip: true))
        #expect(try ImageOptions.augmentation("flip", command: "train") == ImageAugmentation(flip: true))
        for bad in ["shift", "shift:-1", "rotate:10", "flip:1", ""] {
            #expect(throws: CLIError.self) { try ImageOptions.augmentation(bad, command: "train") }
        }
        #expect(circuits(["train", "--help"]).output.contains("conv:8x5x3/2"))
    }

    /// 1×6×6 images of three classes — a vertical bar, a horizontal bar, a bright corner — with noise,
    /// as CSV rows of 36 pixels and a label.
    func writeImageCSV(in dir: URL, rows: Int = 120, seed: UInt64 = 3) throws -> String {
        var rng = SeededRNG(seed: seed)
        var text = ""
        for i in 0..<rows {
            let c = i % 3
            var pixels = [Double](repeating: 0, count: 36)
            let k = rng.nextInt(below: 4) + 1
            for t in 0..<6 {
                switch c {
                case 0: pixels[t * 6 + k] = 1
                case 1: pixels[k * 6 + t] = 1
                default: if t < 2 { pixels[t * 6] = 1; pixels[t * 6 + 1] = 1 }
                }
            }
            for p in 0..<36 { pixels[p] += rng.uniform(-0.2, 0.2) }
            text += pixels.map { String(format: "%.3f", $0) }.joined(separator: ",") + ",\(["bar-v", "bar-h", "corner"][c])\n"
        }
        let path = dir.appendingPathComponent("images.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a conv net trains on CSV images; eval and predict give the numbers training ended with")
    func trainEvalPredict() throws {
        let dir = try temporaryDirectory()
        let csv = try writeImageCSV(in: dir)
        let model = dir.appendingPathComponent("conv.safetensors").path
        let r = circuits(["train", "--data", csv, "--image-shape", "1x6x6", "--model", "conv:6x3,bn,relu,pool:2,dropout:0.1,conv:8x2x3:valid,relu,dense:12,bn,relu",
                          "--augment", "shift:1", "--epochs", "12", "--batch-size", "16", "--lr", "0.01", "--test", csv, "--out", model, "--seed", "5", "--report", dir.appendingPathComponent("r.html").path])
        #expect(r.code == .success, "\(r.errors)")
        // The report shows the six 3×3 filters and the misclassified test images (if any).
        let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(html.contains("First-layer filters") && html.components(separatedBy: "title=\"filter ").count == 7)
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("test accuracy") })
        #expect(r.errors.contains("Conv2D(1→6, 3×3, same)") && r.errors.contains("BatchNorm2d(6)") && r.errors.contains("BatchNorm1d(12)"), "\(r.errors)")
        let saved = try ModelFile<Float>.read(from: URL(fileURLWithPath: model))
        #expect(saved.model.inputShape == [1, 6, 6] && saved.configuration?.augmentation == ImageAugmentation(shift: 1))
        // eval reads the same rows (36 features each: the model file knows they are 1×6×6 images).
        let eval = circuits(["eval", "--model", model, "--data", csv])
        #expect(eval.code == .success, "\(eval.errors)")
        let trained = line.split(separator: " ")[2], evaluated = eval.output.split(separator: " ")[1]
        #expect(trained == evaluated, "train: \(line) eval: \(eval.output.prefix(80))")
        #expect((Double(evaluated.dropLast()) ?? 0) > 90, "\(eval.output)")
        let predict = circuits(["predict", "--model", model, "--data", csv])
        #expect(predict.code == .success && predict.output.split(separator: "\n").count == 120, "\(predict.errors)")
        // Same seed, same run (augmentation included): bit-identical weights.
        let again = dir.appendingPathComponent("again.safetensors").path
        let r2 = circuits(["train", "--data", csv, "--image-shape", "1×6×6", "--model", "conv:6x3,bn,relu,pool:2,dropout:0.1,conv:8x2x3:valid,relu,dense:12,bn,relu",
                           "--augment", "shift:1", "--epochs", "12", "--batch-size", "16", "--lr", "0.01", "--out", again, "--seed", "5", "--test", csv])
        #expect(r2.code == .success, "\(r2.errors)")
        let other = try ModelFile<Float>.read(from: URL(fileURLWithPath: again))
        for (a, b) in zip(saved.model.parameters, other.model.parameters) { #expect(a.variable.value == b.variable.value, "\(a.name)") }
    }

    @Test("model-file checks count conv and batch-norm parameters before anything is allocated")
    func modelFileCheck() throws {
        let cnn = try architecture("cnn")
        try ModelFileCheck.check(cnn, name: "m.safetensors", stored: 421_834)
        do {
            try ModelFileCheck.check(cnn, name: "m.safetensors", stored: 1000)
            Issue.record("a file of 1000 values passed for 421,834 parameters")
        } catch let CLIError.failure(message) {
            #expect(message.contains("layer 4 (Conv2D(32→64, 3×3, same)) has 18496 parameters, more than the 1000 values"), "\(message)")
        }
        do {
            try ModelFileCheck.check(Architecture(input: [512, 64, 64], layers: [.conv2D(1 << 20, kernel: 3)]), name: "huge.safetensors", stored: nil)
            Issue.record("a conv layer of 4.8 × 10⁹ weights passed")
        } catch let CLIError.failure(message) {
            #expect(message.contains("layer 0") && message.contains("more than BLAS's"), "\(message)")
        }
    }

    @Test("report pictures: a BMP of the right size, filters and misclassified images captioned true → predicted")
    func reportImages() throws {
        let bmp = ReportImages.bmp(width: 3, height: 2, rgb: [255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(bmp.count == 54 + 2 * 12 && Array(bmp.prefix(2)) == [0x42, 0x4D])
        #expect(Array(bmp[54..<63]) == [3, 2, 1, 6, 5, 4, 9, 8, 7])     // the bottom row first, BGR
        #expect(Array(bmp[66..<75]) == [0, 0, 255, 0, 255, 0, 255, 0, 0])
        let w = try Tensor<Float>((0..<36).map { Float($0 - 18) }, shape: [4, 1, 3, 3])
        #expect(ReportImages.filters(w).components(separatedBy: "<img").count == 5)
        let x = try Tensor<Float>((0..<12).map(Float.init), shape: [3, 4])
        let (html, count) = ReportImages.misclassified(x, exampleShape: [1, 2, 2], labels: [0, 1, 1], predictions: [0, 0, 2],
                                                       classNames: ["T-shirt/top", "Trouser", "Bag"])
        #expect(count == 2 && html.contains("Trouser → T-shirt/top") && html.contains("Trouser → Bag"))
    }

    @Test("--image-shape that does not fit the features, and --class-names files, are checked")
    func imageShapeAndClassNames() throws {
        let dir = try temporaryDirectory()
        let csv = try writeImageCSV(in: dir, rows: 30)
        let r = circuits(["train", "--data", csv, "--image-shape", "1x5x5", "--model", "conv:2x3", "--epochs", "1"])
        #expect(r.code == .failure)
        #expect(r.errors.contains("1×5×5") && r.errors.contains("25") && r.errors.contains("36"), "\(r.errors)")
        for bad in ["1x6", "0x6x6", "ax6x6", "1x6x6x1"] {
            #expect(circuits(["train", "--data", csv, "--image-shape", bad, "--epochs", "1"]).code == .usage, "\(bad)")
        }
        // Class names by label index: a CSV of labels 0…2 gets the file's names.
        var numeric = try String(contentsOfFile: csv, encoding: .utf8)
        for (k, name) in ["bar-v", "bar-h", "corner"].enumerated() { numeric = numeric.replacingOccurrences(of: ",\(name)\n", with: ",\(k)\n") }
        let numericCSV = dir.appendingPathComponent("numeric.csv").path
        try numeric.write(toFile: numericCSV, atomically: true, encoding: .utf8)
        let names = dir.appendingPathComponent("names.txt").path
        try "vertical\nhorizontal\ncorner\n".write(toFile: names, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.safetensors").path
        let t = circuits(["train", "--data", numericCSV, "--image-shape", "1x6x6", "--class-names", names, "--model", "conv:2x3,relu,gap",
                          "--epochs", "1", "--out", model])
        #expect(t.code == .success, "\(t.errors)")
        #expect(try ModelFile<Float>.read(from: URL(fileURLWithPath: model)).classNames == ["vertical", "horizontal", "corner"])
        try "vertical\nhorizontal\n".write(toFile: names, atomically: true, encoding: .utf8)
        let short = circuits(["train", "--data", numericCSV, "--image-shape", "1x6x6", "--class-names", names, "--epochs", "1", "--out", model])
        #expect(short.code == .failure && short.errors.contains("\"2\""), "\(short.errors)")
        try "a\n\nc\n".write(toFile: names, atomically: true, encoding: .utf8)
        let blank = circuits(["train", "--data", numericCSV, "--image-shape", "1x6x6", "--class-names", names, "--epochs", "1", "--out", model])
        #expect(blank.code == .failure && blank.errors.contains("line 2"), "\(blank.errors)")
        // A binary or non-UTF-8 names file: our error with the byte offset, not Foundation's message.
        try Data("vertical\nhoriz\u{0}ontal\ncorner\n".utf8).write(to: URL(fileURLWithPath: names))
        let binary = circuits(["eval", "--model", model, "--data", numericCSV, "--class-names", names])
        #expect(binary.code == .failure && binary.errors.contains("names.txt: byte offset 14") && binary.errors.contains("binary"), "\(binary.errors)")
        try Data(Array("vertical\n".utf8) + [0xFF] + Array("horizontal\ncorner\n".utf8)).write(to: URL(fileURLWithPath: names))
        let invalid = circuits(["eval", "--model", model, "--data", numericCSV, "--class-names", names])
        #expect(invalid.code == .failure && invalid.errors.contains("names.txt: byte offset 9: invalid UTF-8"), "\(invalid.errors)")
        // --image-shape must agree with the shape the model reads (same number of values is not enough).
        for command in ["eval", "predict"] {
            let other = circuits([command, "--model", model, "--data", numericCSV, "--image-shape", "1x4x9"])
            #expect(other.code == .usage && other.errors.contains("1×4×9") && other.errors.contains("1×6×6"), "\(other.errors)")
            #expect(circuits([command, "--model", model, "--data", numericCSV, "--image-shape", "1x6x6"]).code == .success)
        }
        // Fashion-MNIST's IDX files are known by their directory.
        #expect(ImageOptions.isFashionMNIST("/usr/share/datasets/fashion-mnist") && ImageOptions.isFashionMNIST("/data/fashion/train-images-idx3-ubyte"))
        #expect(!ImageOptions.isFashionMNIST("/usr/share/datasets/mnist"))
        #expect(ImageOptions.fashionMNISTClasses.count == 10 && ImageOptions.fashionMNISTClasses[9] == "Ankle boot")
        // A model saved before the classes had names ("0"…"9") still evaluates Fashion-MNIST's named data.
        let named = try Dataset(features: Tensor<Float>(zeros: [3, 2]), labels: [0, 1, 2],
                                classNames: ["Ankle boot", "Trouser", "T-shirt/top"])
        #expect(try DataInput.align(named, to: (0..<10).map(String.init), file: "f") == [9, 1, 0])
        #expect(throws: CLIError.self) { try DataInput.align(named, to: ["0", "1"], file: "f") }
        // …and a model trained with --class-names evaluates the numbered file it was trained on.
        let numbered = try Dataset(features: Tensor<Float>(zeros: [3, 2]), labels: [0, 1, 2], classNames: ["2", "0", "1"])
        #expect(try DataInput.align(numbered, to: ["cat", "dog", "owl"], file: "f") == [2, 0, 1])
        let beyond = try Dataset(features: Tensor<Float>(zeros: [1, 2]), labels: [0], classNames: ["3"])
        #expect(throws: CLIError.self) { try DataInput.align(beyond, to: ["cat", "dog", "owl"], file: "f") }
    }

    @Test("torch.nn.Sequential loads a conv net's file with strict=True (batch norm buffers included) and predicts the same",
          arguments: ["conv:6x3,bn,relu,pool:2,conv:8x2x3:valid,relu,dense:12,bn,relu",
                      "conv:4x2,relu,pool:3/2:1,conv:5x3/2:1,avgpool:2,bn,gap"])
    func torchInterop(model modelText: String) throws {
        let python = packageRoot.appendingPathComponent(".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path), (try? runProcess(python, ["-c", "import torch, safetensors, numpy"]).0) == 0 else {
            print("conv torch interop: SKIPPED — \(python.path) with torch not found (make bench-peers sets it up)")
            return
        }
        let dir = try temporaryDirectory()
        let csv = try writeImageCSV(in: dir, rows: 60)
        let model = dir.appendingPathComponent("m.safetensors")
        let r = circuits(["train", "--data", csv, "--image-shape", "1x6x6", "--model", modelText, "--epochs", "3", "--batch-size", "8", "--out", model.path])
        #expect(r.code == .success, "\(r.errors)")
        let saved = try ModelFile<Float>.read(from: model)
        var rng = SeededRNG(seed: 6)
        let raw = Tensor<Float>.randomUniform([5, 36], using: &rng)
        let scores = try saved.model.predict(raw)
        let cases: [String: [[Float]]] = ["inputs": (0..<5).map { r in (0..<36).map { raw[r, $0] } },
                                          "scores": (0..<5).map { r in (0..<3).map { scores[r, $0] } }]
        let casesURL = dir.appendingPathComponent("cases.json")
        try JSONEncoder().encode(cases).write(to: casesURL)
        let (status, out, err) = try runProcess(python, [packageRoot.appendingPathComponent("scripts/model_interop.py").path, "--torch", model.path, casesURL.path])
        print(out + err)
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("strict=True"))
    }
}

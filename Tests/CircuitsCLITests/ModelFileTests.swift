import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

@Suite("model files")
struct ModelFileTests {
    func smallModel(dropout: Double = 0) throws -> Sequential<Float> {
        var rng = SeededRNG(seed: 1)
        return try Sequential<Float>.mlp(inputs: 3, hidden: [5], outputs: 4, dropout: dropout, rng: &rng)
    }

    @Test("save and load round trip: architecture, weights, loss, classes, configuration, extra")
    func roundTrip() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("m.safetensors")
        let model = try smallModel(dropout: 0.1)
        var config = TrainingConfiguration()
        config.epochs = 3
        try ModelFile(model: model, loss: .multiclassHinge, classNames: ["a", "b", "c", "d"], configuration: config,
                      extra: ["preprocessing": "{}", "note": "hi"]).write(to: url)
        let loaded = try ModelFile<Float>.read(from: url)
        #expect(loaded.model.specs == model.specs && loaded.model.inputShape == [3])
        #expect(loaded.loss == .multiclassHinge)
        #expect(loaded.classNames == ["a", "b", "c", "d"])
        #expect(loaded.configuration == config)
        #expect(loaded.extra == ["preprocessing": "{}", "note": "hi"])
        for (p, q) in zip(model.parameters, loaded.model.parameters) {
            #expect(p.name == q.name && p.variable.value == q.variable.value)
        }
        let x = try Tensor<Float>([0.1, -0.2, 0.3, 1, 2, 3], shape: [2, 3])
        #expect(try model.predict(x) == loaded.model.predict(x))
    }

    @Test("a missing tensor or a wrong shape is a typed error naming the file and tensor")
    func validation() throws {
        let model = try smallModel()
        let file = try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["a", "b", "c", "d"]).container(fileName: "m.safetensors")
        var missing = file
        missing.tensors.removeAll { $0.name == "2.bias" }
        #expect(throws: SafeTensorsError.missingTensor(file: "m.safetensors", tensor: "2.bias")) { try ModelFile<Float>.decode(missing) }
        var reshaped = file
        // Files hold a dense weight out×in, as torch.nn.Linear does: the in×out layout of memory is refused.
        reshaped.tensors[0] = (name: "0.weight", tensor: AnyTensor(Tensor<Float>(zeros: [3, 5])))
        #expect(throws: SafeTensorsError.shapeMismatch(file: "m.safetensors", tensor: "0.weight", expected: [5, 3], found: [3, 5])) {
            try ModelFile<Float>.decode(reshaped)
        }
        var extraTensor = file
        extraTensor.tensors.append((name: "9.weight", tensor: AnyTensor(Tensor<Float>(zeros: [1]))))
        #expect(throws: ModelFileError.unexpectedTensor(file: "m.safetensors", tensor: "9.weight")) { try ModelFile<Float>.decode(extraTensor) }
        var noArchitecture = file
        noArchitecture.metadata["architecture"] = nil
        #expect(throws: ModelFileError.missingMetadata(file: "m.safetensors", key: "architecture")) { try ModelFile<Float>.decode(noArchitecture) }
        var badArchitecture = file
        badArchitecture.metadata["architecture"] = "[{\"conv\":{}}]"
        #expect(throws: ModelFileError.self) { try ModelFile<Float>.decode(badArchitecture) }
        var notOurs = file
        notOurs.metadata = [:]
        #expect(throws: ModelFileError.missingMetadata(file: "m.safetensors", key: "circuits.format")) { try ModelFile<Float>.decode(notOurs) }
        #expect(throws: ModelFileError.reservedMetadataKey(file: "<memory>", key: "loss")) {
            try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: [], extra: ["loss": "x"]).container()
        }
    }

    @Test("a model file whose class names repeat is refused on load, naming the name and both classes")
    func duplicateClassNames() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("dup.safetensors")
        try ModelFile(model: try smallModel(), loss: .softmaxCrossEntropy, classNames: ["a", "b", "c", "d"]).write(to: url)
        var file = try SafeTensorsFile.read(from: url)
        file.metadata["classes"] = "[\"a\",\"b\",\"a\",\"d\"]"   // a hand edit
        try file.write(to: url)
        do {
            _ = try ModelFile<Float>.read(from: url)
            Issue.record("classes a, b, a, d loaded")
        } catch let ModelFileError.invalidMetadata(_, key, reason) {
            #expect(key == "classes" && reason.contains("class 2 repeats the name \"a\" of class 0"), "\(reason)")
        }
        let r = circuits(["eval", "--model", url.path, "--data", "toy:moons"])
        #expect(r.code == .failure && r.errors.contains("dup.safetensors") && r.errors.contains("\"a\""), "\(r.errors)")
    }

    @Test("eval on a damaged model file is one line naming it")
    func damagedFile() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("broken.safetensors")
        try Data([1, 2, 3]).write(to: url)
        let r = circuits(["eval", "--model", url.path, "--data", "toy:moons"])
        #expect(r.code == .failure)
        #expect(r.errors.split(separator: "\n").count == 1)
        #expect(r.errors.contains("broken.safetensors"))
    }

    @Test("a model file of format 1 (the first release) loads and predicts what that release printed")
    func formatOneStillLoads() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/CircuitsCLITests/Fixtures")
        let model = fixtures.appendingPathComponent("format1-spirals.safetensors").path
        let loaded = try ModelFile<Float>.read(from: URL(fileURLWithPath: model))
        #expect(loaded.model.inputShape == [2])
        #expect(loaded.model.specs == [.dense(16), .relu, .dropout(Double(Float(0.1))), .dense(8), .relu, .dropout(Double(Float(0.1))), .dense(3)])
        #expect(loaded.configuration?.schedule == .cosine(minimumFactor: 0.0001 / 0.01))
        let r = circuits(["predict", "--model", model, "--data", "toy:spirals", "--proba"])
        #expect(r.code == .success, "\(r.errors)")
        let expected = try String(contentsOf: fixtures.appendingPathComponent("format1-spirals-proba.csv"), encoding: .utf8)
        #expect(r.output == expected)
        // Written back, it is a format-2 file (PyTorch's layout) with the same predictions.
        let dir = try temporaryDirectory()
        let again = dir.appendingPathComponent("again.safetensors")
        try loaded.write(to: again)
        #expect(try SafeTensorsFile.read(from: again).metadata["circuits.format"] == "2")
        #expect(circuits(["predict", "--model", again.path, "--data", "toy:spirals", "--proba"]).output == expected)
    }

    /// Trains `model` on the tiny CSV and returns the model file, the raw cases file and the peers python.
    func interopCase(model modelText: String, in dir: URL) throws -> (model: URL, cases: URL) {
        let csv = try writeTinyCSV(in: dir)
        let model = dir.appendingPathComponent("m.safetensors")
        let r = circuits(["train", "--data", csv, "--model", modelText, "--standardize", "--epochs", "5", "--out", model.path])
        #expect(r.code == .success, "\(r.errors)")
        let saved = try SavedModel.load(ParsedArguments(command: "eval", values: ["model": model.path]))
        let raw = try Tensor<Float>([0.5, 2.1, 4.2, 0.3, 1.1, 1.9, -3, 7.5], shape: [4, 2])
        let scores = try saved.file.model.predict(try saved.inputs(raw, file: "cases"))
        let cases: [String: [[Float]]] = ["inputs": (0..<4).map { r in (0..<2).map { raw[r, $0] } },
                                          "scores": (0..<4).map { r in (0..<3).map { scores[r, $0] } }]
        let casesURL = dir.appendingPathComponent("cases.json")
        try JSONEncoder().encode(cases).write(to: casesURL)
        return (model, casesURL)
    }

    /// The peers environment's python, if it can import `modules`; nil (with a printed reason) otherwise.
    func peersPython(_ modules: String, for what: String) -> URL? {
        let python = packageRoot.appendingPathComponent(".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path),
              (try? runProcess(python, ["-c", "import \(modules)"]).0) == 0 else {
            print("\(what): SKIPPED — \(python.path) with \(modules) not found (make bench-peers sets it up)")
            return nil
        }
        return python
    }

    @Test("Python (safetensors + numpy) recomputes the saved model's scores to 1e-5", arguments: ["mlp:6,5", "mlp:6:gelu", "dense:6,silu,dense:5,elu"])
    func pythonInterop(model: String) throws {
        guard let python = peersPython("safetensors, numpy", for: "model interop") else { return }
        let dir = try temporaryDirectory()
        let (file, cases) = try interopCase(model: model, in: dir)
        let (status, out, err) = try runProcess(python, [packageRoot.appendingPathComponent("scripts/model_interop.py").path, file.path, cases.path])
        print(out + err)
        #expect(status == 0, "\(out)\(err)")
    }

    @Test("torch.nn.Sequential loads the file with load_state_dict(strict=True) and predicts the same",
          arguments: ["linear", "mlp:6,5", "mlp:6,5:gelu", "dense:6,silu,dropout:0.2,dense:5,softplus,dense:4,tanh", "mlp:7:leaky-relu"])
    func torchInterop(model: String) throws {
        guard let python = peersPython("torch, safetensors, numpy", for: "torch interop") else { return }
        let dir = try temporaryDirectory()
        let (file, cases) = try interopCase(model: model, in: dir)
        let (status, out, err) = try runProcess(python, [packageRoot.appendingPathComponent("scripts/model_interop.py").path, "--torch", file.path, cases.path])
        print(out + err)
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("strict=True"))
    }
}

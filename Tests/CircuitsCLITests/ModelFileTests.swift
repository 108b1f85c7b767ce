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
        let loaded = try ModelFile.read(from: url)
        #expect(loaded.model.specs == model.specs)
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
        #expect(throws: SafeTensorsError.missingTensor(file: "m.safetensors", tensor: "2.bias")) { try ModelFile.decode(missing) }
        var reshaped = file
        reshaped.tensors[0] = (name: "0.weight", tensor: AnyTensor(Tensor<Float>(zeros: [5, 3])))
        #expect(throws: SafeTensorsError.shapeMismatch(file: "m.safetensors", tensor: "0.weight", expected: [3, 5], found: [5, 3])) {
            try ModelFile.decode(reshaped)
        }
        var extraTensor = file
        extraTensor.tensors.append((name: "9.weight", tensor: AnyTensor(Tensor<Float>(zeros: [1]))))
        #expect(throws: ModelFileError.unexpectedTensor(file: "m.safetensors", tensor: "9.weight")) { try ModelFile.decode(extraTensor) }
        var noArchitecture = file
        noArchitecture.metadata["architecture"] = nil
        #expect(throws: ModelFileError.missingMetadata(file: "m.safetensors", key: "architecture")) { try ModelFile.decode(noArchitecture) }
        var badArchitecture = file
        badArchitecture.metadata["architecture"] = "[{\"conv\":{}}]"
        #expect(throws: ModelFileError.self) { try ModelFile.decode(badArchitecture) }
        var notOurs = file
        notOurs.metadata = [:]
        #expect(throws: ModelFileError.missingMetadata(file: "m.safetensors", key: "circuits.format")) { try ModelFile.decode(notOurs) }
        #expect(throws: ModelFileError.reservedMetadataKey(file: "<memory>", key: "loss")) {
            try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: [], extra: ["loss": "x"]).container()
        }
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

    @Test("Python (safetensors + numpy) recomputes the saved model's scores to 1e-5")
    func pythonInterop() throws {
        let python = packageRoot.appendingPathComponent(".build/peers-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path),
              (try? runProcess(python, ["-c", "import safetensors, numpy"]).0) == 0 else {
            print("model interop: SKIPPED — \(python.path) with safetensors and numpy not found (make bench-peers sets it up)")
            return
        }
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir)
        let model = dir.appendingPathComponent("m.safetensors")
        #expect(circuits(["train", "--data", csv, "--model", "mlp:6,5", "--standardize", "--epochs", "5", "--out", model.path]).code == .success)
        let saved = try SavedModel.load(ParsedArguments(command: "eval", values: ["model": model.path]))
        let raw = try Tensor<Float>([0.5, 2.1, 4.2, 0.3, 1.1, 1.9, -3, 7.5], shape: [4, 2])
        let scores = try saved.file.model.predict(try saved.inputs(raw, file: "cases"))
        let cases: [String: [[Float]]] = ["inputs": (0..<4).map { r in (0..<2).map { raw[r, $0] } },
                                          "scores": (0..<4).map { r in (0..<3).map { scores[r, $0] } }]
        let casesURL = dir.appendingPathComponent("cases.json")
        try JSONEncoder().encode(cases).write(to: casesURL)
        let (status, out, err) = try runProcess(python, [packageRoot.appendingPathComponent("scripts/model_interop.py").path, model.path, casesURL.path])
        print(out + err)
        #expect(status == 0, "\(out)\(err)")
    }
}

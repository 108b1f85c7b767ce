import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

/// Issue 18, "Real files, real mistakes": one test per row of its table, each running the commands a new
/// user would on the files in `Tests/RealFiles` and asserting the value that user expects — the
/// accuracy, the class list, the message, the exit code. Serialized: they share OpenBLAS.
@Suite("Real files, real mistakes: train, eval, predict, search", .serialized)
struct RealFilesTests {
    static func file(_ name: String) -> String { packageRoot.appendingPathComponent("Tests/RealFiles/\(name)").path }

    /// The final `--json` summary object of a `train` run.
    static func summary(_ r: RunResult) throws -> [String: Any] {
        let last = try #require(r.output.split(separator: "\n").last(where: { $0.contains("\"summary\"") }), "no summary in \(r.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    }

    /// The accuracy `eval` printed on its first line, in percent.
    static func accuracy(_ r: RunResult) -> Double? {
        r.output.split(separator: "\n").first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Double($0.dropLast()) } }
    }

    @Test("1: features ≈ 1e-10 are standardized as at unit scale: the same accuracy, not chance")
    func tinyScale() throws {
        let dir = try temporaryDirectory()
        func run(_ name: String) throws -> (accuracy: Double, scale: [Double]) {
            let out = dir.appendingPathComponent(name + ".safetensors").path
            let r = circuits(["train", "--data", Self.file(name + ".csv"), "--standardize", "--model", "linear", "--lr", "0.05",
                              "--epochs", "30", "--json", "--out", out])
            #expect(r.code == .success, "\(r.errors)")
            let saved = try ModelFile<Float>.read(from: URL(fileURLWithPath: out))
            let json = try #require(saved.extra["preprocessing"])
            let parameters = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["parameters"] as? [String: Any])
            return (try #require(try Self.summary(r)["validationAccuracy"] as? Double), try #require(parameters["scale"] as? [Double]))
        }
        let tiny = try run("tiny_scale"), unit = try run("unit_scale")
        #expect(tiny.accuracy >= 0.95, "tiny scale: validation accuracy \(tiny.accuracy), chance is 0.5")
        #expect(tiny.accuracy == unit.accuracy)
        // The stored scale is each column's spread (≈ 1e-10 of the unit-scale one), not the 1 of a constant column.
        for j in 0..<2 { #expect(abs(tiny.scale[j] / unit.scale[j] * 1e9 - 1) < 1e-3, "\(tiny.scale) vs \(unit.scale)") }
    }

    @Test("2: LIBSVM files are read at the model's width; --features sets it; an index beyond it names line and index")
    func libsvmWidth() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("svm.safetensors").path
        let train = Self.file("libsvm_train_5_features.svm"), test = Self.file("libsvm_test_highest_index_unused.svm")
        let r = circuits(["train", "--data", train, "--test", test, "--model", "linear", "--lr", "0.05", "--epochs", "30", "--out", model])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.output.contains("test accuracy") && !r.errors.contains("transform"))
        let eval = circuits(["eval", "--model", model, "--data", test])
        #expect(eval.code == .success, "\(eval.errors)")
        let accuracy = try #require(Self.accuracy(eval))
        #expect(accuracy >= 90, "\(eval.output)")
        #expect(r.output.contains(String(format: "test accuracy %.2f%%", accuracy)))   // --test and eval agree
        let predict = circuits(["predict", "--model", model, "--data", test])
        #expect(predict.code == .success && predict.output.split(separator: "\n").count == 50, "\(predict.errors)")

        // --features widens a training file; an index beyond the width is an error naming line and index.
        let wide = circuits(["train", "--data", train, "--features", "7", "--epochs", "1", "--out", dir.appendingPathComponent("w.safetensors").path])
        #expect(wide.code == .success && wide.errors.contains("7 features"), "\(wide.errors)")
        let narrow = circuits(["train", "--data", train, "--features", "3", "--epochs", "1", "--out", dir.appendingPathComponent("n.safetensors").path])
        #expect(narrow.code == .failure)
        #expect(narrow.errors.contains("\(train):1:") && narrow.errors.contains("expected a feature index in 1...3, found 4"), "\(narrow.errors)")
        let beyond = dir.appendingPathComponent("beyond.svm").path
        try "1 1:0.5 6:1\n".write(toFile: beyond, atomically: true, encoding: .utf8)
        let refused = circuits(["eval", "--model", model, "--data", beyond])
        #expect(refused.code == .failure && refused.errors.contains("beyond.svm:1:9: expected a feature index in 1...5, found 6"), "\(refused.errors)")
    }

    @Test("3: NaN/±Inf features are refused naming file, row and column; --nan drop leaves the rows out; predict never prints nan")
    func nonFiniteFeatures() throws {
        let dir = try temporaryDirectory()
        let x = Self.file("X_with_nan.npy"), y = Self.file("y_for_X_with_nan.npy")
        let message = "\(x), row 7, column 1 (0-based): expected a finite number, found NaN (--nan drop leaves such rows out)"
        for extra in [[], ["--standardize"]] {
            let r = circuits(["train", "--data", x, "--labels", y, "--epochs", "2", "--out", dir.appendingPathComponent("m.safetensors").path] + extra)
            #expect(r.code == .failure)
            #expect(r.errors.contains(message), "\(r.errors)")
            #expect(!r.errors.contains("learning rate") && !r.errors.contains("EncodingError") && !r.errors.contains("epoch 1"))
        }
        let model = dir.appendingPathComponent("clean.safetensors").path
        let dropped = circuits(["train", "--data", x, "--labels", y, "--nan", "drop", "--model", "linear", "--epochs", "20", "--lr", "0.05", "--out", model])
        #expect(dropped.code == .success, "\(dropped.errors)")
        #expect(dropped.errors.contains("left out 1 of 200 rows holding NaN or ±Inf (0-based rows 7)"))
        #expect(dropped.errors.contains("data: 179 training, 20 validation"))

        let test = Self.file("X_test_nan_inf.npy")
        let refused = circuits(["predict", "--model", model, "--data", test])
        #expect(refused.code == .failure && refused.output.isEmpty)
        #expect(refused.errors.contains("\(test), row 0, column 0 (0-based): expected a finite number, found NaN"), "\(refused.errors)")
        let rest = circuits(["predict", "--model", model, "--data", test, "--nan", "drop", "--proba"])
        #expect(rest.code == .success, "\(rest.errors)")
        let lines = rest.output.split(separator: "\n")
        #expect(lines.count == 5 && !rest.output.lowercased().contains("nan"), "\(rest.output)")
        #expect(rest.errors.contains("left out 2 of 6 rows holding NaN or ±Inf (0-based rows 0, 1)"))
        // Finite inputs far outside the training range still give finite probabilities or a clear error.
        let far = dir.appendingPathComponent("far.csv").path
        try "1e30,-1e30,1e30\n2,1,0\n".write(toFile: far, atomically: true, encoding: .utf8)
        let huge = circuits(["predict", "--model", model, "--data", far, "--proba"])
        #expect(!huge.output.lowercased().contains("nan"), "\(huge.output)")
        #expect(huge.code == .success || huge.errors.contains("row 1"), "\(huge.errors)")
    }

    @Test("4: one class is refused before training (train and search); a one-class model file cannot trap predict")
    func oneClass() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("one.safetensors")
        let r = circuits(["train", "--data", Self.file("one_class.csv"), "--epochs", "2", "--out", out.path])
        #expect(r.code == .failure)
        #expect(r.errors.contains("one_class.csv: a classifier needs at least two classes; the labels hold only class \"7\" (100 examples)"), "\(r.errors)")
        #expect(!r.errors.contains("epoch") && !FileManager.default.fileExists(atPath: out.path))
        let search = circuits(["search", "--data", Self.file("one_class.csv"), "--epochs", "1", "--folds", "2"])
        #expect(search.code == .failure && search.errors.contains("needs at least two classes"), "\(search.errors)")
        let row = circuits(["train", "--data", Self.file("one_row.csv"), "--epochs", "2", "--out", out.path])
        #expect(row.code == .failure && row.errors.contains("one_row.csv: a classifier needs at least two classes; the labels hold only class \"cat\" (1 example)"))

        // What the old release wrote for one_row.csv: one class, one output. Predict says so instead of trapping.
        var rng = SeededRNG(seed: 3)
        let model = try Sequential<Float>(inputShape: [2], specs: [.dense(1)], rng: &rng)
        model.layers[0].parameters[1].variable.value = Tensor([5])   // a positive score: "class 1" of one class
        try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["cat"]).write(to: out)
        let predict = circuits(["predict", "--model", out.path, "--data", Self.file("one_row.csv")])
        #expect(predict.code == .failure)
        #expect(predict.errors.contains("a classifier needs at least two classes; this file lists 1 (cat)"), "\(predict.errors)")
    }

    @Test("5: the iteration budget reaches L-BFGS; the summary reports the iterations run and why it stopped")
    func lbfgsBudget() throws {
        let dir = try temporaryDirectory()
        func run(_ extra: [String]) throws -> (summary: [String: Any], weights: [Float]) {
            let out = dir.appendingPathComponent("l.safetensors")
            let r = circuits(["train", "--data", "toy:spirals", "--model", "mlp:16", "--optimizer", "lbfgs", "--json", "--out", out.path] + extra)
            #expect(r.code == .success, "\(r.errors)")
            return (try Self.summary(r), try ModelFile<Float>.read(from: out).model.parameters[0].variable.value.scalars)
        }
        let one = try run(["--epochs", "1"]), many = try run(["--epochs", "2000"])
        #expect(one.summary["iterations"] as? Int == 1 && one.summary["maxIterations"] as? Int == 1)
        #expect(one.summary["stopReason"] as? String == "iteration limit reached")
        let iterations = try #require(many.summary["iterations"] as? Int)
        #expect(iterations > 10 && iterations < 2000 && many.summary["maxIterations"] as? Int == 2000)
        #expect(many.summary["stopReason"] as? String != "iteration limit reached")
        #expect(one.weights != many.weights)
        let (better, worse) = (try #require(many.summary["validationAccuracy"] as? Double), try #require(one.summary["validationAccuracy"] as? Double))
        #expect(better > worse)
        // --max-iter wins over --epochs, and the text summary says what happened.
        let capped = try run(["--epochs", "2000", "--max-iter", "5"])
        #expect(capped.summary["iterations"] as? Int == 5 && capped.summary["epochs"] as? Int == 1)
        let text = circuits(["train", "--data", "toy:spirals", "--model", "mlp:16", "--optimizer", "lbfgs", "--max-iter", "3",
                             "--out", dir.appendingPathComponent("t.safetensors").path])
        #expect(text.output.contains("training: L-BFGS, 3 iterations of at most 3 (stopped: iteration limit reached)"), "\(text.output)")
        #expect(text.errors.contains("at most 3 iterations") && !text.errors.contains("20 epochs"))
        let misused = circuits(["train", "--data", "toy:spirals", "--max-iter", "5"])
        #expect(misused.code == .usage && misused.errors.contains("--max-iter is the iteration budget of --optimizer lbfgs"))
    }

    @Test("6: a numeric header over text labels is a header (with a warning); --header no reads it as data")
    func numericHeader() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("h.safetensors")
        let file = Self.file("numeric_header_text_labels.csv")
        let r = circuits(["train", "--data", file, "--epochs", "2", "--out", out.path])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.errors.contains("data: 90 training, 10 validation, 0 test examples; 3 features, 2 classes"), "\(r.errors)")
        #expect(r.errors.contains("warning: \(file): the first row is taken as a header: its label \"label\" occurs in no other row"))
        let saved = try ModelFile<Float>.read(from: out)
        #expect(saved.classNames == ["neg", "pos"] && saved.extra["features"] == "[\"0\",\"1\",\"2\"]" && saved.extra["label"] == "label")
        let asData = circuits(["train", "--data", file, "--header", "no", "--epochs", "2", "--out", out.path])
        #expect(asData.errors.contains("3 features, 3 classes") && !asData.errors.contains("taken as a header"), "\(asData.errors)")
        #expect(try ModelFile<Float>.read(from: out).classNames == ["label", "neg", "pos"])
        #expect(circuits(["train", "--data", file, "--header", "maybe"]).code == .usage)
    }

    @Test("7: the model stores its feature names; a file with the columns swapped is matched by name")
    func columnsSwapped() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("c.safetensors").path
        let yab = Self.file("columns_y_a_b.csv"), bay = Self.file("columns_b_a_y.csv")
        let r = circuits(["train", "--data", yab, "--label-column", "y", "--model", "linear", "--lr", "0.05", "--epochs", "30", "--out", model])
        #expect(r.code == .success, "\(r.errors)")
        let saved = try ModelFile<Float>.read(from: URL(fileURLWithPath: model))
        #expect(saved.extra["features"] == "[\"a\",\"b\"]" && saved.extra["label"] == "y")
        let same = circuits(["eval", "--model", model, "--data", yab]), swapped = circuits(["eval", "--model", model, "--data", bay])
        #expect(same.code == .success && swapped.code == .success, "\(same.errors) \(swapped.errors)")
        let accuracy = try #require(Self.accuracy(swapped))
        #expect(accuracy >= 95 && accuracy == Self.accuracy(same), "\(swapped.output)")
        let p1 = circuits(["predict", "--model", model, "--data", yab]).output.split(separator: "\n")
        let p2 = circuits(["predict", "--model", model, "--data", bay]).output.split(separator: "\n")
        #expect(p1.count == 300 && zip(p1, p2).filter { $0 != $1 }.isEmpty, "\(zip(p1, p2).filter { $0 != $1 }.count) of 300 answers changed")
        // A missing or extra column is an error naming it (and --header no matches by position instead).
        let missing = dir.appendingPathComponent("bc.csv").path
        try "b,c,y\n1,2,0\n".write(toFile: missing, atomically: true, encoding: .utf8)
        let e1 = circuits(["eval", "--model", model, "--data", missing])
        #expect(e1.code == .failure && e1.errors.contains("no column named \"a\", a feature of the model"), "\(e1.errors)")
        #expect(e1.errors.contains("--header no matches the columns by position instead"))
        let extra = dir.appendingPathComponent("abz.csv").path
        try "a,b,z,y\n1,2,3,0\n".write(toFile: extra, atomically: true, encoding: .utf8)
        let e2 = circuits(["predict", "--model", model, "--data", extra])
        #expect(e2.code == .failure && e2.errors.contains("column \"z\" is neither a feature of the model nor its label \"y\""), "\(e2.errors)")
        // --test during training is matched the same way.
        let t = circuits(["train", "--data", yab, "--label-column", "y", "--model", "linear", "--lr", "0.05", "--epochs", "30",
                          "--test", bay, "--out", model])
        #expect(t.output.contains(String(format: "test accuracy %.2f%%", accuracy)), "\(t.output)")
    }

    @Test("8: macro averages run over the classes present; the empty class 0 is shown but not averaged")
    func emptyClassNotAveraged() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("idx.safetensors").path
        let images = Self.file("labels_from_1-images-idx3-ubyte")
        let r = circuits(["train", "--data", images, "--model", "linear", "--lr", "0.05", "--epochs", "40", "--out", model])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.errors.contains("class \"0\" has no example in the data"))
        let eval = circuits(["eval", "--model", model, "--data", images])
        #expect(Self.accuracy(eval) == 100, "\(eval.output)")
        let lines = eval.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("macro avg") && $0.contains("1.000   1.000   1.000      300") }, "\(eval.output)")
        #expect(lines.contains { $0.hasPrefix("0 ") && $0.contains("(no examples, never predicted: not averaged)") })
        #expect(eval.output.contains("averages over the 3 classes present in the labels or predictions; 1 of the model's 4 classes is absent"))
        let json = circuits(["eval", "--model", model, "--data", images, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["macroF1"] as? Double == 1 && object["absentClasses"] as? [String] == ["0"])
        #expect(object["classes"] as? [String] == ["0", "1", "2", "3"])
    }

    @Test("9: predict reads a file of exactly the model's feature columns as unlabelled, as its help says")
    func unlabelledOneFeature() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("one.safetensors").path
        let r = circuits(["train", "--data", Self.file("one_feature_train.csv"), "--model", "linear", "--lr", "0.1", "--epochs", "300",
                          "--standardize", "--out", model])
        #expect(r.code == .success, "\(r.errors)")
        let predict = circuits(["predict", "--model", model, "--data", Self.file("one_feature_unlabelled.csv")])
        #expect(predict.code == .success, "\(predict.errors)")
        #expect(predict.output == "0\n1\n")
        #expect(PredictCommand.details.contains("column count equals the model's feature count is read as unlabelled"))
    }

    @Test("10: an empty test file is refused before training; eval and predict say \"no examples\"")
    func headerOnly() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("two.safetensors")
        let empty = Self.file("header_only.csv")
        let r = circuits(["train", "--data", Self.file("two_classes_train.csv"), "--test", empty, "--epochs", "3", "--out", model.path])
        #expect(r.code == .failure && r.errors.contains("\(empty): no examples"), "\(r.errors)")
        #expect(!r.errors.contains("epoch 1") && !r.errors.contains("argmax") && !FileManager.default.fileExists(atPath: model.path))
        let trained = circuits(["train", "--data", Self.file("two_classes_train.csv"), "--epochs", "3", "--out", model.path])
        #expect(trained.code == .success)
        for command in ["eval", "predict"] {
            let e = circuits([command, "--model", model.path, "--data", empty])
            #expect(e.code == .failure && e.errors == "circuits \(command): \(empty): no examples\n", "\(e.errors)")
        }
    }

    @Test("The same kinds across options: --pca, --folds, a continuous label, a split that cannot validate a class")
    func optionsAgainstData() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("o.safetensors").path
        let pca = circuits(["train", "--data", Self.file("one_feature_train.csv"), "--pca", "2", "--out", out])
        #expect(pca.code == .failure && pca.errors.contains("--pca 2: the training split has 8 examples of 1 features, so at most 1 components"), "\(pca.errors)")
        let folds = circuits(["search", "--data", Self.file("one_feature_train.csv"), "--folds", "9", "--epochs", "1"])
        #expect(folds.code == .failure && folds.errors.contains("--folds 9: "), "\(folds.errors)")
        let continuous = circuits(["train", "--data", Self.file("columns_y_a_b.csv"), "--out", out])
        #expect(continuous.code == .failure && continuous.errors.contains("the label column \"b\" holds 299 distinct non-integer values in 300 rows"))
        #expect(continuous.errors.contains("--loss mse"))
        // Three examples of a class: one stays in training, and the warning says validation cannot see it.
        let small = dir.appendingPathComponent("small.csv").path
        var text = "x,y\n"
        for i in 0..<40 { text += "\(Double(i) / 10),\(i % 2 == 0 ? "a" : "b")\n" }
        text += "9,c\n"
        try text.write(toFile: small, atomically: true, encoding: .utf8)
        let r = circuits(["train", "--data", small, "--epochs", "1", "--out", out])
        #expect(r.code == .success && r.errors.contains("class \"c\" has too few examples to appear in the validation split"), "\(r.errors)")
        let fewFolds = circuits(["search", "--data", small, "--folds", "3", "--epochs", "1", "--lr", "0.01", "--l2", "0"])
        #expect(fewFolds.errors.contains("the least populated class, \"c\", has 1 example, fewer than --folds 3"), "\(fewFolds.errors)")
    }

    @Test("A model file claiming huge layers, NaN weights or a mismatched preprocessing is one line, never a trap")
    func damagedModelFiles() throws {
        let dir = try temporaryDirectory()
        let data = Self.file("two_classes_train.csv")
        var rng = SeededRNG(seed: 1)
        let model = try Sequential<Float>(inputShape: [2], specs: [.dense(2)], rng: &rng)
        let file = ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["setosa", "versicolor"])
        // An architecture of 10⁶ × 10⁶ weights in a file of a few bytes: refused before anything is allocated.
        var container = try file.container(fileName: "huge")
        container.metadata["architecture"] = "{\"input\":[1000000],\"layers\":[{\"config\":{\"bias\":true,\"outputs\":1000000},\"kind\":\"dense\"}]}"
        let huge = dir.appendingPathComponent("huge.safetensors")
        try container.write(to: huge)
        let r1 = circuits(["predict", "--model", huge.path, "--data", data])
        #expect(r1.code == .failure && r1.errors.contains("layer 0 is a dense layer of 1000000 × 1000000 weights"), "\(r1.errors)")
        container.metadata["architecture"] = "{\"input\":[4294967296,4294967296],\"layers\":[{\"config\":{},\"kind\":\"flatten\"}]}"
        try container.write(to: huge)
        let r2 = circuits(["eval", "--model", huge.path, "--data", data])
        #expect(r2.code == .failure && r2.errors.contains("the model's input has shape [4294967296, 4294967296]"), "\(r2.errors)")
        // NaN weights.
        model.layers[0].parameters[0].variable.value = Tensor(repeating: .nan, shape: [2, 2])
        let nan = dir.appendingPathComponent("nan.safetensors")
        try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["setosa", "versicolor"]).write(to: nan)
        let r3 = circuits(["predict", "--model", nan.path, "--data", data])
        #expect(r3.code == .failure && r3.errors.contains("parameter 0.weight holds NaN or ±Inf"), "\(r3.errors)")
    }
}

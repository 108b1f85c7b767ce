import Foundation
import Layers
import Testing
@testable import CircuitsCLI

@Suite("Command-line parsing")
struct ArgumentsTests {
    /// A value each kind of option accepts.
    static func sample(_ o: OptionSpec) -> String? {
        guard let placeholder = o.value else { return nil }
        switch o.name {
        case "format": return "csv"
        case "loss": return "softmax"
        case "optimizer": return "adam"
        case "schedule": return "step"
        case "model": return "mlp:8,4"
        case "label-column": return "last"
        default: break
        }
        switch placeholder {
        case "N", "K": return "3"
        case "X", "P", "F": return "0.25"
        case "LIST": return "1"
        default: return "file.csv"
        }
    }

    @Test("every option of every command parses, as --name value and --name=value")
    func everyOption() throws {
        for command in CircuitsCLI.commands where command.name != "bench" {
            for o in command.options {
                var args = ["--" + o.name]
                if let v = Self.sample(o) { args.append(v) }
                let parsed = try ArgumentParser.parse(args, options: command.options, command: command.name)
                #expect(parsed.has(o.name), "\(command.name) --\(o.name)")
                #expect(parsed.string(o.name) == (Self.sample(o) ?? ""))
                if let v = Self.sample(o) {
                    let inline = try ArgumentParser.parse(["--\(o.name)=\(v)"], options: command.options, command: command.name)
                    #expect(inline.string(o.name) == v)
                }
            }
        }
    }

    @Test("every command has --help, exits 0 and lists its options")
    func helpForEveryCommand() {
        for command in CircuitsCLI.commands {
            let r = circuits([command.name, "--help"])
            #expect(r.code == .success)
            #expect(r.output.contains("Usage: circuits \(command.name)"))
            #expect(r.output.contains("Exit codes: 0 success, 1 failure"))
            for o in command.options { #expect(r.output.contains("--" + o.name) != o.isHidden) }
        }
        #expect(circuits(["--help"]).output.contains("gradcheck"))
        #expect(circuits([]).code == .usage)
    }

    @Test("train options: defaults are the Fashion-MNIST settings")
    func trainDefaults() throws {
        let o = try TrainOptions.parse(ParsedArguments(command: "train"))
        #expect(o.modelName == "mlp:256,128")
        #expect(o.loss == .softmaxCrossEntropy)
        #expect(o.configuration.optimizer == .adam && o.configuration.learningRate == 1e-3)
        #expect(o.configuration.batchSize == 128 && o.configuration.epochs == 20 && o.configuration.seed == 42)
        #expect(o.configuration.schedule == .cosine(minimumFactor: 0.01))
        #expect(o.out == "model.safetensors" && o.report == nil && o.validationSplit == 0.1)
        #expect(o.resolvedCheckpointPath.hasSuffix("model.checkpoint.safetensors"))
    }

    @Test("train options: every value lands in the configuration")
    func trainValues() throws {
        let args = ["--model", "linear", "--loss", "multiclass-hinge", "--optimizer", "nesterov", "--lr", "0.2", "--epochs", "7",
                    "--batch-size", "32", "--l2", "0.001", "--l1", "0.0001", "--val-split", "0.2", "--pca", "5", "--seed", "9",
                    "--threads", "1", "--out", "m.safetensors", "--report", "r.html", "--json", "--checkpoint-every", "2",
                    "--checkpoint", "c.safetensors", "--resume", "--schedule", "constant"]
        let o = try TrainOptions.parse(try ArgumentParser.parse(args, options: TrainOptions.specs, command: "train"))
        #expect(o.modelName == "linear")
        #expect(o.loss == .multiclassHinge)
        #expect(o.configuration.optimizer == .nesterov && o.configuration.learningRate == 0.2)
        #expect(o.configuration.epochs == 7 && o.configuration.batchSize == 32 && o.configuration.seed == 9)
        #expect(o.configuration.regularization == Regularization(l1: 0.0001, l2: 0.001))
        #expect(o.configuration.schedule == .constant)
        #expect(o.validationSplit == 0.2 && o.preprocessing == .pca && o.pcaComponents == 5 && o.threads == 1)
        #expect(o.out == "m.safetensors" && o.report == "r.html" && o.json && o.checkpointEvery == 2 && o.resume)
        #expect(o.resolvedCheckpointPath == "c.safetensors")
        let dropout = try TrainOptions.parse(try ArgumentParser.parse(["--model", "mlp:4", "--dropout", "0.5", "--standardize"], options: TrainOptions.specs, command: "train"))
        #expect(dropout.modelName == "mlp:4" && dropout.dropout == 0.5 && dropout.preprocessing == .standardize)
    }

    @Test("bad values are usage errors naming the option", arguments: [
        ["--epochs", "zero"], ["--lr", "-1"], ["--model", "mlp:"], ["--model", "cnn"], ["--loss", "softmx"],
        ["--standardize", "--pca", "3"], ["--val-split", "1.5"], ["--seed", "-3"], ["--epochs"], ["--json=yes"], ["stray"],
    ])
    func badValues(_ args: [String]) {
        let r = circuits(["train"] + args)
        #expect(r.code == .usage, "\(args)")
        #expect(r.errors.hasPrefix("circuits train: "))
        #expect(r.errors.contains("Run 'circuits train --help'"))
    }

    @Test("an unknown option exits 2 and suggests the closest valid one")
    func unknownOption() {
        let r = circuits(["train", "--lrr", "0.1"])
        #expect(r.code == .usage)
        #expect(r.errors.contains("unknown option --lrr"))
        #expect(r.errors.contains("did you mean --lr?"))
        #expect(circuits(["train", "--batchsize", "3"]).errors.contains("did you mean --batch-size?"))
        #expect(circuits(["eval", "--modle", "m"]).errors.contains("did you mean --model?"))
        #expect(circuits(["trian"]).errors.contains("did you mean 'train'?"))
        #expect(circuits(["trian"]).code == .usage)
        #expect(circuits(["train", "--loss", "sofmax"]).errors.contains("did you mean softmax?"))
    }

    @Test("a missing file is one line naming it, exit 1")
    func missingFile() {
        for args in [["train", "--data", "/nonexistent/train.csv"], ["eval", "--model", "/nonexistent/m.safetensors", "--data", "x.csv"],
                     ["predict", "--model", "/nonexistent/m.safetensors", "--data", "x.csv"],
                     ["train", "--data", "toy:moons", "--test", "/nonexistent/test.csv"]] {
            let r = circuits(args)
            #expect(r.code == .failure, "\(args)")
            #expect(r.errors.split(separator: "\n").count == 1, "\(r.errors)")
            #expect(r.errors.contains("/nonexistent/"))
            #expect(r.errors.contains("no such file or directory"))
        }
    }

    @Test("edit distance")
    func distances() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("lr", "lr") == 0)
        #expect(closest(to: "epoch", among: ["epochs", "lr"]) == "epochs")
        #expect(closest(to: "zzzzzzzz", among: ["lr", "l2"]) == nil)
    }
}

import Datasets
import Foundation
import Layers
import Tensor

/// Checks of data against the task, shared by `train` and `search`: made before any training, so a
/// file that cannot give a classifier (one class, a continuous column taken as the label) is one line
/// naming the file and the cause, not a model that predicts one class or a failure after the last epoch.
enum DataChecks {
    /// A network that starts with an embedding reads each example's values as token ids: every one must
    /// be an integer in 0..<V. Checked on the data as read, so the error names the example as the file
    /// orders it (inside a shuffled batch the op could only name the batch's row).
    static func checkTokenIDs(_ features: Tensor<Float>, embedding: EmbeddingConfiguration?, name: String) throws {
        guard let embedding, features.count > 0 else { return }
        let d = features.count / max(features.shape[0], 1), limit = Float(embedding.vocabulary)
        try features.withUnsafeBufferPointer { p in
            for i in 0..<p.count where !(p[i] >= 0 && p[i] < limit && p[i] == p[i].rounded()) {
                throw CLIError.failure("\(name): example \(i / d) (0-based), position \(i % d): \(p[i]) is not a token id in 0..<\(embedding.vocabulary) — the network starts with \(embedding.description)")
            }
        }
    }

    /// The classes with at least one example in `data`.
    static func presentClasses(_ data: Dataset) -> [Int] {
        data.classCounts.indices.filter { data.classCounts[$0] > 0 }
    }

    /// A classifier needs two classes, and classes that are not the distinct values of a continuous
    /// column (scikit-learn refuses such targets as "continuous").
    /// - Throws: `CLIError.failure` naming the file and the cause.
    static func requireClassification(_ data: Dataset, name: String) throws {
        let present = presentClasses(data)
        guard present.count >= 2 else {
            let which = present.first.map { "only class \"\(data.classNames[$0])\"" } ?? "no class"
            throw CLIError.failure("\(name): a classifier needs at least two classes; the labels hold \(which) (\(data.count) example\(data.count == 1 ? "" : "s"))")
        }
        if let targets = data.targets, data.classCount > 10, data.classCount * 2 > data.count,
           targets.contains(where: { $0 != $0.rounded() }) {
            let column = data.labelName.map { "the label column \"\($0)\"" } ?? "the label column"
            throw CLIError.failure("\(name): \(column) holds \(data.classCount) distinct non-integer values in \(data.count) rows: "
                                   + "it looks continuous (a regression target?), not classes; pick the label with --label-column, "
                                   + "or train a regressor with --loss mse")
        }
    }

    /// Warnings about classes the training split lacks or cannot validate.
    /// - Parameters:
    ///   - classNames, counts: the classes of the whole data set and their example counts.
    static func splitWarnings(classNames: [String], counts: [Int], train: Dataset, validation: Dataset?, name: String) -> [String] {
        var warnings: [String] = []
        let inTrain = train.classCounts
        let absent = classNames.indices.filter { inTrain.indices.contains($0) && inTrain[$0] == 0 }
        if !absent.isEmpty {
            let names = absent.prefix(5).map { "\"\(classNames[$0])\"" }.joined(separator: ", ") + (absent.count > 5 ? ", …" : "")
            let reason = absent.allSatisfy({ counts.indices.contains($0) && counts[$0] == 0 })
                ? "\(absent.count == 1 ? "has" : "have") no example in the data (labels are class indices, so the classes run from 0 to the largest label)"
                : "\(absent.count == 1 ? "has" : "have") no example in the training split"
            warnings.append("\(name): class\(absent.count == 1 ? "" : "es") \(names) \(reason); the model will not learn to predict \(absent.count == 1 ? "it" : "them")")
        }
        if let validation {
            let inValidation = validation.classCounts
            let unvalidated = inTrain.indices.filter { inTrain[$0] > 0 && (!inValidation.indices.contains($0) || inValidation[$0] == 0) }
            if !unvalidated.isEmpty {
                let names = unvalidated.prefix(5).map { "\"\(classNames[$0])\"" }.joined(separator: ", ") + (unvalidated.count > 5 ? ", …" : "")
                warnings.append("\(name): class\(unvalidated.count == 1 ? "" : "es") \(names) \(unvalidated.count == 1 ? "has" : "have") too few examples "
                                + "to appear in the validation split; validation accuracy does not measure \(unvalidated.count == 1 ? "it" : "them")")
            }
        }
        return warnings
    }

    /// `--folds K` against the data: K ≤ examples (an error), and a warning when a class has fewer than
    /// K examples (some folds then validate without it, or train without it), as scikit-learn warns.
    static func checkFolds(_ k: Int, data: Dataset, name: String) throws -> [String] {
        guard k <= data.count else {
            throw CLIError.failure("--folds \(k): \(name) has only \(data.count) examples; use at most \(data.count) folds")
        }
        let counts = data.classCounts
        guard let smallest = presentClasses(data).min(by: { counts[$0] < counts[$1] }), counts[smallest] < k else { return [] }
        return ["\(name): the least populated class, \"\(data.classNames[smallest])\", has \(counts[smallest]) example\(counts[smallest] == 1 ? "" : "s"), "
                + "fewer than --folds \(k): some folds train \(counts[smallest] == 1 ? "without it" : "on few of it") and others never validate it"]
    }

    /// `--pca K` against the training split: a centred split of n examples spans at most n − 1
    /// directions, and there are only d features; a component beyond either has no variance to whiten.
    static func checkPCA(_ k: Int, trainCount n: Int, features d: Int) throws {
        let most = min(n - 1, d)
        guard k <= most else {
            throw CLIError.failure("--pca \(k): the training split has \(n) examples of \(d) features, so at most \(max(most, 0)) components "
                                   + "carry variance (min(examples − 1, features))")
        }
    }
}

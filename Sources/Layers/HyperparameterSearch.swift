import Foundation
import Tensor

/// One setting of the hyperparameters a search varies.
public struct HyperparameterPoint: Codable, Hashable, Sendable, CustomStringConvertible {
    public var learningRate: Double
    public var l2: Double
    public var batchSize: Int
    /// Hidden layer widths (empty: a linear model).
    public var hidden: [Int]
    public var epochs: Int
    /// The hidden layers' activation.
    public var activation: UnaryFunction

    public init(learningRate: Double, l2: Double, batchSize: Int, hidden: [Int], epochs: Int, activation: UnaryFunction = .relu) {
        self.learningRate = learningRate
        self.l2 = l2
        self.batchSize = batchSize
        self.hidden = hidden
        self.epochs = epochs
        self.activation = activation
    }

    /// The model as the CLI names it: `linear`, `mlp:256,128` or `mlp:64:gelu`.
    public var modelName: String {
        guard !hidden.isEmpty else { return "linear" }
        let name = UnaryFunction.activations.first { $0.function == activation }?.name ?? "\(activation)"
        return "mlp:" + hidden.map(String.init).joined(separator: ",") + (activation == .relu ? "" : ":" + name)
    }

    public var description: String {
        "lr=\(learningRate) l2=\(l2) batch=\(batchSize) model=\(modelName) epochs=\(epochs)"
    }
}

/// The values each hyperparameter may take. Grid search tries every combination; random search draws
/// combinations (the learning rate and a positive L2 log-uniformly between the smallest and largest
/// listed value, the others from their lists).
public struct SearchSpace: Codable, Equatable, Sendable {
    public var learningRates: [Double]
    public var l2: [Double]
    public var batchSizes: [Int]
    public var hiddenWidths: [[Int]]
    public var epochs: [Int]
    /// The activation of each entry of `hiddenWidths` (all ReLU when empty).
    public var activations: [UnaryFunction]

    public init(learningRates: [Double] = [0.01, 0.1], l2: [Double] = [0, 1e-4], batchSizes: [Int] = [64],
                hiddenWidths: [[Int]] = [[64]], epochs: [Int] = [10], activations: [UnaryFunction] = []) {
        self.learningRates = learningRates
        self.l2 = l2
        self.batchSizes = batchSizes
        self.hiddenWidths = hiddenWidths
        self.epochs = epochs
        self.activations = activations
    }

    /// The activation of model `i` of `hiddenWidths`.
    func activation(_ i: Int) -> UnaryFunction { i < activations.count ? activations[i] : .relu }

    /// Every combination, in a fixed order (learning rate varies slowest).
    public var grid: [HyperparameterPoint] {
        var points: [HyperparameterPoint] = []
        for lr in learningRates { for l in l2 { for b in batchSizes { for (m, h) in hiddenWidths.enumerated() { for e in epochs {
            points.append(HyperparameterPoint(learningRate: lr, l2: l, batchSize: b, hidden: h, epochs: e, activation: activation(m)))
        } } } } }
        return points
    }

    /// `count` random combinations drawn with `rng`.
    public func random(_ count: Int, rng: inout SeededRNG) -> [HyperparameterPoint] {
        func logUniform(_ values: [Double]) -> Double {
            let positive = values.filter { $0 > 0 }
            guard let lo = positive.min(), let hi = positive.max(), lo < hi else {
                return values[rng.nextInt(below: values.count)]
            }
            // Keep zero (no regularization) as a possible draw when it was listed.
            if values.contains(0) && rng.nextInt(below: positive.count + 1) == 0 { return 0 }
            return Foundation.exp(rng.uniform(Foundation.log(lo), Foundation.log(hi)))
        }
        return (0..<count).map { _ in
            let lr = logUniform(learningRates), l = logUniform(l2), b = batchSizes[rng.nextInt(below: batchSizes.count)]
            let m = rng.nextInt(below: hiddenWidths.count)
            return HyperparameterPoint(learningRate: lr, l2: l, batchSize: b, hidden: hiddenWidths[m],
                                       epochs: epochs[rng.nextInt(below: epochs.count)], activation: activation(m))
        }
    }

    /// - Throws: `TrainingError.invalidConfiguration` naming an empty list or a value out of range.
    public func validate() throws {
        if learningRates.isEmpty || l2.isEmpty || batchSizes.isEmpty || hiddenWidths.isEmpty || epochs.isEmpty {
            throw TrainingError.invalidConfiguration("every hyperparameter needs at least one value")
        }
        if learningRates.contains(where: { !($0 > 0) }) { throw TrainingError.invalidConfiguration("learning rates must be > 0") }
        if l2.contains(where: { !($0 >= 0) }) { throw TrainingError.invalidConfiguration("L2 values must be ≥ 0") }
        if batchSizes.contains(where: { $0 <= 0 }) { throw TrainingError.invalidConfiguration("batch sizes must be > 0") }
        if epochs.contains(where: { $0 <= 0 }) { throw TrainingError.invalidConfiguration("epochs must be > 0") }
        if hiddenWidths.contains(where: { $0.contains { $0 <= 0 } }) { throw TrainingError.invalidConfiguration("hidden widths must be > 0") }
    }
}

/// How a search picks the points it evaluates.
public enum SearchStrategy: Equatable, Sendable {
    case grid
    case random(trials: Int)
}

/// A point's cross-validated score.
public struct SearchResult: Codable, Sendable {
    public var point: HyperparameterPoint
    /// Validation accuracy of each fold.
    public var foldAccuracies: [Double]
    public var mean: Double
    /// Sample standard deviation over folds (0 for one fold).
    public var std: Double
    public var seconds: Double
    /// The learning rate of each epoch of the first fold's run: the base configuration's schedule over
    /// this point's rate and epoch count.
    public var learningRates: [Double]
}

/// Grid or random search with k-fold cross-validation: each candidate is trained k times, each time on
/// k−1 folds and scored on the held-out one; candidates are ranked by mean validation accuracy.
///
/// Folds are stratified (each has the class proportions of the whole) and seeded, so a search reruns
/// exactly; every candidate sees the same folds, so their scores differ only by the hyperparameters.
///
/// ```swift
/// let search = HyperparameterSearch(space: SearchSpace(learningRates: [0.01, 0.1]), folds: 5)
/// let ranked = try search.run(data)
/// print(HyperparameterSearch.table(ranked))
/// ```
public struct HyperparameterSearch: Sendable {
    public var space: SearchSpace
    public var strategy: SearchStrategy
    public var folds: Int
    /// Seeds the folds, the random draws and every training run.
    public var seed: UInt64
    /// Settings not searched over (optimizer, momentum, L1, …).
    public var base: TrainingConfiguration
    public var loss: LossFunction

    public init(space: SearchSpace, strategy: SearchStrategy = .grid, folds: Int = 5, seed: UInt64 = 42,
                base: TrainingConfiguration = TrainingConfiguration(), loss: LossFunction = .softmaxCrossEntropy) {
        self.space = space
        self.strategy = strategy
        self.folds = folds
        self.seed = seed
        self.base = base
        self.loss = loss
    }

    /// The points this search evaluates.
    public func candidates() -> [HyperparameterPoint] {
        switch strategy {
        case .grid: return space.grid
        case let .random(trials):
            var rng = SeededRNG(seed: seed &+ 0x5EA4C4)
            return space.random(trials, rng: &rng)
        }
    }

    /// Validation row indices of `k` stratified folds: each class's rows are shuffled with a generator
    /// seeded by `seed` and dealt round-robin, continuing the deal from class to class so fold sizes
    /// differ by at most one.
    /// - Throws: `TrainingError.invalidConfiguration` unless 2 ≤ k ≤ number of rows.
    public static func stratifiedFolds(labels: [Int], k: Int, seed: UInt64) throws -> [[Int]] {
        guard k >= 2, k <= labels.count else {
            throw TrainingError.invalidConfiguration("k-fold needs 2 ≤ k ≤ \(labels.count) examples, got k = \(k)")
        }
        var rng = SeededRNG(seed: seed)
        var byClass: [Int: [Int]] = [:]
        for (i, y) in labels.enumerated() { byClass[y, default: []].append(i) }
        var folds = [[Int]](repeating: [], count: k)
        var next = 0
        for y in byClass.keys.sorted() {
            var members = byClass[y]!
            rng.shuffle(&members)
            for i in members { folds[next].append(i); next = (next + 1) % k }
        }
        return folds.map { $0.sorted() }
    }

    /// Trains and scores every candidate; returns them best first (ties keep candidate order).
    /// - Parameters:
    ///   - data: the labelled examples the folds are cut from.
    ///   - progress: called before each training run with (run, runs, point, fold).
    public func run<Scalar: BLASScalar>(_ data: TrainingData<Scalar>,
                                        progress: ((Int, Int, HyperparameterPoint, Int) -> Void)? = nil) throws -> [SearchResult] {
        try space.validate()
        guard data.classes > 0 else { throw TrainingError.invalidTargets("hyperparameter search ranks by accuracy and needs class labels") }
        let validationSets = try Self.stratifiedFolds(labels: data.labels, k: folds, seed: seed)
        let splits = try validationSets.map { validation -> (TrainingData<Scalar>, TrainingData<Scalar>) in
            let held = Set(validation)
            let train = (0..<data.count).filter { !held.contains($0) }
            return (try data.subset(train), try data.subset(validation))
        }
        let points = candidates()
        var results: [SearchResult] = []
        var run = 0
        for point in points {
            let start = DispatchTime.now().uptimeNanoseconds
            var accuracies: [Double] = []
            var rates: [Double] = []
            for (f, (train, validation)) in splits.enumerated() {
                run += 1
                progress?(run, points.count * splits.count, point, f)
                var configuration = base
                configuration.learningRate = point.learningRate
                configuration.regularization.l2 = point.l2
                configuration.batchSize = point.batchSize
                configuration.epochs = point.epochs
                configuration.seed = seed &+ UInt64(f)
                var rng = SeededRNG(seed: configuration.seed)
                let model = try Sequential<Scalar>.mlp(inputs: data.features.columns, hidden: point.hidden,
                                                       outputs: loss.outputs(classes: data.classes), activation: point.activation, rng: &rng)
                let trainer = try Trainer(model: model, loss: loss, configuration: configuration)
                let history = try trainer.fit(train)
                if f == 0 { rates = history.epochs.map(\.learningRate) }
                let predictions = try model.predictClasses(validation.features)
                accuracies.append(try ClassificationMetrics(predictions: predictions, labels: validation.labels, classes: data.classes).accuracy)
            }
            let mean = accuracies.reduce(0, +) / Double(accuracies.count)
            let variance = accuracies.count > 1
                ? accuracies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(accuracies.count - 1) : 0
            results.append(SearchResult(point: point, foldAccuracies: accuracies, mean: mean, std: variance.squareRoot(),
                                        seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, learningRates: rates))
        }
        // A stable sort: equal means keep the order they were tried in.
        return results.enumerated().sorted { a, b in
            a.element.mean != b.element.mean ? a.element.mean > b.element.mean : a.offset < b.offset
        }.map(\.element)
    }

    /// The ranked results as a text table: rank, mean ± std validation accuracy, and the settings.
    public static func table(_ results: [SearchResult]) -> String {
        var lines = ["rank  accuracy (mean ± std)  lr          l2          batch  epochs  model"]
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        for (i, r) in results.enumerated() {
            let acc = String(format: "%6.2f%% ± %5.2f%%", r.mean * 100, r.std * 100)
            lines.append(pad(String(i + 1), 4) + "  " + pad(acc, 21) + "  " + pad("\(r.point.learningRate)", 10) + "  "
                         + pad("\(r.point.l2)", 10) + "  " + pad(String(r.point.batchSize), 5) + "  "
                         + pad(String(r.point.epochs), 6) + "  " + r.point.modelName)
        }
        return lines.joined(separator: "\n")
    }
}

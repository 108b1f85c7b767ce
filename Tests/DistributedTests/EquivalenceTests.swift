import Datasets
import Distributed
import Foundation
import Layers
import Testing

/// Data-parallel training with global batch B ends with the parameters one process reaches with batch
/// B, from the same seed and sample order. The settings make every part of the sharding matter: 227
/// examples in batches of 32 leave a last batch of 3, so with 4 ranks one rank has an empty part and
/// the others uneven ones; L2 is on, so a regularization gradient counted once per rank instead of once
/// in total would show; momentum and Adam carry state across steps.
@Suite("Data-parallel equivalence", .serialized)
struct EquivalenceTests {
    static let examples = 227, features = 6, classes = 3, hidden = [16, 8]

    static func arguments(epochs: Int, optimizer: OptimizerKind) -> [String] {
        ["--data", "synthetic:\(examples):\(features):\(classes)", "--model", "mlp:" + hidden.map(String.init).joined(separator: ","),
         "--optimizer", optimizer.rawValue, "--lr", optimizer == .adam ? "0.01" : "0.05", "--momentum", "0.9", "--l2", "0.01",
         "--epochs", "\(epochs)", "--batch-size", "32", "--seed", "11", "--val-split", "0", "--schedule", "constant",
         "--threads", "1", "--out", temporaryPath("model.safetensors")]
    }

    /// The single-process run, in this process: the same construction as `circuits train`.
    static func reference<S: BLASScalar>(_: S.Type, epochs: Int, optimizer: OptimizerKind) throws -> [(name: String, values: [Double])] {
        let data = try clusters(count: examples, features: features, classes: classes, as: S.self)
        var c = TrainingConfiguration()
        c.optimizer = optimizer
        c.learningRate = optimizer == .adam ? 0.01 : 0.05
        c.momentum = 0.9
        c.regularization.l2 = 0.01
        c.epochs = epochs
        c.batchSize = 32
        c.seed = 11
        var rng = SeededRNG(seed: c.seed)
        let model = try Sequential<S>.mlp(inputs: features, hidden: hidden, outputs: classes, rng: &rng)
        try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c).fit(data)
        return model.parameters.map { ($0.name, $0.variable.value.scalars.map { Double($0) }) }
    }

    /// Worst relative difference over parameters, each measured against its tensor's largest magnitude
    /// (element-wise ratios are meaningless for weights near zero).
    static func worstRelativeError(_ a: [(name: String, values: [Double])], _ b: [(name: String, values: [Double])]) -> (Double, String) {
        var worst = (0.0, "")
        for (x, y) in zip(a, b) {
            let scale = max(y.values.map(abs).max() ?? 0, 1e-300)
            let e = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
            if e / scale > worst.0 { worst = (e / scale, x.name) }
        }
        return worst
    }

    func check<S: BLASScalar>(_: S.Type, ranks: Int, optimizer: OptimizerKind = .momentum, tolerance: Double) throws {
        let epochs = 4
        let out = temporaryPath("parameters.txt")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var args = Self.arguments(epochs: epochs, optimizer: optimizer) + ["--parameters-out", out, "--stats-json"]
        if S.self == Double.self { args.append("--double") }
        let result = try MPIRun.run(ranks: ranks, args)
        try #require(result.status == 0, "mpirun exited with \(result.status):\n\(result.all)")
        // The fused buffer and the trainer's batch buffers are reused: a warm epoch allocates no tensor.
        #expect(result.output.contains("\"tensorBuffersAllocatedInLastEpoch\":0"), "\(result.output)")
        let distributed = try readParameters(out)
        let single = try Self.reference(S.self, epochs: epochs, optimizer: optimizer)
        #expect(distributed.map(\.name) == single.map(\.name))
        #expect(distributed.map(\.values.count) == single.map(\.values.count))
        let (worst, name) = Self.worstRelativeError(distributed, single)
        print("equivalence: \(ranks) ranks, \(S.self), \(optimizer): worst relative difference \(worst) (\(name))")
        // Training moved the weights, so agreement is not the trivial agreement of the initial values.
        #expect(worst <= tolerance, "\(ranks) ranks, \(S.self), \(optimizer): worst relative difference \(worst) in \(name)")
    }

    @Test("2 ranks, Float, momentum: parameters within 1e-5 of one process") func twoRanksFloat() throws { try check(Float.self, ranks: 2, tolerance: 1e-5) }
    @Test("4 ranks, Float, momentum: parameters within 1e-5 of one process") func fourRanksFloat() throws { try check(Float.self, ranks: 4, tolerance: 1e-5) }
    @Test("2 ranks, Double, momentum: parameters within 1e-12 of one process") func twoRanksDouble() throws { try check(Double.self, ranks: 2, tolerance: 1e-12) }
    @Test("4 ranks, Double, momentum: parameters within 1e-12 of one process") func fourRanksDouble() throws { try check(Double.self, ranks: 4, tolerance: 1e-12) }
    @Test("4 ranks, Double, Adam: parameters within 1e-12 of one process") func fourRanksDoubleAdam() throws { try check(Double.self, ranks: 4, optimizer: .adam, tolerance: 1e-12) }

    @Test("The reference run is not trivially equal: a regularization gradient counted per rank would differ")
    func regularizationCountsOnce() throws {
        // Same run with L2 doubled (what two ranks each adding an unscaled λW would amount to): far
        // outside the tolerance, so the equivalence tests above would catch it.
        let once = try Self.reference(Double.self, epochs: 4, optimizer: .momentum)
        var c = TrainingConfiguration()
        c.optimizer = .momentum; c.learningRate = 0.05; c.momentum = 0.9; c.regularization.l2 = 0.02
        c.epochs = 4; c.batchSize = 32; c.seed = 11
        let data = try clusters(count: Self.examples, features: Self.features, classes: Self.classes, as: Double.self)
        var rng = SeededRNG(seed: c.seed)
        let model = try Sequential<Double>.mlp(inputs: Self.features, hidden: Self.hidden, outputs: Self.classes, rng: &rng)
        try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c).fit(data)
        let twice = model.parameters.map { (name: $0.name, values: $0.variable.value.scalars) }
        #expect(Self.worstRelativeError(twice, once).0 > 1e-4)
    }
}

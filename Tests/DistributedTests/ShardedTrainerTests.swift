import Datasets
import Distributed
import Foundation
import Testing
@testable import Layers

/// The trainer's `GradientSynchronizer` without MPI: N threads play N ranks, and a shared buffer with a
/// barrier plays the all-reduce. This pins down the arithmetic of parts and shares (parts of each global
/// batch, local/global scaling, regularization once, empty parts) on its own.
@Suite("Trainer with a gradient synchronizer, ranks simulated by threads")
struct ShardedTrainerTests {
    /// Sums each rank's gradients in rank order once all have arrived, so the result does not depend on
    /// thread timing, and hands every rank the same sum.
    final class SimulatedAllReduce: @unchecked Sendable {
        let ranks: Int
        let condition = NSCondition()
        var contributions: [[[Double]]?]
        var sum: [[Double]] = []
        var arrived = 0, generation = 0
        var results: [[[Double]]]

        init(ranks: Int) {
            self.ranks = ranks
            contributions = Array(repeating: nil, count: ranks)
            results = Array(repeating: [], count: ranks)
        }

        func allReduce(rank: Int, _ gradients: [[Double]]) -> [[Double]] {
            condition.lock()
            defer { condition.unlock() }
            contributions[rank] = gradients
            arrived += 1
            let mine = generation
            if arrived == ranks {
                sum = contributions[0]!
                for r in 1..<ranks { for (i, g) in contributions[r]!.enumerated() { for j in g.indices { sum[i][j] += g[j] } } }
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
            return sum
        }
    }

    static func trainer(seed: UInt64, classWeights: [Double]? = nil) throws -> Trainer<Double> {
        var c = TrainingConfiguration()
        c.optimizer = .momentum; c.learningRate = 0.05; c.momentum = 0.9; c.regularization.l2 = 0.01
        c.epochs = 3; c.batchSize = 32; c.seed = seed; c.classWeights = classWeights
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Double>.mlp(inputs: 6, hidden: [16, 8], outputs: 3, rng: &rng)
        return try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c)
    }

    @Test("Parts of a global batch: contiguous, sizes differ by at most one, the first parts take the extra")
    func parts() {
        let all = Array(0..<110), batch = all[100..<110]   // a slice that does not start at index 0, like the trainer's
        let parts = (0..<4).map { Trainer<Double>.part(of: batch, rank: $0, count: 4) }
        #expect(parts.map(\.count) == [3, 3, 2, 2])
        #expect(parts.flatMap { $0 } == Array(batch))
        #expect((0..<4).map { Trainer<Double>.part(of: batch[100..<103], rank: $0, count: 4).count } == [1, 1, 1, 0])
    }

    /// With class weights too: each part's loss is normalized by its own weight total, and its share of
    /// the batch is that total over the batch's, so the sum is the single-process gradient exactly.
    @Test("Simulated ranks end with one process's parameters (Double, 1e-12)",
          arguments: [2, 3, 4], [nil, [1, 3, 0.5]] as [[Double]?])
    func simulatedRanks(ranks: Int, classWeights: [Double]?) throws {
        let data = try clusters(count: 227, features: 6, classes: 3, as: Double.self)
        let single = try Self.trainer(seed: 11, classWeights: classWeights)
        try single.fit(data)
        let reference = single.model.parameters.map { $0.variable.value.scalars }

        let sim = SimulatedAllReduce(ranks: ranks)
        let group = DispatchGroup()
        for rank in 0..<ranks {
            group.enter()
            Thread {
                defer { group.leave() }
                let trainer = try! Self.trainer(seed: 11, classWeights: classWeights)
                trainer.synchronizer = SimulatedSynchronizer(rank: rank, ranks: ranks, allReduce: sim)
                try! trainer.fit(data)
                sim.results[rank] = trainer.model.parameters.map { $0.variable.value.scalars }
            }.start()
        }
        group.wait()
        for rank in 0..<ranks {
            for (got, want) in zip(sim.results[rank], reference) {
                let scale = want.map(abs).max()!
                let worst = zip(got, want).map { abs($0 - $1) }.max()! / scale
                #expect(worst <= 1e-12, "rank \(rank) of \(ranks): worst relative difference \(worst)")
            }
        }
    }
}

/// A rank of the simulated job as the trainer sees it: its part of every batch, and the barrier's sum.
final class SimulatedSynchronizer: GradientSynchronizer {
    let rank: Int, ranks: Int
    let allReduce: ShardedTrainerTests.SimulatedAllReduce
    init(rank: Int, ranks: Int, allReduce: ShardedTrainerTests.SimulatedAllReduce) {
        self.rank = rank
        self.ranks = ranks
        self.allReduce = allReduce
    }
    var part: (index: Int, count: Int) { (rank, ranks) }
    func synchronize(_ parameters: [Parameter<Double>], share: Double) throws {
        let mine = parameters.map { p in p.variable.grad!.scalars.map { $0 * share } }
        for (p, g) in zip(parameters, allReduce.allReduce(rank: rank, mine)) {
            try p.variable.setGrad(try Tensor(g, shape: p.variable.value.shape))
        }
    }
    func combine(lossSum: Double, correct: Int, seen: Int) throws -> (lossSum: Double, correct: Int, seen: Int) { (lossSum, correct, seen) }
}

/// The synthetic data of `--data synthetic:N:D:K` (seed 7), in `S`.
func clusters<S: BLASScalar>(count: Int, features: Int, classes: Int, as _: S.Type) throws -> TrainingData<S> {
    let d = ToyDatasets.clusters(count: count, features: features, classes: classes, seed: 7)
    return try TrainingData(features: d.features.converted(to: S.self), labels: d.labels, classes: d.classCount)
}

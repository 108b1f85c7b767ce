import Foundation
import Layers
import Tensor
import Testing
@testable import CircuitsCLI

@Suite("hyperparameter search", .serialized)
struct SearchTests {
    @Test("stratified folds: a partition, class proportions kept, same seed same folds")
    func folds() throws {
        let labels = (0..<50).map { $0 < 30 ? 0 : ($0 < 45 ? 1 : 2) }
        let f = try HyperparameterSearch.stratifiedFolds(labels: labels, k: 5, seed: 3)
        #expect(f.flatMap { $0 }.sorted() == Array(0..<50))
        #expect(f.map(\.count).allSatisfy { $0 == 10 })
        for fold in f {
            #expect(fold.filter { labels[$0] == 0 }.count == 6)
            #expect(fold.filter { labels[$0] == 1 }.count == 3)
        }
        #expect(try HyperparameterSearch.stratifiedFolds(labels: labels, k: 5, seed: 3) == f)
        #expect(try HyperparameterSearch.stratifiedFolds(labels: labels, k: 5, seed: 4) != f)
        #expect(throws: TrainingError.self) { try HyperparameterSearch.stratifiedFolds(labels: [0, 1], k: 3, seed: 1) }
    }

    @Test("grid and random candidates")
    func candidates() {
        let space = SearchSpace(learningRates: [0.01, 0.1], l2: [0, 1e-3], batchSizes: [8, 16], hiddenWidths: [[], [4]], epochs: [2])
        #expect(HyperparameterSearch(space: space).candidates().count == 16)
        let random = HyperparameterSearch(space: space, strategy: .random(trials: 7), seed: 1).candidates()
        #expect(random.count == 7)
        #expect(random.allSatisfy { (0.01...0.1).contains($0.learningRate) && [8, 16].contains($0.batchSize) })
        #expect(random == HyperparameterSearch(space: space, strategy: .random(trials: 7), seed: 1).candidates())
    }

    @Test("circuits search ranks candidates by mean cross-validated accuracy")
    func searchCommand() throws {
        let r = circuits(["search", "--data", "toy:blobs:120", "--model", "linear;mlp:8", "--lr", "0.0001,0.05",
                          "--l2", "0", "--epochs", "8", "--folds", "3", "--batch-size", "16"])
        #expect(r.code == .success, "\(r.errors)")
        let lines = r.output.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("rank  accuracy (mean ± std)"))
        let means = lines.dropFirst().compactMap { Double($0.split(separator: " ")[1].dropLast()) }
        #expect(means == means.sorted(by: >))
        #expect(lines[1].contains("0.05"))   // the tiny learning rate cannot win
        let json = circuits(["search", "--data", "toy:blobs:60", "--model", "linear", "--lr", "0.05", "--l2", "0", "--epochs", "2", "--folds", "2", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 1)
        #expect((parsed?.first?["foldAccuracies"] as? [Double])?.count == 2)
    }
}

import Foundation
import Testing
@testable import TSNE

/// What scripts/tsne-sklearn-fixture.py writes.
struct SklearnExactFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var y0: [Double]
        var early_exaggeration: Double
        var learning_rate: Double
        var iterations: Int
        var kl: Double
        var tolerance: Double
    }
    var sklearn_version: String
    var n: Int
    var perplexity: Double
    var early_exaggeration_iterations: Int
    var p: [Double]
    var cases: [Case]
}

@Suite("t-SNE against scikit-learn")
struct ReferenceTests {
    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sklearn-exact.json")

    /// Our exact optimiser from the fixture's P and start, with scikit-learn's optimiser details.
    func ours(_ fixture: SklearnExactFixture, _ c: SklearnExactFixture.Case, convention: TSNEConfiguration.OptimizerConvention) throws -> Double {
        let p = try Affinities(dense: fixture.p, count: fixture.n)
        var config = TSNEConfiguration()
        config.method = .exact
        config.initialization = .given(c.y0)
        config.iterations = c.iterations
        config.earlyExaggerationIterations = fixture.early_exaggeration_iterations
        config.earlyExaggeration = c.early_exaggeration
        config.perplexity = fixture.perplexity
        // scikit-learn's learning rate multiplies the whole gradient (with its factor 4); ours the gradient / 4.
        config.learningRate = 4 * c.learning_rate
        config.convention = convention
        return try TSNE.optimize(p, initial: c.y0, configuration: config).klDivergence
    }

    @Test("Exact method from scikit-learn's P and start: KL after 1000 iterations within 1% of method=\"exact\"")
    func matchesScikitLearnExact() throws {
        let fixture = try JSONDecoder().decode(SklearnExactFixture.self, from: Data(contentsOf: Self.fixtureURL))
        #expect(fixture.cases.count == 3)
        for c in fixture.cases {
            let kl = try ours(fixture, c, convention: .scikitLearn)
            let relative = abs(kl - c.kl) / c.kl
            // 1% for the two well-conditioned cases; the chaotic default schedule (see the fixture script:
            // a 1e-12 nudge of the start moves scikit-learn's own result by 12%) gets a loose bound.
            #expect(relative < c.tolerance, "\(c.name): ours \(kl), scikit-learn \(fixture.sklearn_version) \(c.kl)")
        }
    }

    @Test("openTSNE's optimiser details from the same start: close to scikit-learn, but not the same steps")
    func openTSNEConvention() throws {
        let fixture = try JSONDecoder().decode(SklearnExactFixture.self, from: Data(contentsOf: Self.fixtureURL))
        let c = fixture.cases[0]
        let kl = try ours(fixture, c, convention: .openTSNE)
        #expect(abs(kl - c.kl) / c.kl < 0.1, "openTSNE convention \(kl), scikit-learn \(c.kl)")
        #expect(kl != (try ours(fixture, c, convention: .scikitLearn)))
    }
}

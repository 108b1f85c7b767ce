import Foundation
import Testing
@testable import Layers
import Tensor

/// The averages of `ClassificationMetrics` as scikit-learn's `classification_report` states them, and
/// what `LBFGS.minimize` reports about its run.
@Suite("Metrics averages and L-BFGS outcomes")
struct MetricsAndLBFGSTests {
    @Test("Macro averages run over the classes in the labels or predictions (sklearn's unique_labels)")
    func macroOverPresentClasses() throws {
        // Class 0 never occurs: the old mean over all 4 classes gave 0.750 at 100% accuracy.
        let perfect = try ClassificationMetrics(predictions: [1, 2, 3, 3], labels: [1, 2, 3, 3], classes: 4)
        #expect(perfect.macroF1 == 1 && perfect.presentClasses == [1, 2, 3] && perfect.absentClasses == [0])
        // A class only predicted (never true) still counts, with precision 0 — as sklearn's report counts it.
        // y_true = [1, 1, 2, 2], y_pred = [1, 0, 2, 2]: sklearn gives macro P 0.6667, R 0.5, F1 0.5556;
        // weighted P 1.0, R 0.75, F1 0.8333.
        let m = try ClassificationMetrics(predictions: [1, 0, 2, 2], labels: [1, 1, 2, 2], classes: 4)
        #expect(m.presentClasses == [0, 1, 2] && m.absentClasses == [3])
        #expect(abs(m.macroPrecision - 2.0 / 3) < 1e-12 && abs(m.macroRecall - 0.5) < 1e-12 && abs(m.macroF1 - 5.0 / 9) < 1e-12)
        #expect(abs(m.weightedPrecision - 1) < 1e-12 && abs(m.weightedRecall - 0.75) < 1e-12 && abs(m.weightedF1 - 5.0 / 6) < 1e-12)
        #expect(throws: TrainingError.self) { _ = try ClassificationMetrics(predictions: [], labels: [], classes: -1) }
    }

    @Test("L-BFGS reports its iterations and why it stopped")
    func lbfgsOutcome() throws {
        // f(w) = Σ (w_i − i)²: a quadratic L-BFGS solves in a few iterations.
        let w = Variable(Tensor<Double>(zeros: [4]))
        let parameter = Parameter(name: "w", variable: w, isRegularized: false)
        func objective() -> Double {
            var f = 0.0
            w.accumulateGrad { g, add in
                for i in 0..<4 {
                    let d = w.value[flat: i] - Double(i)
                    if add { g[i] += 2 * d } else { g[i] = 2 * d }
                }
            }
            for i in 0..<4 { let d = w.value[flat: i] - Double(i); f += d * d }
            return f
        }
        let solver = try LBFGS<Double>(maxIterations: 100, gradientTolerance: 1e-9)
        let f = try solver.minimize([parameter], objective: objective)
        #expect(f < 1e-15 && solver.iterations < 10 && solver.stopReason != .iterationLimit)
        #expect(solver.evaluations >= solver.iterations + 1)
        let capped = try LBFGS<Double>(maxIterations: 1)
        w.value = Tensor(zeros: [4])
        _ = try capped.minimize([parameter], objective: objective)
        #expect(capped.iterations == 1 && capped.stopReason == .iterationLimit)
        #expect(throws: TrainingError.self) { _ = try LBFGS<Double>(maxIterations: 0) }
    }
}

import Foundation

/// One measured figure of the benchmark suite, printed as a table row and as a JSON object
/// `{"suite", "name", "value", "unit", "baseline", "ratio"}`.
struct BenchFigure: Codable, Sendable {
    var suite: String
    var name: String
    var value: Double
    var unit: String
    /// What `value` is compared with, measured in the same run (nil when it stands alone).
    var baseline: Double? = nil
    /// Name of the baseline (e.g. "torch", "raw cblas_sgemm", "unrolled scalar").
    var baselineName: String? = nil
    /// value / baseline for throughputs (higher is better).
    var ratio: Double? = nil
    /// Free-form context: threads, batch, percent of peak.
    var note: String? = nil
    /// The goal this figure is held to, in words ("ratio ≥ 1.20"), when the issue sets one.
    var target: String? = nil
    /// Whether `target` is met (nil: not judged, because the baseline could not be measured).
    var pass: Bool? = nil
    /// How far a missed target is, in words (nil when it passes or there is no target).
    var gap: String? = nil
    /// Why the figure's samples are not to be trusted (spread, cores not available), nil when clean.
    var noise: String? = nil
}

extension BenchFigure {
    /// Holds the figure to `ratio ≥ minimum` and records pass/fail and, when it fails, the gap.
    ///
    /// Every ratio in the suite is oriented so that above 1 means "ours is better", so one rule serves
    /// throughputs, fractions of peak and times alike.
    mutating func requireRatio(atLeast minimum: Double, _ wording: String? = nil) {
        target = wording ?? "ratio ≥ \(String(format: "%.2f", minimum))"
        guard let ratio else {
            // A peer that is not installed is not our failure: the target is left unjudged (pass nil).
            pass = nil
            gap = "not judged: no baseline measured"
            return
        }
        pass = ratio >= minimum
        gap = pass! ? nil : String(format: "short by %.2f (needs %.0f%% more)", minimum - ratio, (minimum / ratio - 1) * 100)
    }
}

/// Wall-clock seconds of `body`, monotonic.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Median of `repetitions` timings of `body` after `warmup` untimed runs.
func medianSeconds(warmup: Int = 1, repetitions: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<repetitions { times.append(try seconds(body)) }
    times.sort()
    return times[times.count / 2]
}

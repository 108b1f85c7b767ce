// The guide's learning loop (per-example SGD, log the training accuracy every 25 iterations), shared by
// the SVM and the 2-layer net, and the seed survey that measures how often the SVM separates the data.

/// A 2-D binary classifier the guide trains one example at a time.
public protocol GuideClassifier: AnyObject {
    /// One SGD step on one example with label +1 or −1.
    func learnFrom(_ px: Double, _ py: Double, label: Int)
    /// Fraction of the points classified correctly.
    func accuracy(on points: [[Double]], labels: [Int]) -> Double
}

extension SVM: GuideClassifier {}

/// One line of the guide's training log.
public struct AccuracyLogLine: Sendable, Equatable {
    /// The iteration after whose update the accuracy was measured (0-based, as the guide's `iter`).
    public var iteration: Int
    /// Training accuracy after that iteration's update.
    public var accuracy: Double
    /// The line as the guide prints it.
    public var text: String { "training accuracy at iteration \(iteration): \(accuracy)" }
}

extension GuideClassifier {
    /// The guide's learning loop with an explicit sample order: iteration `t` learns from example
    /// `order[t]`; after iteration `t` the accuracy is logged when `t % logEvery == 0`.
    @discardableResult
    public func train(
        on points: [[Double]], labels: [Int], order: [Int], logEvery: Int = 25
    ) -> [AccuracyLogLine] {
        var log: [AccuracyLogLine] = []
        for (t, i) in order.enumerated() {
            learnFrom(points[i][0], points[i][1], label: labels[i])
            if logEvery > 0 && t % logEvery == 0 {
                log.append(AccuracyLogLine(iteration: t, accuracy: accuracy(on: points, labels: labels)))
            }
        }
        return log
    }

    /// The guide's learning loop: each iteration picks a random data point (with replacement, as
    /// `Math.floor(Math.random() * data.length)`) from `rng`.
    @discardableResult
    public func train(
        on points: [[Double]], labels: [Int], iterations: Int = 400, logEvery: Int = 25, rng: inout GatesRNG
    ) -> [AccuracyLogLine] {
        let order = randomSampleOrder(count: points.count, iterations: iterations, rng: &rng)
        return train(on: points, labels: labels, order: order, logEvery: logEvery)
    }
}

/// `iterations` indices drawn uniformly with replacement from `0..<count`.
public func randomSampleOrder(count: Int, iterations: Int, rng: inout GatesRNG) -> [Int] {
    (0..<iterations).map { _ in rng.index(below: count) }
}

/// How often the guide's SVM (its start, its step, its six points, random sample order) reaches a
/// given training accuracy, measured over many seeds.
public struct SVMSeedSurvey: Sendable {
    /// Number of seeds (independent sample orders) run.
    public var seeds: Int
    /// The iterations at which accuracy is read (the guide's log convention: after that iteration's
    /// update, 0-based).
    public var checkpoints: [Int]
    /// The numbers of correctly classified points asked about (of 6).
    public var targets: [Int]
    /// `atCheckpoint[c][t]`: fraction of seeds whose accuracy *at* iteration `checkpoints[c]` is at
    /// least `targets[t]`/6.
    public var atCheckpoint: [[Double]]
    /// `byCheckpoint[c][t]`: fraction of seeds that logged at least `targets[t]`/6 on some line of the
    /// guide's log (every 25 iterations) up to and including `checkpoints[c]`.
    public var byCheckpoint: [[Double]]

    /// The survey as a markdown table.
    public var markdownTable: String {
        var lines = ["| iteration | " + targets.map { "≥ \($0)/6 at it" }.joined(separator: " | ") + " | "
            + targets.map { "≥ \($0)/6 by it" }.joined(separator: " | ") + " |"]
        lines.append("|---:|" + String(repeating: "---:|", count: 2 * targets.count))
        for (c, it) in checkpoints.enumerated() {
            let cells = (atCheckpoint[c] + byCheckpoint[c]).map { pct($0) }
            lines.append("| \(it) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private func pct(_ f: Double) -> String {
        let tenths = (f * 1000).rounded() / 10
        return "\(tenths)%"
    }
}

/// Trains the guide's SVM once per seed in `seeds` (seed `s` draws the sample order from
/// `GatesRNG(seed: s)`) and tabulates how many reach 4/6, 5/6, 6/6 at and by each checkpoint.
public func surveyGuideSVM(
    seeds: Range<UInt64>, checkpoints: [Int] = [100, 400, 1000], targets: [Int] = [4, 5, 6]
) -> SVMSeedSurvey {
    let points = GuideData.points, labels = GuideData.labels
    let last = checkpoints.max() ?? 0
    var at = [[Int]](repeating: [Int](repeating: 0, count: targets.count), count: checkpoints.count)
    var by = at
    for seed in seeds {
        var rng = GatesRNG(seed: seed)
        let svm = SVM()
        let log = svm.train(on: points, labels: labels, iterations: last + 1, logEvery: 25, rng: &rng)
        var bestSoFar = 0
        var line = 0
        for (c, it) in checkpoints.enumerated() {
            while line < log.count && log[line].iteration <= it {
                bestSoFar = max(bestSoFar, correctCount(log[line].accuracy, of: points.count))
                line += 1
            }
            // The checkpoint's own accuracy, measured even if it is not a multiple of 25.
            let now: Int
            if let exact = log.first(where: { $0.iteration == it }) {
                now = correctCount(exact.accuracy, of: points.count)
            } else {
                let replay = SVM()
                var r = GatesRNG(seed: seed)
                replay.train(on: points, labels: labels, iterations: it + 1, logEvery: 0, rng: &r)
                now = correctCount(replay.accuracy(on: points, labels: labels), of: points.count)
            }
            for (t, k) in targets.enumerated() {
                if now >= k { at[c][t] += 1 }
                if max(bestSoFar, now) >= k { by[c][t] += 1 }
            }
        }
    }
    let n = Double(seeds.count)
    return SVMSeedSurvey(
        seeds: seeds.count, checkpoints: checkpoints, targets: targets,
        atCheckpoint: at.map { $0.map { Double($0) / n } }, byCheckpoint: by.map { $0.map { Double($0) / n } })
}

private func correctCount(_ accuracy: Double, of n: Int) -> Int { Int((accuracy * Double(n)).rounded()) }

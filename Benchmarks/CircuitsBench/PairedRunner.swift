import CBLAS
import Foundation
import Tensor

// Comparisons against a peer, symmetric by construction (issue 19): every sample of every side — ours
// through `CircuitsBench --worker`, a peer through its Python script — runs in a fresh process of its
// own, the sides alternate within each round, and every multi-thread sample is bracketed by a check that
// the machine's cores are all available.
//
// Why the check. On this 2-vCPU virtual machine the second core is intermittently taken away: a plain
// 512³ SGEMM at two threads runs 1.9× its one-thread speed most of the time, but in about one window in
// five (windows of ~5 s, measured over 90 s: scaling 1.0–1.5×) it does not. A two-thread sample taken in
// such a window is worth half, whichever side it belongs to; the earlier suite, which measured both
// thread counts in one process, could not tell that apart from a slow step. Fresh processes make each
// figure independent of what ran before; the check makes windows of lost cores visible and retried.

/// How well `threads` cores are available right now: the GFLOP/s of a 384³ SGEMM at `threads` threads
/// over its GFLOP/s at one thread (≈ threads when every core is ours). Costs about 20 ms.
func coreScaling(threads: Int) -> Double {
    guard threads > 1 else { return 1 }
    let n: Int32 = 384
    let count = Int(n) * Int(n)
    let a = UnsafeMutablePointer<Float>.allocate(capacity: count), b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for i in 0..<count { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    func rate(_ t: Int) -> Double {
        BLAS.threads = t
        let call = { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n) }
        call()
        var best = 0.0
        for _ in 0..<3 { best = max(best, 1 / seconds { call(); call() }) }
        return best
    }
    return rate(threads) / rate(1)
}

/// The smallest scaling that counts as "all cores available" for `threads` threads.
func fullScaling(threads: Int) -> Double { threads <= 1 ? 0 : 0.8 * Double(threads) }

/// A worker that produced no figures: the suite cannot compare anything without our side.
struct WorkerFailure: Error, CustomStringConvertible {
    var description: String
}

/// One side of a comparison: a program and its arguments, run once per sample.
struct Side {
    var name: String
    var executable: String
    var arguments: [String]
    var timeout: Double = 300
}

/// The outcome of a paired measurement: per side, every kept sample's records, and what the core check
/// saw (scalings and retries), for the figure's notes.
struct PairedResult {
    var records: [String: [[PeerRecord]]] = [:]
    /// Why a side has no samples (peer missing, failed), by side.
    var unavailable: [String: String] = [:]
    /// Samples taken again because the core check failed before or after them.
    var retries = 0
    /// Samples kept although the cores never became fully available (after `maxRetries`).
    var contaminated = 0
    var lowestScaling = Double.infinity

    /// The values of side `name` for the records that match `filter`, one per kept sample.
    func values(_ name: String, where filter: (PeerRecord) -> Bool = { _ in true }) -> [Double] {
        (records[name] ?? []).compactMap { sample in sample.first(where: filter)?.value }
    }
}

/// Runs the sides alternately — round 1: A, B, C; round 2: B, C, A; … (the order rotates, so no side
/// always follows another) — each sample in a fresh process. With `threads` > 1 each sample is preceded
/// and followed by `coreScaling`; a sample whose check fails is taken again (up to `maxRetries` times,
/// waiting for the window to pass), and one kept regardless is counted as contaminated.
func runPaired(_ sides: [Side], rounds: Int, threads: Int, report: Report, maxRetries: Int = 4,
               label: String) -> PairedResult {
    var result = PairedResult()
    let required = fullScaling(threads: threads)
    for round in 0..<rounds {
        for k in 0..<sides.count {
            let side = sides[(k + round) % sides.count]
            if result.unavailable[side.name] != nil { continue }
            var attempt = 0
            while true {
                var before = coreScaling(threads: threads)
                var waited = 0
                while before < required && waited < 10 {   // a window of lost cores: wait it out (≤ 5 s)
                    usleep(500_000)
                    waited += 1
                    before = coreScaling(threads: threads)
                }
                guard let run = runCapturing(side.executable, side.arguments, timeout: side.timeout) else {
                    result.unavailable[side.name] = "could not start \(side.executable)"
                    break
                }
                let lastError = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
                if run.timedOut || run.status != 0 {
                    result.unavailable[side.name] = run.timedOut ? "timed out after \(Int(side.timeout)) s"
                        : run.status == 3 ? (lastError.isEmpty ? "peer not available" : lastError) : "exit status \(run.status): \(lastError)"
                    report.say("  (\(label): \(side.name) skipped: \(result.unavailable[side.name]!))")
                    break
                }
                let after = coreScaling(threads: threads)
                result.lowestScaling = min(result.lowestScaling, before, after)
                let records = run.stdout.split(separator: "\n").compactMap { line -> PeerRecord? in
                    guard let data = line.data(using: .utf8),
                          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                    return PeerRecord(fields: object)
                }
                let clean = before >= required && after >= required
                if clean || attempt >= maxRetries {
                    if !clean { result.contaminated += 1 }
                    result.records[side.name, default: []].append(records)
                    break
                }
                attempt += 1
                result.retries += 1
                report.say(String(format: "  (%@: %@ sample taken again: cores at %.2f× before, %.2f× after, need %.1f×)",
                                  label, side.name, before, after, required))
            }
        }
    }
    return result
}

/// The relative spread (max − min) / median of samples (0 for fewer than two).
func spread(_ samples: [Double]) -> Double {
    guard samples.count >= 2, let lo = samples.min(), let hi = samples.max() else { return 0 }
    return (hi - lo) / median(samples)
}

extension BenchFigure {
    /// The self-check: samples of either side that spread by more than 10% around their median, or a
    /// sample kept in a window of lost cores, make the figure noisy — said in its notes, and a missed
    /// target is then reported as "noisy" (not judged) rather than as a clean "not met".
    mutating func judgeNoise(ours: [Double], theirs: [Double], contaminated: Int = 0) {
        let s = max(spread(ours), spread(theirs))
        var reasons: [String] = []
        if s > 0.10 { reasons.append(String(format: "samples spread %.0f%% (> 10%%)", s * 100)) }
        if contaminated > 0 { reasons.append("\(contaminated) sample(s) kept without all cores available") }
        guard !reasons.isEmpty else { return }
        noise = reasons.joined(separator: "; ")
        note = (note.map { $0 + "; " } ?? "") + "NOISY: " + noise!
        if pass == false {
            pass = nil
            gap = "noisy run, not judged: \(noise!)"
        }
    }
}

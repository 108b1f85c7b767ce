import Foundation
import Datasets
import Tensor

/// What the suites share: options, the report, the measured GEMM peak and the data, each loaded or
/// measured once per run.
final class BenchContext {
    let options: BenchOptions
    let report: Report
    let repoRoot: String?
    let peerPython: String?
    /// GFLOP/s of raw `cblas_sgemm` at one thread, the best over the sizes measured (nil until measured).
    var perCorePeak: Double? = nil
    private var fashion: FashionMNIST?? = nil

    init(options: BenchOptions, report: Report, repoRoot: String?, peerPython: String?) {
        self.options = options
        self.report = report
        self.repoRoot = repoRoot
        self.peerPython = peerPython
    }

    var quick: Bool { options.quick }

    /// This binary, for running workers (`CircuitsBench --worker NAME …`) as fresh processes.
    var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Our side of a paired measurement: worker `name` with `arguments`, named "circuits".
    func worker(_ name: String, _ arguments: [String], timeout: Double = 300) -> Side {
        Side(name: "circuits", executable: executable, arguments: ["--worker", name] + arguments, timeout: timeout)
    }

    /// Fashion-MNIST through `Datasets.IDXReader` (nil, with a message, when it cannot be read).
    var fashionMNIST: FashionMNIST? {
        if let loaded = fashion { return loaded }
        let dir = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist"
        do {
            let start = DispatchTime.now().uptimeNanoseconds
            let (train, test) = try IDXReader.readDirectory(dir)
            let data = FashionMNIST(directory: dir, trainFeatures: train.features, trainLabels: train.labels,
                                    testFeatures: test.features, testLabels: test.labels)
            report.say(String(format: "(read Fashion-MNIST from %@: %d training, %d test images in %.1f s)",
                              dir, train.count, test.count, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            fashion = .some(data)
        } catch {
            report.say("Fashion-MNIST not readable in \(dir): \(error) — figures that need it are skipped")
            fashion = .some(nil)
        }
        return fashion!
    }

    /// Probes the one-thread raw sgemm again and keeps the larger peak. The gemm suite may have run
    /// minutes earlier under a different load; noise only lowers a peak, so the maximum of both is the
    /// better estimate, and the fraction of peak is not flattered by a peak taken in a busy moment.
    func refreshPeak() {
        let saved = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = saved }
        var best = perCorePeak ?? 0
        for shape in GEMMShape.peakProbe {
            best = max(best, measureRawGFLOPs(shape, minimumSeconds: quick ? 0.02 : 0.05, repetitions: quick ? 3 : 5))
        }
        perCorePeak = best
    }

    /// The per-core peak, measured now (raw sgemm at one thread) if the gemm suite has not run.
    func peak() -> Double {
        if let p = perCorePeak { return p }
        let saved = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = saved }
        var best = 0.0
        for shape in GEMMShape.peakProbe {
            best = max(best, measureRawGFLOPs(shape, minimumSeconds: quick ? 0.02 : 0.05, repetitions: quick ? 3 : 5))
        }
        perCorePeak = best
        report.say(String(format: "(per-core GEMM peak measured for the mlp figures: %.1f GFLOP/s)", best))
        return best
    }
}

/// Fashion-MNIST images as [n, 784] Float rows scaled to [0, 1], with their labels.
struct FashionMNIST {
    var directory: String
    var trainFeatures: Tensor<Float>
    var trainLabels: [Int]
    var testFeatures: Tensor<Float>
    var testLabels: [Int]
}

/// Median of a sample list (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

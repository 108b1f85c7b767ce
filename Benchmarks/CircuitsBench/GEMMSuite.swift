import CBLAS
import Foundation
import Tensor

// GEMM roofline: the same products through `Tensor` (value-returning `matmul` and the training loop's
// `Tensor.gemm(into:)`) and through a bare `cblas_sgemm` on raw buffers, in the same run and interleaved,
// so the ratio isolates what the Tensor layer adds (shape checks, 32-bit size checks, output allocation
// for matmul). Target: ≥ 0.95 of raw.

/// One product C[m×n] = op(A)·op(B) with its stored operand layouts.
struct GEMMShape {
    var label: String
    var m: Int, n: Int, k: Int
    var transposeLeft = false, transposeRight = false

    /// Stored shape of A: [k, m] when it is read transposed.
    var aShape: [Int] { transposeLeft ? [k, m] : [m, k] }
    var bShape: [Int] { transposeRight ? [n, k] : [k, n] }
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    static func square(_ s: Int) -> GEMMShape { GEMMShape(label: "\(s)³", m: s, n: s, k: s) }

    /// The training step's three big products at batch 128 (784-256-10 net).
    static let training: [GEMMShape] = [
        GEMMShape(label: "X·W1 [128×784]·[784×256]", m: 128, n: 256, k: 784),
        // Xᵀ·dH for dW1: X is stored [128×784] and read transposed.
        GEMMShape(label: "Xᵀ·dH [784×128]·[128×256] transposeLeft", m: 784, n: 256, k: 128, transposeLeft: true),
        // dH·W1ᵀ, the input gradient a deeper net would need: W1 stored [784×256], read transposed.
        GEMMShape(label: "dH·W1ᵀ [128×256]·[256×784] transposeRight", m: 128, n: 784, k: 256, transposeRight: true),
    ]

    static let all: [GEMMShape] = [128, 256, 512, 1024].map(square) + training

    /// What `BenchContext.peak()` measures when the gemm suite did not run: the sizes that usually
    /// reach the peak.
    static let peakProbe: [GEMMShape] = [square(512), square(1024), training[0]]
}

/// Deterministic fill in [-1, 1): the values do not matter to the timing, but NaNs or denormals would.
private func filled(_ count: Int, seed: Int) -> [Float] {
    (0..<count).map { i in Float((i &* 7919 &+ seed &* 104_729) % 2000) / 1000 - 1 }
}

/// Calls needed so that one timed sample lasts at least `minimumSeconds` and holds at least 5 calls
/// (timer resolution, the first-call thread wake-up and one call's page faults then stop mattering; with
/// 2 calls per sample a 1024³ product swung ±0.03 run to run).
private func callsPerSample(_ body: () -> Void, minimumSeconds: Double) -> Int {
    body()
    let one = max(seconds(body), 1e-7)
    return max(5, Int((minimumSeconds / one).rounded(.up)))
}

/// GFLOP/s of a bare `cblas_sgemm` on freshly filled buffers, best of `repetitions` samples.
func measureRawGFLOPs(_ s: GEMMShape, minimumSeconds: Double, repetitions: Int) -> Double {
    let a = filled(s.m * s.k, seed: 1), b = filled(s.k * s.n, seed: 2)
    var c = [Float](repeating: 0, count: s.m * s.n)
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                let c = pc.baseAddress!
                let raw = { rawSGEMM(s, pa.baseAddress!, pb.baseAddress!, c) }
                let calls = callsPerSample(raw, minimumSeconds: minimumSeconds)
                // The best sample, not the median: a peak is what the core can do, and load from other
                // processes only ever takes away from it.
                let t = (0..<repetitions).map { _ in seconds { for _ in 0..<calls { raw() } } }.min()!
                return s.flops * Double(calls) / t / 1e9
            }
        }
    }
}

/// The baseline: one `cblas_sgemm`, row-major, leading dimensions = stored row lengths.
@inline(__always)
private func rawSGEMM(_ s: GEMMShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
    cblas_sgemm(CblasRowMajor, s.transposeLeft ? CblasTrans : CblasNoTrans, s.transposeRight ? CblasTrans : CblasNoTrans,
                Int32(s.m), Int32(s.n), Int32(s.k), 1, a, Int32(s.aShape[1]), b, Int32(s.bShape[1]), 0, c, Int32(s.n))
}

func gemmSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let repetitions = quick ? 3 : 7
    let minimumSeconds = quick ? 0.01 : 0.04
    var figures: [BenchFigure] = []
    var peak = 0.0
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    // The peak is a one-thread figure even when --threads asks for another count.
    let threadCounts = context.options.threads.contains(1) ? context.options.threads : [1] + context.options.threads
    for threads in threadCounts {
        BLAS.threads = threads
        let reported = context.options.threads.contains(threads)
        for s in GEMMShape.all {
            let a = try Tensor<Float>(filled(s.m * s.k, seed: 1), shape: s.aShape)
            let b = try Tensor<Float>(filled(s.k * s.n, seed: 2), shape: s.bShape)
            var c = Tensor<Float>(zeros: [s.m, s.n])
            // Raw buffers of their own, so the baseline shares nothing with the Tensor path.
            let rawA = a.scalars, rawB = b.scalars
            var rawC = [Float](repeating: 0, count: s.m * s.n)
            var sink: Float = 0
            var bestRaw = 0.0
            var pairedRatios: (matmul: Double, into: Double) = (0, 0)
            let times: (raw: Double, matmul: Double, into: Double) = try rawA.withUnsafeBufferPointer { pa in
                try rawB.withUnsafeBufferPointer { pb in
                    try rawC.withUnsafeMutableBufferPointer { pc in
                        let rc = pc.baseAddress!
                        let raw = { rawSGEMM(s, pa.baseAddress!, pb.baseAddress!, rc) }
                        let calls = callsPerSample(raw, minimumSeconds: minimumSeconds)
                        let matmul = {
                            let p = try a.matmul(b, transposeLeft: s.transposeLeft, transposeRight: s.transposeRight)
                            sink += p[flat: 0]
                        }
                        let into = {
                            try Tensor.gemm(a, b, transposeLeft: s.transposeLeft, transposeRight: s.transposeRight, into: &c)
                        }
                        try matmul(); try into()   // warm-up of the Tensor paths
                        // Interleaved: a burst of load from another process hits all three alike.
                        var tr: [Double] = [], tm: [Double] = [], ti: [Double] = []
                        for _ in 0..<repetitions {
                            tr.append(seconds { for _ in 0..<calls { raw() } })
                            tm.append(try seconds { for _ in 0..<calls { try matmul() } })
                            ti.append(try seconds { for _ in 0..<calls { try into() } })
                        }
                        let perCall = { (t: [Double]) in median(t) / Double(calls) }
                        bestRaw = tr.min()! / Double(calls)
                        // Each repetition times raw and Tensor back to back; the median of those paired
                        // ratios cancels load that drifts over the run better than a ratio of medians.
                        pairedRatios = (median(zip(tr, tm).map { $0 / $1 }), median(zip(tr, ti).map { $0 / $1 }))
                        return (perCall(tr), perCall(tm), perCall(ti))
                    }
                }
            }
            if sink.isNaN { context.report.say("(unexpected NaN in the gemm output)") }
            let rawGF = s.flops / times.raw / 1e9
            // The peak takes the best raw sample (see measureRawGFLOPs); the ratios compare medians.
            if threads == 1 { peak = max(peak, s.flops / bestRaw / 1e9) }
            guard reported else { continue }
            for (path, t, ratio) in [("matmul", times.matmul, pairedRatios.matmul), ("gemm(into:)", times.into, pairedRatios.into)] {
                var f = BenchFigure(suite: "gemm", name: "gemm \(s.label) \(path) threads=\(threads)",
                                    value: s.flops / t / 1e9, unit: "GFLOP/s", baseline: rawGF,
                                    baselineName: "raw cblas_sgemm", ratio: ratio,
                                    note: "median of \(repetitions) paired raw/Tensor samples")
                f.requireRatio(atLeast: 0.95, "≥ 0.95 of raw")
                figures.append(f)
            }
        }
    }
    context.perCorePeak = peak
    figures.append(BenchFigure(suite: "gemm", name: "gemm per-core peak (raw sgemm, 1 thread, best size and sample)",
                               value: peak, unit: "GFLOP/s",
                               note: "the denominator of the mlp suite's fraction of peak"))
    return figures
}

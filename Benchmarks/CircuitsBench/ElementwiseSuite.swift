import Foundation
import Tensor

// Elementwise throughput on 1M floats: the convenient value-returning Tensor operations (which allocate
// their output) against a plain loop over an UnsafeMutableBufferPointer writing into a buffer allocated
// once — the best a hand-written loop can do. Target: Tensor within 2× (ratio ≥ 0.5).

func elementwiseSuite(_ context: BenchContext) throws -> [BenchFigure] {
    let quick = context.quick
    let rows = 1024, cols = 1024, n = rows * cols
    var rng = SeededRNG(seed: 7)
    let x = Tensor<Float>.randomNormal([rows, cols], using: &rng)
    let rowVector = Tensor<Float>.randomNormal([cols], using: &rng)
    let input = x.scalars, bias = rowVector.scalars
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
    output.initialize(repeating: 0)
    defer { output.deallocate() }
    // Many samples of 40 calls (~4 ms for the memory-bound cases): on a shared machine a single sample can
    // land on a burst of someone else's work, and fewer calls per sample measured those cases up to 2×
    // slower on both sides. The libm loops for σ and tanh take 3–17 ms a call, so they get 3.
    let repetitions = quick ? 7 : 15
    var sink: Float = 0

    // Each case: the Tensor expression and the loop computing the same scalars.
    let cases: [(name: String, tensor: () throws -> Tensor<Float>, plain: () -> Void)] = [
        ("map { 2x + 1 }", { x.map { 2 * $0 + 1 } }, {
            input.withUnsafeBufferPointer { p in for i in 0..<n { output[i] = 2 * p[i] + 1 } }
        }),
        ("+ row vector (broadcast [1024,1024] + [1024])", { try x + rowVector }, {
            input.withUnsafeBufferPointer { p in
                bias.withUnsafeBufferPointer { b in
                    for r in 0..<rows { let base = r * cols; for c in 0..<cols { output[base + c] = p[base + c] + b[c] } }
                }
            }
        }),
        ("relu()", { x.relu() }, {
            input.withUnsafeBufferPointer { p in for i in 0..<n { output[i] = p[i] > 0 ? p[i] : 0 } }
        }),
        // σ and tanh: the loops call libm's expf / tanhf, as a hand-written Swift loop would; Tensor's
        // Float path runs the vectorized kernels of CKernels (agreeing to 1e-6, checked below).
        ("sigmoid()", { x.sigmoid() }, {
            input.withUnsafeBufferPointer { p in for i in 0..<n { output[i] = 1 / (1 + Foundation.exp(-p[i])) } }
        }),
        ("tanh()", { x.tanh() }, {
            input.withUnsafeBufferPointer { p in for i in 0..<n { output[i] = Foundation.tanh(p[i]) } }
        }),
    ]
    var figures: [BenchFigure] = []
    for c in cases {
        // Check they agree, so the comparison is of equal work.
        let t = try c.tensor()
        c.plain()
        let mismatch = t.withUnsafeBufferPointer { p in (0..<n).contains { Swift.abs(p[$0] - output[$0]) > 1e-6 } }
        var tensorTimes: [Double] = [], plainTimes: [Double] = []
        for _ in 0..<2 { _ = try c.tensor(); c.plain() }   // warm-up
        let slower = max(try seconds { _ = try c.tensor() }, seconds { c.plain() })
        let callsPerSample = slower > 0.001 ? (quick ? 2 : 3) : (quick ? 20 : 40)
        for _ in 0..<repetitions {
            tensorTimes.append(try seconds { for _ in 0..<callsPerSample { sink += try c.tensor()[flat: 0] } })
            plainTimes.append(seconds { for _ in 0..<callsPerSample { c.plain(); sink += output[0] } })
        }
        let tTensor = median(tensorTimes) / Double(callsPerSample), tPlain = median(plainTimes) / Double(callsPerSample)
        var f = BenchFigure(suite: "elementwise", name: "elementwise \(c.name) 1M floats",
                            value: Double(n) / tTensor, unit: "elem/s", baseline: Double(n) / tPlain,
                            baselineName: "plain loop", ratio: tPlain / tTensor,
                            note: String(format: "%.0f µs vs %.0f µs; Tensor allocates its output, the loop reuses one", tTensor * 1e6, tPlain * 1e6)
                                + (mismatch ? "; RESULTS DIFFER" : ""))
        f.requireRatio(atLeast: 0.5, "within 2× of the loop (ratio ≥ 0.5)")
        figures.append(f)
    }
    if sink.isNaN { context.report.say("(NaN in elementwise outputs)") }
    return figures
}

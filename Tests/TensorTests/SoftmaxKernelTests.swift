import Testing
import Foundation
@testable import Tensor

// Softmax's exponentials go through CKernels' vectorized loops in Float and Double (activations.c,
// exp64.c), which also return the row's sum as eight partial sums. These tests hold them to libm.
@Suite("Softmax exponential kernels")
struct SoftmaxKernelTests {
    @Test("Double e^(x − shift) within 2 ulp of libm over [−708, 709.78]; the flush below −708, +∞ above 709.78, NaN kept; the sum is the sum")
    func doubleExponentials() {
        var xs: [Double] = stride(from: -708.0, through: 709.78, by: 0.0731).map { $0 }
        xs += [0, -0.0, 1e-300, -1e-300, 0.34657359, -0.34657359, 1, -1, 709.78, 709.7827, -707.99]
        let y = UnsafeMutablePointer<Double>.allocate(capacity: xs.count)
        defer { y.deallocate() }
        let sum = xs.withUnsafeBufferPointer { softmaxExponentials($0.baseAddress!, shift: 0, into: y, count: xs.count) }
        var worst = 0.0
        for (i, v) in xs.enumerated() {
            let e = Foundation.exp(v)
            worst = max(worst, Swift.abs(y[i] - e) / e.ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(sum == .infinity)   // e^709 twice overflows
        // The returned sum over a softmax-like row (arguments ≤ 0): the outputs' sum up to rounding.
        let row: [Double] = (0..<67).map { -Double($0) * 0.37 }
        let r = UnsafeMutablePointer<Double>.allocate(capacity: row.count)
        defer { r.deallocate() }
        let rowSum = row.withUnsafeBufferPointer { softmaxExponentials($0.baseAddress!, shift: 0, into: r, count: row.count) }
        let reference = (0..<row.count).reduce(0.0) { $0 + r[$1] }
        #expect(Swift.abs(rowSum - reference) <= 4 * reference.ulp, "sum \(rowSum), reference \(reference)")
        // A shift moves the argument: e^(1 − 3) = e^−2.
        let special: [Double] = [-708.5, -1000, 709.8, .infinity, -.infinity, .nan, 1]
        let z = UnsafeMutablePointer<Double>.allocate(capacity: special.count)
        defer { z.deallocate() }
        _ = special.withUnsafeBufferPointer { softmaxExponentials($0.baseAddress!, shift: 0, into: z, count: special.count) }
        #expect(z[0] == 0 && z[1] == 0 && z[2] == .infinity && z[3] == .infinity && z[4] == 0 && z[5].isNaN)
        var one = 1.0, out = 0.0
        let s = softmaxExponentials(&one, shift: 3, into: &out, count: 1)
        #expect(Swift.abs(out - Foundation.exp(-2.0)) <= Foundation.exp(-2.0).ulp && s == out)
    }

    @Test("Float e^(x − shift) within 1 ulp, and its returned sum matches the outputs' sum")
    func floatExponentials() {
        let xs: [Float] = stride(from: -87.0, through: 0.0, by: 0.0173).map { Float($0) } + [0, -0.0, 1e-30]
        let y = UnsafeMutablePointer<Float>.allocate(capacity: xs.count)
        defer { y.deallocate() }
        let sum = xs.withUnsafeBufferPointer { softmaxExponentials($0.baseAddress!, shift: 0, into: y, count: xs.count) }
        var worst = 0.0, reference = 0.0
        for (i, v) in xs.enumerated() {
            let e = Foundation.exp(Double(v))
            reference += Double(y[i])
            worst = max(worst, Swift.abs(Double(y[i]) - e) / Double(Float(e).ulp))
        }
        #expect(worst <= 1, "worst error \(worst) ulp")
        #expect(Swift.abs(Double(sum) - reference) <= 1e-5 * reference)
    }

    @Test("On a tape: loss and ∂L/∂s = (softmax − onehot)/n as computed with libm, odd widths (1, 7, 8, 9, 65 classes), written and accumulated")
    func tapeGradientMatchesLibm() throws {
        var rng = SeededRNG(seed: 5)
        for classes in [1, 7, 8, 9, 65] {
            let n = 5
            let scores = Tensor<Double>.randomNormal([n, classes], std: 3, using: &rng)
            let labels = (0..<n).map { ($0 * 3) % classes }
            for accumulate in [false, true] {
                let tape = Tape<Double>()
                let x = tape.variable(scores)
                var loss = try x.softmaxCrossEntropy(labels: labels)
                // Twice through the same scores: the second backward adds onto the first's gradient.
                if accumulate { loss = try loss + x.softmaxCrossEntropy(labels: labels) }
                try tape.backward(loss)
                let g = try #require(x.grad).scalars
                var referenceLoss = 0.0
                for r in 0..<n {
                    let row = (0..<classes).map { scores[r, $0] }
                    let mx = row.max()!
                    let total = row.reduce(0) { $0 + Foundation.exp($1 - mx) }
                    referenceLoss += Foundation.log(total) + mx - row[labels[r]]
                    for c in 0..<classes {
                        let d = (Foundation.exp(row[c] - mx) / total - (c == labels[r] ? 1 : 0)) / Double(n) * (accumulate ? 2 : 1)
                        #expect(Swift.abs(g[r * classes + c] - d) <= 1e-15, "classes \(classes) [\(r), \(c)]: \(g[r * classes + c]) vs \(d)")
                    }
                }
                referenceLoss = referenceLoss / Double(n) * (accumulate ? 2 : 1)
                #expect(Swift.abs(loss.value.scalars[0] - referenceLoss) <= 1e-13 * Swift.max(1, referenceLoss))
            }
        }
    }
}

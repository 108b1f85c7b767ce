import Foundation
import Testing
import Tensor
@testable import TSNE

@Suite("t-SNE gradient")
struct GradientTests {
    /// KL(P‖Q) summed straight from its definition over the dense matrices, in Double.
    func definitionKL(_ p: Affinities, _ y: [Double]) -> Double {
        let n = p.count
        var z = 0.0
        for i in 0..<n { for j in 0..<n where j != i {
            let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
            z += 1 / (1 + dx * dx + dy * dy)
        } }
        var kl = 0.0
        for i in 0..<n {
            for e in p.rowStart[i]..<p.rowStart[i + 1] {
                let j = Int(p.columns[e]), pij = Double(p.values[e])
                if pij == 0 { continue }
                let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
                let q = 1 / (1 + dx * dx + dy * dy) / z
                kl += pij * log(pij / q)
            }
        }
        return kl
    }

    @Test("Exact gradient matches fourth-order central differences of KL(P‖Q) in Double")
    func exactGradientAgainstCentralDifferences() throws {
        let (x, _) = blobs(perCluster: 10, clusters: 3, dimension: 5)
        let p = try affinities(x, perplexity: 5)
        let y = spreadPositions(count: 30, scale: 1.5)
        let (kl, gradient) = try TSNE.exactGradient(p, positions: y)
        #expect(abs(kl - definitionKL(p, y)) < 1e-9 * max(1, abs(kl)))
        let h = 1e-4
        var worst = 0.0
        for e in 0..<y.count {
            func at(_ offset: Double) -> Double { var z = y; z[e] += offset; return definitionKL(p, z) }
            let numerical = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
            let rel = abs(gradient[e] - numerical) / max(abs(gradient[e]), abs(numerical), 1e-3)
            worst = max(worst, rel)
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
    }

    @Test("Barnes-Hut (θ = 0.5) and FFT repulsion agree with the exact sums on 300 points")
    func approximationsAgainstExact() throws {
        let y = spreadPositions(count: 300)
        let exact = repulsion(ExactRepulsion(), y)
        let bh = repulsion(try BarnesHutRepulsion(theta: 0.5), y)
        let fft = repulsion(try FFTRepulsion(), y)
        #expect(relativeError(bh.forces, exact.forces) < 2e-2, "BH force error \(relativeError(bh.forces, exact.forces))")
        #expect(abs(bh.z - exact.z) / exact.z < 1e-2, "BH Z \(bh.z) vs \(exact.z)")
        // Three nodes per box (FIt-SNE's and openTSNE's default) leave about 1% of interpolation error…
        #expect(relativeError(fft.forces, exact.forces) < 2e-2, "FFT force error \(relativeError(fft.forces, exact.forces))")
        #expect(abs(fft.z - exact.z) / exact.z < 1e-3, "FFT Z \(fft.z) vs \(exact.z)")
        // …which falls as the interpolation refines (more nodes per box, or more boxes).
        let fine = repulsion(try FFTRepulsion(interpolationPoints: 5), y)
        #expect(relativeError(fine.forces, exact.forces) < 1e-3, "FFT p=5 force error \(relativeError(fine.forces, exact.forces))")
        let dense = repulsion(try FFTRepulsion(minimumIntervals: 200), y)
        #expect(relativeError(dense.forces, exact.forces) < 1e-3, "FFT 200 boxes force error \(relativeError(dense.forces, exact.forces))")
        // θ = 0 opens every cell: Barnes-Hut becomes the exact sum.
        let bh0 = repulsion(try BarnesHutRepulsion(theta: 0), y)
        #expect(relativeError(bh0.forces, exact.forces) < 1e-12)
        #expect(abs(bh0.z - exact.z) / exact.z < 1e-12)
    }

    @Test("Approximate gradients follow the exact one on small N: cosine similarity above 0.999")
    func gradientsAgainstExact() throws {
        let (x, _) = blobs(perCluster: 50, clusters: 4)
        let p = try affinities(x, perplexity: 10)
        let y = spreadPositions(count: 200, scale: 3)
        let exact = try TSNE.exactGradient(p, positions: y).gradient
        for method in [TSNEConfiguration.Method.barnesHut, .fft] {
            let r = repulsion(try TSNE.repulsion(method, configuration: TSNEConfiguration()), y)
            var att = [Double](repeating: 0, count: y.count)
            _ = y.withUnsafeBufferPointer { yp in att.withUnsafeMutableBufferPointer { ap in
                AttractiveForces.compute(p, positions: yp.baseAddress!, forces: ap.baseAddress!, threads: 1, logTerm: false)
            } }
            let g = (0..<y.count).map { 4 * (att[$0] - r.forces[$0] / r.z) }
            let dot = zip(g, exact).map(*).reduce(0, +)
            let cosine = dot / (sqrt(g.map { $0 * $0 }.reduce(0, +)) * sqrt(exact.map { $0 * $0 }.reduce(0, +)))
            #expect(cosine > 0.999, "\(method): cosine \(cosine)")
        }
    }
}

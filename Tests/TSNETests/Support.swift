import Tensor
@testable import TSNE

/// `clusters` Gaussian blobs in `dimension` dimensions, `perCluster` points each, centres 6 apart.
func blobs(perCluster: Int, clusters: Int = 4, dimension: Int = 10, seed: UInt64 = 7) -> (Tensor<Float>, [Int]) {
    var rng = SeededRNG(seed: seed)
    var centres = [[Double]]()
    for _ in 0..<clusters { centres.append((0..<dimension).map { _ in 6 * rng.nextNormal() }) }
    var x = [Float](), labels = [Int]()
    for c in 0..<clusters {
        for _ in 0..<perCluster {
            x += centres[c].map { Float($0 + rng.nextNormal()) }
            labels.append(c)
        }
    }
    return (try! Tensor<Float>(x, shape: [clusters * perCluster, dimension]), labels)
}

/// Affinities of `x` at `perplexity`, the way `TSNE.embed` builds them.
func affinities(_ x: Tensor<Float>, perplexity: Double = 10, threads: Int = 1) throws -> Affinities {
    let n = x.shape[0]
    let graph = try NeighborGraph.exact(x, k: min(n - 1, Int(3 * perplexity)), threads: threads)
    return try Affinities(neighbors: graph, perplexity: perplexity, threads: threads)
}

/// Positions spread like a mid-run embedding: blobs of radius ~1 a few units apart.
func spreadPositions(count n: Int, seed: UInt64 = 3, scale: Double = 5) -> [Double] {
    var rng = SeededRNG(seed: seed)
    return (0..<(2 * n)).map { e in scale * Double((e / 2) % 4) * (e % 2 == 0 ? 1 : -0.5) + rng.nextNormal() }
}

func repulsion(_ method: RepulsionMethod, _ y: [Double], threads: Int = 1) -> (forces: [Double], z: Double) {
    var f = [Double](repeating: 0, count: y.count)
    let z = y.withUnsafeBufferPointer { yp in
        f.withUnsafeMutableBufferPointer { fp in
            method.repulsion(positions: yp.baseAddress!, count: y.count / 2, forces: fp.baseAddress!, threads: threads)
        }
    }
    return (f, z)
}

/// Largest |a − b| over the largest |b|: the error of an approximation relative to the force scale.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 1
    return zip(a, b).map { abs($0 - $1) }.max()! / scale
}

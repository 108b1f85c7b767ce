import Tensor

/// The k nearest neighbours of every point (excluding itself), by Euclidean distance.
///
/// Exact search: squared distances ‖x‖² + ‖y‖² − 2·x·y are computed block by block, the cross terms
/// as one `sgemm` per block of 256 query rows × 2048 reference rows (transpose flag, no copies), and each
/// query row keeps its k best in a max-heap that rejects almost every candidate with one comparison.
/// The work is O(N²·d): for N = 70,000 and d = 50 about 0.5 TFLOP of GEMM, some seconds on two
/// cores. Past a few hundred thousand points an approximate index (random-projection trees, HNSW or
/// NN-descent, as openTSNE switches to Annoy) would take over; this module does not have one.
///
/// The distances of the neighbours kept are then recomputed directly in Double from the rows, because
/// the GEMM form cancels badly for near-duplicate points (it can even go negative).
public struct NeighborGraph: Sendable {
    /// Number of points.
    public let count: Int
    /// Neighbours per point.
    public let k: Int
    /// Neighbour indices, `[count, k]` row-major, nearest first.
    public var indices: [Int32]
    /// Squared Euclidean distances to those neighbours, `[count, k]`.
    public var squaredDistances: [Float]

    /// The exact k-nearest-neighbour graph of the rows of `x` (`[n, d]`).
    ///
    /// Deterministic: every query row sees the reference rows in the same order whatever `threads` is;
    /// ties keep the lower index.
    /// - Throws: `TSNEError.invalidArgument` unless 1 ≤ k < n.
    public static func exact(_ x: Tensor<Float>, k: Int, threads: Int = 1) throws -> NeighborGraph {
        guard x.rank == 2 else { throw TSNEError.shapeMismatch(what: "neighbour search input", expected: "a [n, d] matrix", found: "shape \(x.shape)") }
        let n = x.shape[0], d = x.shape[1]
        guard k >= 1, k < n else { throw TSNEError.invalidArgument(name: "neighbours", reason: "k must be in 1..<\(n), got \(k)") }
        guard n < Int(Int32.max), d < Int(Int32.max) else { throw TSNEError.invalidArgument(name: "neighbours", reason: "too many points for 32-bit BLAS indices") }
        let rows = x.scalars
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<d { s += rows[i * d + j] * rows[i * d + j] }
            norms[i] = s
        }
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        let queryBlock = 256, referenceBlock = 2048
        let blocks = (n + queryBlock - 1) / queryBlock
        let saved = BLAS.threads
        BLAS.threads = 1   // our threads each run a single-threaded GEMM on their own blocks
        defer { BLAS.threads = saved }
        rows.withUnsafeBufferPointer { xp in
            norms.withUnsafeBufferPointer { np in
                indices.withUnsafeMutableBufferPointer { ip in
                    distances.withUnsafeMutableBufferPointer { dp in
                        let x = xp.baseAddress!, norm = np.baseAddress!
                        let outI = ip.baseAddress!, outD = dp.baseAddress!
                        parallelChunks(blocks, threads: threads) { _, range in
                            let g = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock * referenceBlock)
                            defer { g.deallocate() }
                            for block in range {
                                let q0 = block * queryBlock, qn = min(queryBlock, n - q0)
                                for r in 0..<(qn * k) { outD[q0 * k + r] = .infinity; outI[q0 * k + r] = -1 }
                                var r0 = 0
                                while r0 < n {
                                    let rn = min(referenceBlock, n - r0)
                                    Float.gemm(transA: false, transB: true, m: Int32(qn), n: Int32(rn), k: Int32(d), alpha: -2,
                                               a: x + q0 * d, lda: Int32(d), b: x + r0 * d, ldb: Int32(d),
                                               beta: 0, c: g, ldc: Int32(rn))
                                    for qi in 0..<qn {
                                        let i = q0 + qi
                                        let heapD = outD + i * k, heapI = outI + i * k
                                        let row = g + qi * rn
                                        let ni = norm[i]
                                        var worst = heapD[0]
                                        for c in 0..<rn {
                                            let dist = ni + norm[r0 + c] + row[c]
                                            if dist < worst {
                                                let j = r0 + c
                                                if j == i { continue }
                                                siftDown(heapD, heapI, k, dist, Int32(j))
                                                worst = heapD[0]
                                            }
                                        }
                                    }
                                    r0 += rn
                                }
                                // Sort each heap nearest first and recompute its distances exactly.
                                for qi in 0..<qn {
                                    let i = q0 + qi
                                    let heapI = outI + i * k, heapD = outD + i * k
                                    for m in 0..<k {
                                        let j = Int(heapI[m])
                                        var s = 0.0
                                        for t in 0..<d { let diff = Double(x[i * d + t]) - Double(x[j * d + t]); s += diff * diff }
                                        heapD[m] = Float(s)
                                    }
                                    sortPairs(heapD, heapI, k)
                                }
                            }
                        }
                    }
                }
            }
        }
        return NeighborGraph(count: n, k: k, indices: indices, squaredDistances: distances)
    }
}

/// Replaces the root of a max-heap of `k` (distance, index) pairs by (`d`, `j`) and restores the heap.
@inline(__always)
private func siftDown(_ heapD: UnsafeMutablePointer<Float>, _ heapI: UnsafeMutablePointer<Int32>, _ k: Int, _ d: Float, _ j: Int32) {
    var pos = 0
    while true {
        let left = 2 * pos + 1
        if left >= k { break }
        var child = left
        if left + 1 < k && heapD[left + 1] > heapD[left] { child = left + 1 }
        if heapD[child] <= d { break }
        heapD[pos] = heapD[child]; heapI[pos] = heapI[child]
        pos = child
    }
    heapD[pos] = d; heapI[pos] = j
}

/// Sorts `k` (distance, index) pairs by distance, then index (insertion sort: k is about 90).
@inline(__always)
private func sortPairs(_ d: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, _ k: Int) {
    guard k > 1 else { return }
    for a in 1..<k {
        let kd = d[a], ki = idx[a]
        var b = a - 1
        while b >= 0 && (d[b] > kd || (d[b] == kd && idx[b] > ki)) {
            d[b + 1] = d[b]; idx[b + 1] = idx[b]
            b -= 1
        }
        d[b + 1] = kd; idx[b + 1] = ki
    }
}

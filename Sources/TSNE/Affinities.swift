import Foundation

/// The input similarities P of t-SNE: a sparse, symmetric matrix whose entries sum to 1.
///
/// Built as in van der Maaten (2014), "Accelerating t-SNE using tree-based algorithms", §3: for each
/// point i a Gaussian over its k nearest neighbours, p_{j|i} ∝ exp(−β_i·d²_ij), with β_i found by
/// binary search so that the distribution's perplexity 2^H equals the requested one; then
/// p_ij = (p_{j|i} + p_{i|j}) / 2N. Stored as compressed rows (CSR): row i's entries are
/// `columns[rowStart[i]..<rowStart[i+1]]`, sorted, with `values` in single precision.
public struct Affinities: Sendable {
    /// Number of points N.
    public let count: Int
    /// Row i occupies `rowStart[i]..<rowStart[i+1]`; length N + 1.
    public var rowStart: [Int]
    /// Column index of each stored entry.
    public var columns: [Int32]
    /// p_ij of each stored entry; all entries sum to 1.
    public var values: [Float]

    /// Number of stored entries.
    public var entryCount: Int { columns.count }

    /// Σ p_ij in Double: 1 up to the rounding of single-precision entries, which the KL divergence and
    /// its gradient take into account (KL = Σ p log p + Σ p log(1 + d²) + (Σ p)·log Z).
    public var total: Double { values.reduce(0.0) { $0 + Double($1) } }

    /// Σ p_ij·log p_ij, the constant part of KL(P‖Q).
    public var entropyTerm: Double {
        var s = 0.0
        for v in values where v > 0 { s += Double(v) * log(Double(v)) }
        return s
    }

    /// Calibrates each point's Gaussian on its neighbours to `perplexity`, then symmetrises.
    ///
    /// Conditional distributions are computed in Double with distances shifted by the nearest one (so
    /// the exponentials cannot all underflow); the search stops when the entropy is within 1e-5 nats of
    /// log(perplexity), or after 200 halvings. Duplicate points (all distances equal) get a uniform
    /// distribution rather than NaN.
    /// A perplexity above k cannot be reached (the entropy of k points is at most log k): those points
    /// get the flattest distribution there is, uniform over their neighbours.
    /// - Throws: `TSNEError.perplexityTooLarge` unless perplexity < N − 1; `TSNEError.invalidArgument`
    ///   for a perplexity that is not a positive number.
    public init(neighbors graph: NeighborGraph, perplexity: Double, threads: Int = 1) throws {
        guard perplexity.isFinite, perplexity > 0 else {
            throw TSNEError.invalidArgument(name: "perplexity", reason: "must be a positive number, got \(perplexity)")
        }
        let n = graph.count, k = graph.k
        guard perplexity < Double(n - 1) else {
            throw TSNEError.perplexityTooLarge(perplexity: perplexity, count: n)
        }
        var conditional = [Float](repeating: 0, count: n * k)
        let target = log(perplexity)
        graph.squaredDistances.withUnsafeBufferPointer { dp in
            conditional.withUnsafeMutableBufferPointer { cp in
                let dist = dp.baseAddress!, out = cp.baseAddress!
                parallelChunks(n, threads: threads) { _, range in
                    let p = UnsafeMutablePointer<Double>.allocate(capacity: k)
                    defer { p.deallocate() }
                    for i in range {
                        let d = dist + i * k
                        var dmin = Double.infinity
                        for j in 0..<k { dmin = min(dmin, Double(d[j])) }
                        var beta = 1.0, lo = 0.0, hi = Double.infinity
                        for _ in 0..<200 {
                            var sum = 0.0, weighted = 0.0
                            for j in 0..<k {
                                let shifted = Double(d[j]) - dmin
                                let e = exp(-beta * shifted)
                                p[j] = e; sum += e; weighted += shifted * e
                            }
                            // H = log Σe + β·Σ(d·e)/Σe, with distances shifted by dmin.
                            let entropy = log(sum) + beta * weighted / sum
                            let gap = entropy - target
                            if abs(gap) < 1e-5 { break }
                            if gap > 0 {   // too flat: sharpen
                                lo = beta
                                beta = hi.isInfinite ? beta * 2 : (beta + hi) / 2
                            } else {
                                hi = beta
                                beta = (beta + lo) / 2
                            }
                        }
                        var sum = 0.0
                        for j in 0..<k { sum += p[j] }
                        for j in 0..<k { out[i * k + j] = Float(p[j] / sum) }
                    }
                }
            }
        }
        self = Affinities.symmetrised(count: n, k: k, indices: graph.indices, conditional: conditional, threads: threads)
    }

    /// A dense N × N matrix of p_ij (row-major), normalised to sum 1; zero entries are not stored.
    /// Used to run the optimiser on affinities computed elsewhere (the scikit-learn comparison).
    /// - Throws: `TSNEError.shapeMismatch` if `dense` is not N², `invalidArgument` for negative or
    ///   non-finite entries or an all-zero matrix.
    public init(dense: [Double], count n: Int) throws {
        guard dense.count == n * n else {
            throw TSNEError.shapeMismatch(what: "dense affinities", expected: "\(n * n) entries (\(n) × \(n))", found: "\(dense.count)")
        }
        guard dense.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw TSNEError.invalidArgument(name: "affinities", reason: "entries must be finite and non-negative")
        }
        let total = dense.reduce(0, +)
        guard total > 0 else { throw TSNEError.invalidArgument(name: "affinities", reason: "all entries are zero") }
        var rowStart = [0], columns: [Int32] = [], values: [Float] = []
        for i in 0..<n {
            for j in 0..<n where j != i && dense[i * n + j] > 0 {
                columns.append(Int32(j)); values.append(Float(dense[i * n + j] / total))
            }
            rowStart.append(columns.count)
        }
        self.init(count: n, rowStart: rowStart, columns: columns, values: values)
    }

    init(count: Int, rowStart: [Int], columns: [Int32], values: [Float]) {
        self.count = count
        self.rowStart = rowStart
        self.columns = columns
        self.values = values
    }

    /// P = (P_cond + P_condᵀ) / 2N as CSR with sorted, merged rows.
    static func symmetrised(count n: Int, k: Int, indices: [Int32], conditional: [Float], threads: Int) -> Affinities {
        // Every (i, j, p_{j|i}) lands in row i and in row j.
        var length = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            for m in 0..<k {
                length[i] += 1
                length[Int(indices[i * k + m])] += 1
            }
        }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + length[i] }
        var fill = start
        var cols = [Int32](repeating: 0, count: start[n])
        var vals = [Float](repeating: 0, count: start[n])
        let scale = 1 / (2 * Float(n))
        for i in 0..<n {
            for m in 0..<k {
                let j = Int(indices[i * k + m])
                let v = conditional[i * k + m] * scale
                cols[fill[i]] = Int32(j); vals[fill[i]] = v; fill[i] += 1
                cols[fill[j]] = Int32(i); vals[fill[j]] = v; fill[j] += 1
            }
        }
        // Sort each row by column and merge the two halves of each pair; rows are independent.
        var mergedLength = [Int](repeating: 0, count: n)
        cols.withUnsafeMutableBufferPointer { cp in
            vals.withUnsafeMutableBufferPointer { vp in
                mergedLength.withUnsafeMutableBufferPointer { lp in
                    let c = cp.baseAddress!, v = vp.baseAddress!, len = lp.baseAddress!
                    parallelChunks(n, threads: threads) { _, range in
                        for i in range {
                            let lo = start[i], count = start[i + 1] - lo
                            // insertion sort by column (rows are ~2k entries, mostly short)
                            if count > 1 {
                                for a in 1..<count {
                                    let kc = c[lo + a], kv = v[lo + a]
                                    var b = a - 1
                                    while b >= 0 && c[lo + b] > kc { c[lo + b + 1] = c[lo + b]; v[lo + b + 1] = v[lo + b]; b -= 1 }
                                    c[lo + b + 1] = kc; v[lo + b + 1] = kv
                                }
                            }
                            var w = 0
                            for a in 0..<count {
                                if w > 0 && c[lo + w - 1] == c[lo + a] { v[lo + w - 1] += v[lo + a] }
                                else { c[lo + w] = c[lo + a]; v[lo + w] = v[lo + a]; w += 1 }
                            }
                            len[i] = w
                        }
                    }
                }
            }
        }
        var rowStart = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { rowStart[i + 1] = rowStart[i] + mergedLength[i] }
        var outCols = [Int32](repeating: 0, count: rowStart[n])
        var outVals = [Float](repeating: 0, count: rowStart[n])
        for i in 0..<n {
            for a in 0..<mergedLength[i] {
                outCols[rowStart[i] + a] = cols[start[i] + a]
                outVals[rowStart[i] + a] = vals[start[i] + a]
            }
        }
        return Affinities(count: n, rowStart: rowStart, columns: outCols, values: outVals)
    }
}

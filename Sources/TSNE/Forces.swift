import Foundation

// The t-SNE gradient splits into an attractive part over the sparse P and a repulsive part over all
// pairs (van der Maaten 2014, eq. 5). With the Cauchy kernel K_ij = 1 / (1 + ‖y_i − y_j‖²) and
// Z = Σ_{k≠l} K_kl:
//
//   ∂KL/∂y_i = 4·[ Σ_j p_ij·K_ij·(y_i − y_j)  −  (1/Z)·Σ_j K_ij²·(y_i − y_j) ]
//
// Positions are interleaved Double pairs [x0, y0, x1, y1, …]. Every repulsion method fills
// rep_i = Σ_{j≠i} K_ij²·(y_i − y_j) and returns Z; only how it sums differs.

/// A way to compute the repulsive sums rep_i and the normaliser Z.
public protocol RepulsionMethod: AnyObject {
    /// Writes rep_i = Σ_{j≠i} K_ij²·(y_i − y_j) into `forces` (`[count, 2]`) and returns Z = Σ_{i≠j} K_ij.
    func repulsion(positions: UnsafePointer<Double>, count: Int, forces: UnsafeMutablePointer<Double>, threads: Int) -> Double
}

/// The attractive sums att_i = Σ_j p_ij·K_ij·(y_i − y_j) over the stored entries of P, and, when
/// `logTerm` is set, Σ p_ij·log(1 + ‖y_i − y_j‖²) — with Σ p log p and log Z, the KL divergence:
/// KL(P‖Q) = Σ p log p + Σ p log(1 + d²) + log Z.
enum AttractiveForces {
    static func compute(_ p: Affinities, positions y: UnsafePointer<Double>, forces: UnsafeMutablePointer<Double>,
                        threads: Int, logTerm: Bool) -> Double {
        let n = p.count
        var partial = [Double](repeating: 0, count: max(1, threads))
        p.rowStart.withUnsafeBufferPointer { rs in
            p.columns.withUnsafeBufferPointer { cs in
                p.values.withUnsafeBufferPointer { vs in
                    partial.withUnsafeMutableBufferPointer { part in
                        let rowStart = rs.baseAddress!, col = cs.baseAddress!, val = vs.baseAddress!
                        let sums = part.baseAddress!
                        parallelChunks(n, threads: threads) { chunk, range in
                            var logSum = 0.0
                            for i in range {
                                let xi = y[2 * i], yi = y[2 * i + 1]
                                var fx = 0.0, fy = 0.0
                                for e in rowStart[i]..<rowStart[i + 1] {
                                    let j = Int(col[e])
                                    let dx = xi - y[2 * j], dy = yi - y[2 * j + 1]
                                    let q = 1 + dx * dx + dy * dy
                                    let w = Double(val[e]) / q
                                    fx += w * dx; fy += w * dy
                                    if logTerm { logSum += Double(val[e]) * log(q) }
                                }
                                forces[2 * i] = fx; forces[2 * i + 1] = fy
                            }
                            sums[chunk] = logSum
                        }
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }
}

/// The repulsion summed over all N² pairs: O(N²) per iteration, the reference the approximations are
/// checked against, and the fastest choice for a few hundred points.
public final class ExactRepulsion: RepulsionMethod {
    public init() {}

    public func repulsion(positions y: UnsafePointer<Double>, count n: Int, forces: UnsafeMutablePointer<Double>, threads: Int) -> Double {
        var partial = [Double](repeating: 0, count: max(1, threads))
        partial.withUnsafeMutableBufferPointer { part in
            let sums = part.baseAddress!
            parallelChunks(n, threads: threads) { chunk, range in
                var z = 0.0
                for i in range {
                    let xi = y[2 * i], yi = y[2 * i + 1]
                    var fx = 0.0, fy = 0.0, zi = 0.0
                    for j in 0..<n where j != i {
                        let dx = xi - y[2 * j], dy = yi - y[2 * j + 1]
                        let k = 1 / (1 + dx * dx + dy * dy)
                        zi += k
                        let k2 = k * k
                        fx += k2 * dx; fy += k2 * dy
                    }
                    forces[2 * i] = fx; forces[2 * i + 1] = fy
                    z += zi
                }
                sums[chunk] = z
            }
        }
        return partial.reduce(0, +)
    }
}

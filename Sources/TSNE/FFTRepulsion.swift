import CFFTW
import Foundation

/// FFT-accelerated interpolation of the repulsion (FIt-SNE: Linderman, Rachh, Hoskins, Steinerberger &
/// Kluger, "Fast interpolation-based t-SNE for improved visualization of single-cell RNA-seq data",
/// Nature Methods 16, 2019).
///
/// The square around the embedding is cut into B × B boxes with p = 3 equispaced interpolation nodes
/// per box and side, so all nodes form one equispaced (pB) × (pB) grid. Four charges per point — 1, x,
/// y and x² + y² — are spread onto the nodes with Lagrange weights, convolved with the kernel
/// K² = 1/(1 + d²)² on the grid, and interpolated back. Because the grid is equispaced the kernel
/// matrix is Toeplitz in each direction: the convolution is a product of 2-D real FFTs of side 2pB
/// (FFTW, single precision). From the four potentials φ:
///
///   rep_i = (x_i·φ₁ − φ_x, y_i·φ₁ − φ_y),   Σ_j K_ij = (1 + ‖y_i‖²)·φ₁ − 2·(x_i·φ_x + y_i·φ_y) + φ_{‖y‖²}
///
/// (K = K²·(1 + d²) expands into the four charges), and Z is that sum over i less the N self terms.
/// B = max(`minimumIntervals`, ⌈range · `intervalsPerUnit`⌉) as in FIt-SNE and openTSNE (50 boxes at
/// least, one per unit of embedding length); the transforms' side is the first fast FFT size ≥ 2pB
/// (the linear convolution of pB nodes needs 2pB − 1), the rest zero padding. Cost per iteration: O(N) for the spreading and interpolation,
/// O(B² log B) for the FFTs, independent of N. The four channels run in parallel, one thread each.
public final class FFTRepulsion: RepulsionMethod {
    public let interpolationPoints: Int
    public let minimumIntervals: Int
    public let intervalsPerUnit: Double

    private var side = 0                  // FFT side M = 2·p·B
    private var realBuffers: [UnsafeMutablePointer<Float>] = []       // kernel + 4 channels, M × M
    private var outputs: [UnsafeMutablePointer<Float>] = []           // 4 channels' potentials, M × M
    private var spectra: [UnsafeMutablePointer<fftwf_complex>] = []   // M × (M/2 + 1)
    private var forward: OpaquePointer? = nil
    private var inverse: OpaquePointer? = nil
    private var boxes: [Int32] = []       // per point: box column and row
    private var weights: [Double] = []    // per point: p weights along x, then p along y
    private var potentials: [Double] = [] // per point: the four φ

    private static let estimate: UInt32 = 1 << 6   // FFTW_ESTIMATE: no timing runs, plans in microseconds
    private static let channels = 4
    static let maximumBoxes = 1024

    /// - Throws: `TSNEError.invalidArgument` for fewer than 2 or more than 8 interpolation points, a
    ///   minimum interval count outside 1...1024, or a non-positive `intervalsPerUnit`.
    public init(interpolationPoints: Int = 3, minimumIntervals: Int = 50, intervalsPerUnit: Double = 1) throws {
        guard (2...8).contains(interpolationPoints) else {
            throw TSNEError.invalidArgument(name: "interpolation points", reason: "must be in 2...8, got \(interpolationPoints)")
        }
        guard (1...Self.maximumBoxes).contains(minimumIntervals), intervalsPerUnit.isFinite, intervalsPerUnit > 0 else {
            throw TSNEError.invalidArgument(name: "FFT grid", reason: "needs 1...\(Self.maximumBoxes) intervals and a positive intervals-per-unit")
        }
        self.interpolationPoints = interpolationPoints
        self.minimumIntervals = minimumIntervals
        self.intervalsPerUnit = intervalsPerUnit
    }

    deinit { release() }

    /// FFTW's planner (and plan destruction) is not thread-safe: two embeddings in one process (tests,
    /// a server) must not plan at the same time. Execution needs no lock.
    private static let plannerLock = NSLock()

    private func release() {
        Self.plannerLock.lock()
        defer { Self.plannerLock.unlock() }
        if let forward { fftwf_destroy_plan(forward) }
        if let inverse { fftwf_destroy_plan(inverse) }
        forward = nil; inverse = nil
        for b in realBuffers + outputs { fftwf_free(b) }
        for s in spectra { fftwf_free(s) }
        realBuffers = []; spectra = []; outputs = []
        side = 0
    }

    /// The smallest FFT side ≥ `m` of the form 2^a·{1, 3, 5, 9, 15, 25}: sizes FFTW's estimated plans
    /// transform at 4–7 ns per point here (a side such as 1260 or 1680 costs 9–12), so a little more
    /// zero padding pays for itself.
    static func fastSide(atLeast m: Int) -> Int {
        var best = Int.max
        for odd in [1, 3, 5, 9, 15, 25] {
            var size = odd
            while size < m { size *= 2 }
            best = min(best, size)
        }
        return best
    }

    /// Allocates buffers and plans for side `m` (only when the grid grows or shrinks).
    private func prepare(side m: Int) {
        guard m != side else { return }
        release()
        side = m
        let realCount = m * m, complexCount = m * (m / 2 + 1)
        for c in 0...Self.channels {
            // Zeroed once: the spreading writes only the nodes' corner, the padding stays zero.
            // Out of memory only (the grid is capped above): the same as any failed allocation.
            guard let buffer = fftwf_alloc_real(realCount) else { fatalError("FFTW could not allocate a \(m)² grid") }
            buffer.update(repeating: 0, count: realCount)
            realBuffers.append(buffer)
            spectra.append(fftwf_alloc_complex(complexCount))
            if c > 0 { outputs.append(fftwf_alloc_real(realCount)) }
        }
        // The planner is not thread-safe; plans are made here, serially, and then executed on every
        // channel's buffers (new-array execution: all buffers come from fftwf_alloc, same alignment).
        Self.plannerLock.lock()
        defer { Self.plannerLock.unlock() }
        forward = fftwf_plan_dft_r2c_2d(Int32(m), Int32(m), realBuffers[0], spectra[0], Self.estimate)
        inverse = fftwf_plan_dft_c2r_2d(Int32(m), Int32(m), spectra[1], outputs[0], Self.estimate)
    }

    public func repulsion(positions y: UnsafePointer<Double>, count n: Int, forces: UnsafeMutablePointer<Double>, threads: Int) -> Double {
        let p = interpolationPoints
        var lo = Double.infinity, hi = -Double.infinity
        for e in 0..<(2 * n) { lo = min(lo, y[e]); hi = max(hi, y[e]) }
        // Non-finite positions: report an unusable Z and let the optimiser stop with `diverged`.
        guard lo.isFinite, hi.isFinite else { return .nan }
        let range = max(hi - lo, 1e-12)
        // At most 1024 boxes a side (grids of 6144², 1.3 GB of buffers): past that, boxes get wider than
        // one unit and the interpolation coarser, rather than memory running out.
        let boxCount = max(minimumIntervals, min(Self.maximumBoxes, Int((range * intervalsPerUnit).rounded(.up))))
        let nodes = p * boxCount
        let m = Self.fastSide(atLeast: 2 * nodes)
        prepare(side: m)
        let boxWidth = range / Double(boxCount)
        let spacing = boxWidth / Double(p)

        if boxes.count != 2 * n {
            boxes = [Int32](repeating: 0, count: 2 * n)
            weights = [Double](repeating: 0, count: 2 * p * n)
            potentials = [Double](repeating: 0, count: Self.channels * n)
        }
        // Lagrange denominators for nodes at (m + ½)/p of a box.
        var denominators = [Double](repeating: 1, count: p)
        for a in 0..<p { for b in 0..<p where b != a { denominators[a] *= Double(a - b) / Double(p) } }

        let kernel = realBuffers[0]
        let half = m / 2 + 1
        boxes.withUnsafeMutableBufferPointer { bp in
            weights.withUnsafeMutableBufferPointer { wp in
                potentials.withUnsafeMutableBufferPointer { pp in
                    denominators.withUnsafeBufferPointer { dp in
                        let box = bp.baseAddress!, weight = wp.baseAddress!, phi = pp.baseAddress!, denominator = dp.baseAddress!
                        // 1. Each point's box and interpolation weights.
                        parallelChunks(n, threads: threads) { _, range in
                            for i in range {
                                for axis in 0..<2 {
                                    let u = (y[2 * i + axis] - lo) / boxWidth
                                    let b = min(max(Int(u), 0), boxCount - 1)
                                    let t = u - Double(b)
                                    box[2 * i + axis] = Int32(b)
                                    for a in 0..<p {
                                        var w = 1.0
                                        for c in 0..<p where c != a { w *= t - (Double(c) + 0.5) / Double(p) }
                                        weight[(2 * i + axis) * p + a] = w / denominator[a]
                                    }
                                }
                            }
                        }
                        // 2. The kernel K² on the node offsets −(pB − 1)…(pB − 1), wrapped circularly (offsets
                        // beyond are never needed and stay 0); one quadrant computed, mirrored to the others.
                        parallelChunks(nodes, threads: threads) { _, rows in
                            for a in rows {
                                let mirrorA = a == 0 ? 0 : m - a
                                for b in 0..<nodes {
                                    let d2 = spacing * spacing * Double(a * a + b * b)
                                    let k = 1 / (1 + d2)
                                    let v = Float(k * k)
                                    let mirrorB = b == 0 ? 0 : m - b
                                    kernel[a * m + b] = v; kernel[a * m + mirrorB] = v
                                    kernel[mirrorA * m + b] = v; kernel[mirrorA * m + mirrorB] = v
                                }
                            }
                        }
                        fftwf_execute_dft_r2c(forward, kernel, spectra[0])
                        let kernelSpectrum = UnsafeMutableRawPointer(spectra[0]).assumingMemoryBound(to: Float.self)
                        let scale = 1 / Float(m * m)   // FFTW's transforms are unnormalised
                        // 3. Per channel: spread, transform, multiply, transform back, interpolate.
                        let workers = min(max(1, threads), Self.channels)
                        let channelBuffers = Array(realBuffers[1...]), channelSpectra = Array(spectra[1...])
                        let channelOutputs = outputs
                        parallelChunks(Self.channels, threads: workers) { _, channels in
                            for c in channels {
                                let grid = channelBuffers[c], potential = channelOutputs[c]
                                for a in 0..<nodes { (grid + a * m).update(repeating: 0, count: nodes) }
                                for i in 0..<n {
                                    let charge: Double
                                    switch c {
                                    case 0: charge = 1
                                    case 1: charge = y[2 * i]
                                    case 2: charge = y[2 * i + 1]
                                    default: charge = y[2 * i] * y[2 * i] + y[2 * i + 1] * y[2 * i + 1]
                                    }
                                    let row0 = Int(box[2 * i]) * p, col0 = Int(box[2 * i + 1]) * p
                                    let wx = weight + 2 * i * p, wy = weight + (2 * i + 1) * p
                                    for a in 0..<p {
                                        let ca = charge * wx[a]
                                        let line = grid + (row0 + a) * m + col0
                                        for b in 0..<p { line[b] += Float(ca * wy[b]) }
                                    }
                                }
                                fftwf_execute_dft_r2c(forward, grid, channelSpectra[c])
                                let s = UnsafeMutableRawPointer(channelSpectra[c]).assumingMemoryBound(to: Float.self)
                                for e in 0..<(m * half) {
                                    let ar = s[2 * e], ai = s[2 * e + 1]
                                    let kr = kernelSpectrum[2 * e] * scale, ki = kernelSpectrum[2 * e + 1] * scale
                                    s[2 * e] = ar * kr - ai * ki
                                    s[2 * e + 1] = ar * ki + ai * kr
                                }
                                fftwf_execute_dft_c2r(inverse, channelSpectra[c], potential)
                                for i in 0..<n {
                                    let row0 = Int(box[2 * i]) * p, col0 = Int(box[2 * i + 1]) * p
                                    let wx = weight + 2 * i * p, wy = weight + (2 * i + 1) * p
                                    var v = 0.0
                                    for a in 0..<p {
                                        let line = potential + (row0 + a) * m + col0
                                        var r = 0.0
                                        for b in 0..<p { r += wy[b] * Double(line[b]) }
                                        v += wx[a] * r
                                    }
                                    phi[c * n + i] = v
                                }
                            }
                        }
                    }
                }
            }
        }
        // 4. Forces and Z from the four potentials.
        var partial = [Double](repeating: 0, count: max(1, threads))
        potentials.withUnsafeBufferPointer { pp in
            partial.withUnsafeMutableBufferPointer { part in
                let phi = pp.baseAddress!, sums = part.baseAddress!
                parallelChunks(n, threads: threads) { chunk, range in
                    var z = 0.0
                    for i in range {
                        let xi = y[2 * i], yi = y[2 * i + 1]
                        let p1 = phi[i], px = phi[n + i], py = phi[2 * n + i], pr = phi[3 * n + i]
                        forces[2 * i] = xi * p1 - px
                        forces[2 * i + 1] = yi * p1 - py
                        z += (1 + xi * xi + yi * yi) * p1 - 2 * (xi * px + yi * py) + pr
                    }
                    sums[chunk] = z
                }
            }
        }
        return partial.reduce(0, +) - Double(n)
    }
}

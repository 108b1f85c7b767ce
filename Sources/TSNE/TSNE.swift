import Foundation
import Tensor

/// The settings of a t-SNE run. Defaults are openTSNE's (and FIt-SNE's): perplexity 30; 250 iterations
/// of early exaggeration 12 with momentum 0.5, then 750 with exaggeration 1 and momentum 0.8; learning
/// rate N / exaggeration (Belkina et al. 2019, "Automated optimized parameters for t-SNE"); gains as
/// in Jacobs (1988) / van der Maaten (2014); PCA initialisation scaled to standard deviation 1e-4.
///
/// Learning-rate convention: the step is `learningRate · gain · g` where g is the KL gradient **without**
/// its constant factor 4 (openTSNE's convention). scikit-learn's learning rate multiplies the full
/// gradient, so its L corresponds to 4L here (its "auto", N/(4·12), is the same early step).
public struct TSNEConfiguration: Sendable, Equatable {
    /// How the repulsive forces are summed.
    public enum Method: String, Sendable, CaseIterable {
        /// All N² pairs: the reference; O(N²) per iteration.
        case exact
        /// Quadtree with opening angle θ: O(N log N).
        case barnesHut = "barnes-hut"
        /// Interpolation on an equispaced grid convolved by FFT (FIt-SNE): O(N) plus the grid.
        case fft
    }

    /// Where the optimisation starts.
    public enum Initialization: Sendable, Equatable {
        /// The first two principal components, scaled so the first has standard deviation 1e-4.
        case pca
        /// Gaussian with standard deviation 1e-4, from `seed`.
        case random
        /// Given positions, `[N, 2]` row-major, used as they are.
        case given([Double])
    }

    public var perplexity = 30.0
    /// Total iterations, the early-exaggeration ones included.
    public var iterations = 1000
    public var earlyExaggerationIterations = 250
    public var earlyExaggeration = 12.0
    /// The exaggeration after the early phase (1 is plain t-SNE; larger values give tighter clusters).
    public var exaggeration = 1.0
    /// nil is "auto": N / (the phase's exaggeration).
    public var learningRate: Double? = nil
    public var earlyMomentum = 0.5
    public var momentum = 0.8
    /// nil chooses by N: exact below 1,000 points, Barnes-Hut below 15,000, FFT from there (see
    /// `TSNE.defaultMethod`).
    public var method: Method? = nil
    /// Barnes-Hut opening angle.
    public var theta = 0.5
    /// FFT grid: interpolation nodes per box and side, least boxes per side, boxes per unit length.
    public var interpolationPoints = 3
    public var minimumIntervals = 50
    public var intervalsPerUnit = 1.0
    public var initialization: Initialization = .pca
    public var seed: UInt64 = 1
    /// Worker threads for the neighbour search, the forces and the FFT grid (results depend on it only
    /// through the order of floating-point sums).
    public var threads = 1
    /// The gain floor: gains shrink as g·0.8 + minimumGain when the gradient keeps its sign.
    public var minimumGain = 0.01
    /// Progress is reported, and the KL divergence evaluated, every this many iterations.
    public var reportEvery = 50
    /// Whose optimiser details to follow where openTSNE and scikit-learn differ.
    public var convention: OptimizerConvention = .openTSNE

    /// The two reference implementations' optimisers differ in three details; `.scikitLearn` reproduces
    /// scikit-learn's `_gradient_descent` so that runs can be compared step for step (same P, same start).
    public enum OptimizerConvention: String, Sendable, CaseIterable {
        /// Gains shrink to 0.8·g + minimumGain; a gain grows when sign(update) ≠ sign(g) (so also on the
        /// first step, where the update is 0); gains and momentum carry over from the early phase.
        case openTSNE
        /// Gains shrink to max(0.8·g, minimumGain); a gain grows only when update·g < 0; gains and
        /// updates restart at the end of early exaggeration (a new `_gradient_descent` call).
        case scikitLearn
    }

    public init() {}
}

/// One progress report of `TSNE.optimize`: every `reportEvery` iterations and at the end.
public struct TSNEProgress: Sendable {
    /// Iterations done (1-based).
    public var iteration: Int
    public var iterations: Int
    /// KL(P‖Q) of the un-exaggerated P at the positions of this iteration; Z from the method in use.
    public var klDivergence: Double
    public var exaggeration: Double
    /// Seconds since the optimisation started.
    public var seconds: Double
}

/// What `TSNE.embed` produced.
public struct TSNEResult: Sendable {
    /// The embedding, `[N, 2]` row-major, centred at 0.
    public var embedding: [Double]
    /// KL(P‖Q) of the final embedding.
    public var klDivergence: Double
    /// Whether `klDivergence` used the exact Z (N ≤ 10,000) or the method's estimate.
    public var klIsExact: Bool
    public var method: TSNEConfiguration.Method
    /// The learning rate of the last phase.
    public var learningRate: Double
    /// Seconds spent in PCA, neighbour search, affinities and optimisation.
    public var timings: [String: Double]
    /// Stored entries of P.
    public var affinityEntries: Int
}

/// t-SNE (van der Maaten & Hinton 2008): a 2-D embedding whose Student-t similarities Q match the
/// Gaussian neighbourhood similarities P of the data, by gradient descent on KL(P‖Q).
///
/// ```swift
/// var config = TSNEConfiguration()
/// config.threads = 2
/// let result = try TSNE.embed(features, configuration: config)   // features: [N, d] Float
/// ```
public enum TSNE {
    /// The smallest point count t-SNE accepts.
    public static let minimumPoints = 4
    /// Up to this many points the final KL divergence uses the exact Z (O(N²) once).
    public static let exactKLLimit = 10_000

    /// The fastest method for N points, as measured on Fashion-MNIST with two threads (1000 iterations:
    /// at 300 points exact 0.4 s, Barnes-Hut 0.5 s, FFT 2.1 s; at 3,000: 7.7, 3.1, 7.0 s; at 10,000
    /// Barnes-Hut 10.6 s, FFT 14.2 s; at 20,000: 23.5, 19.8 s; at 70,000: 98 s, about 50 s): the exact
    /// sum below 1,000 points, Barnes-Hut below 15,000, the FFT grid from there.
    public static func defaultMethod(count: Int) -> TSNEConfiguration.Method {
        count < 1_000 ? .exact : (count < 15_000 ? .barnesHut : .fft)
    }

    /// Embeds the rows of `features` (`[N, d]`): neighbours, affinities, then `optimize`.
    ///
    /// PCA, if wanted, is the caller's step (`PrincipalComponents`), as are NaN checks beyond the ones here.
    /// - Throws: `TSNEError.tooFewPoints` below 4 points, `.perplexityTooLarge` unless perplexity < N − 1,
    ///   `.nonFiniteFeature` for NaN or infinity, `.invalidArgument` for settings out of range, `.diverged`.
    public static func embed(_ features: Tensor<Float>, configuration config: TSNEConfiguration,
                             progress: ((TSNEProgress) -> Void)? = nil) throws -> TSNEResult {
        guard features.rank == 2 else {
            throw TSNEError.shapeMismatch(what: "t-SNE input", expected: "a [N, d] matrix", found: "shape \(features.shape)")
        }
        let n = features.shape[0], d = features.shape[1]
        guard n >= minimumPoints else { throw TSNEError.tooFewPoints(count: n, minimum: minimumPoints) }
        guard d >= 1 else { throw TSNEError.shapeMismatch(what: "t-SNE input", expected: "at least one feature", found: "0 columns") }
        try validate(config, count: n)
        let largest = try features.withUnsafeBufferPointer { x -> Float in
            var m: Float = 0
            for e in 0..<x.count {
                guard x[e].isFinite else { throw TSNEError.nonFiniteFeature(row: e / d, column: e % d) }
                m = max(m, abs(x[e]))
            }
            return m
        }
        // The affinities do not depend on the data's scale (each point's bandwidth is calibrated to the
        // perplexity), but Float squared distances overflow beyond about 1e19 and underflow below 1e-19:
        // data that large or small is brought to magnitudes about 1 by a power of two (exact).
        var features = features
        if largest > 0x1p32 || (largest > 0 && largest < 0x1p-32) {
            features = features * Float(sign: .plus, exponent: -largest.exponent, significand: 1)
        }
        var timings: [String: Double] = [:]
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap(_ name: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            timings[name] = Double(now - clock) / 1e9
            clock = now
        }
        let k = min(n - 1, Int(3 * config.perplexity))
        let graph = try NeighborGraph.exact(features, k: max(1, k), threads: config.threads)
        lap("neighbors")
        let p = try Affinities(neighbors: graph, perplexity: config.perplexity, threads: config.threads)
        lap("affinities")
        let start = try initialPositions(features, configuration: config)
        lap("initialization")
        var result = try optimize(p, initial: start, configuration: config, progress: progress)
        lap("optimization")
        result.timings.merge(timings) { a, _ in a }
        return result
    }

    /// Checks the settings that do not depend on the data.
    static func validate(_ c: TSNEConfiguration, count n: Int) throws {
        guard c.perplexity.isFinite, c.perplexity > 0 else {
            throw TSNEError.invalidArgument(name: "perplexity", reason: "must be a positive number, got \(c.perplexity)")
        }
        guard c.perplexity < Double(n - 1) else { throw TSNEError.perplexityTooLarge(perplexity: c.perplexity, count: n) }
        guard c.iterations >= 0, c.earlyExaggerationIterations >= 0 else {
            throw TSNEError.invalidArgument(name: "iterations", reason: "must not be negative")
        }
        for (name, v) in [("early exaggeration", c.earlyExaggeration), ("exaggeration", c.exaggeration)] {
            guard v.isFinite, v > 0 else { throw TSNEError.invalidArgument(name: name, reason: "must be a positive number, got \(v)") }
        }
        if let lr = c.learningRate, !(lr.isFinite && lr > 0) {
            throw TSNEError.invalidArgument(name: "learning rate", reason: "must be a positive number, got \(lr)")
        }
        for (name, v) in [("early momentum", c.earlyMomentum), ("momentum", c.momentum)] {
            guard v.isFinite, v >= 0, v < 1 else { throw TSNEError.invalidArgument(name: name, reason: "must be in [0, 1), got \(v)") }
        }
        guard c.threads >= 1 else { throw TSNEError.invalidArgument(name: "threads", reason: "must be at least 1, got \(c.threads)") }
        guard c.reportEvery >= 1 else { throw TSNEError.invalidArgument(name: "report interval", reason: "must be at least 1") }
        guard c.minimumGain.isFinite, c.minimumGain >= 0 else { throw TSNEError.invalidArgument(name: "minimum gain", reason: "must be ≥ 0") }
        if case let .given(y) = c.initialization {
            guard y.count == 2 * n else {
                throw TSNEError.shapeMismatch(what: "initial positions", expected: "\(2 * n) numbers ([\(n), 2])", found: "\(y.count)")
            }
            guard y.allSatisfy(\.isFinite) else { throw TSNEError.invalidArgument(name: "initial positions", reason: "hold NaN or infinity") }
        }
    }

    /// The starting positions for `configuration.initialization`, `[N, 2]`.
    public static func initialPositions(_ features: Tensor<Float>, configuration c: TSNEConfiguration) throws -> [Double] {
        let n = features.shape[0]
        var y = [Double](repeating: 0, count: 2 * n)
        switch c.initialization {
        case let .given(given):
            return given
        case .random:
            var rng = SeededRNG(seed: c.seed)
            for e in 0..<(2 * n) { y[e] = 1e-4 * rng.nextNormal() }
            return y
        case .pca:
            if features.shape[1] < 2 {   // one feature: no second component; fall back to random
                var r = c
                r.initialization = .random
                return try initialPositions(features, configuration: r)
            }
            let pca = try PrincipalComponents(fitting: features, components: 2, threads: c.threads)
            let projected = try pca.transform(features, threads: c.threads).scalars
            for e in 0..<(2 * n) { y[e] = Double(projected[e]) }
            var mean = 0.0, square = 0.0
            for i in 0..<n { mean += y[2 * i] }
            mean /= Double(n)
            for i in 0..<n { square += (y[2 * i] - mean) * (y[2 * i] - mean) }
            let std = (square / Double(n)).squareRoot()
            // Constant data has no direction to follow: start from seeded noise instead.
            if !(std > 0) {
                var r = c
                r.initialization = .random
                return try initialPositions(features, configuration: r)
            }
            for e in 0..<(2 * n) { y[e] *= 1e-4 / std }
            return y
        }
    }

    /// A repulsion method object for `method`.
    public static func repulsion(_ method: TSNEConfiguration.Method, configuration c: TSNEConfiguration) throws -> RepulsionMethod {
        switch method {
        case .exact: return ExactRepulsion()
        case .barnesHut: return try BarnesHutRepulsion(theta: c.theta)
        case .fft:
            return try FFTRepulsion(interpolationPoints: c.interpolationPoints, minimumIntervals: c.minimumIntervals,
                                    intervalsPerUnit: c.intervalsPerUnit)
        }
    }

    /// Gradient descent with momentum and gains on KL(P‖Q) from `initial` (`[N, 2]`).
    ///
    /// Each iteration: g_i = α·Σ_j p_ij K_ij (y_i − y_j) − (Σp/Z)·Σ_j K_ij² (y_i − y_j) (the gradient / 4;
    /// α the exaggeration), gains grow by 0.2 where g and the last update differ in sign and shrink to
    /// 0.8·gain + minimumGain elsewhere (`convention` has scikit-learn's variant), update ←
    /// momentum·update − rate·gain·g, positions += update, and
    /// the embedding is re-centred (KL is translation-invariant; centring keeps the FFT grid small).
    /// - Throws: `TSNEError.diverged` when positions or Z stop being finite.
    public static func optimize(_ p: Affinities, initial: [Double], configuration c: TSNEConfiguration,
                                progress: ((TSNEProgress) -> Void)? = nil) throws -> TSNEResult {
        let n = p.count
        guard n >= minimumPoints else { throw TSNEError.tooFewPoints(count: n, minimum: minimumPoints) }
        try validate(c, count: n)
        guard initial.count == 2 * n else {
            throw TSNEError.shapeMismatch(what: "initial positions", expected: "\(2 * n) numbers ([\(n), 2])", found: "\(initial.count)")
        }
        let method = c.method ?? defaultMethod(count: n)
        let repulsion = try repulsion(method, configuration: c)
        let pLogP = p.entropyTerm, pTotal = p.total
        var y = initial
        var update = [Double](repeating: 0, count: 2 * n)
        var gains = [Double](repeating: 1, count: 2 * n)
        var rep = [Double](repeating: 0, count: 2 * n)
        var att = [Double](repeating: 0, count: 2 * n)
        let started = DispatchTime.now().uptimeNanoseconds
        var learningRate = 0.0
        for iteration in 0..<c.iterations {
            let early = iteration < c.earlyExaggerationIterations
            if c.convention == .scikitLearn && iteration == c.earlyExaggerationIterations && iteration > 0 {
                for e in 0..<(2 * n) { update[e] = 0; gains[e] = 1 }
            }
            let alpha = early ? c.earlyExaggeration : c.exaggeration
            let momentum = early ? c.earlyMomentum : c.momentum
            learningRate = c.learningRate ?? Double(n) / alpha
            let report = (iteration + 1) % c.reportEvery == 0 || iteration + 1 == c.iterations
            var z = 0.0, logTerm = 0.0
            y.withUnsafeBufferPointer { yp in
                rep.withUnsafeMutableBufferPointer { rp in
                    att.withUnsafeMutableBufferPointer { ap in
                        z = repulsion.repulsion(positions: yp.baseAddress!, count: n, forces: rp.baseAddress!, threads: c.threads)
                        logTerm = AttractiveForces.compute(p, positions: yp.baseAddress!, forces: ap.baseAddress!,
                                                           threads: c.threads, logTerm: report)

                    }
                }
            }
            guard z.isFinite, z > 0 else { throw TSNEError.diverged(iteration: iteration + 1) }
            let invZ = pTotal / z
            let minimumGain = c.minimumGain
            let scikit = c.convention == .scikitLearn
            var sumX = 0.0, sumY = 0.0
            for e in 0..<(2 * n) {
                let g = alpha * att[e] - rep[e] * invZ
                // The last step went along −g again (update and g of opposite signs): speed up; else slow down.
                let u = update[e]
                let grow = scikit ? u * g < 0 : (u > 0 ? 1 : (u < 0 ? -1 : 0)) != (g > 0 ? 1 : (g < 0 ? -1 : 0))
                if grow { gains[e] += 0.2 } else { gains[e] = scikit ? max(gains[e] * 0.8, minimumGain) : gains[e] * 0.8 + minimumGain }
                update[e] = momentum * u - learningRate * gains[e] * g
                y[e] += update[e]
                if e & 1 == 0 { sumX += y[e] } else { sumY += y[e] }
            }
            guard sumX.isFinite, sumY.isFinite else { throw TSNEError.diverged(iteration: iteration + 1) }
            let mx = sumX / Double(n), my = sumY / Double(n)
            for i in 0..<n { y[2 * i] -= mx; y[2 * i + 1] -= my }
            if report {
                progress?(TSNEProgress(iteration: iteration + 1, iterations: c.iterations, klDivergence: pLogP + logTerm + pTotal * log(z),
                                       exaggeration: alpha,
                                       seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
        }
        // The final KL at the final positions: exact Z when affordable.
        let exactKL = n <= exactKLLimit
        let final = try klDivergence(p, positions: y, exactZ: exactKL, estimate: repulsion, threads: c.threads, pLogP: pLogP)
        return TSNEResult(embedding: y, klDivergence: final, klIsExact: exactKL || method == .exact, method: method,
                          learningRate: learningRate,
                          timings: ["optimization-loop": Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9],
                          affinityEntries: p.entryCount)
    }

    /// KL(P‖Q) at `positions`: Σ p log p + Σ p log(1 + d²) + log Z, with Z summed exactly over all pairs
    /// (O(N²)) or from `estimate`.
    public static func klDivergence(_ p: Affinities, positions y: [Double], exactZ: Bool, estimate: RepulsionMethod? = nil,
                                    threads: Int = 1, pLogP: Double? = nil) throws -> Double {
        let n = p.count
        guard y.count == 2 * n else {
            throw TSNEError.shapeMismatch(what: "positions", expected: "\(2 * n) numbers", found: "\(y.count)")
        }
        var scratch = [Double](repeating: 0, count: 2 * n)
        let method: RepulsionMethod = exactZ ? ExactRepulsion() : try (estimate ?? FFTRepulsion())
        var z = 0.0, logTerm = 0.0
        y.withUnsafeBufferPointer { yp in
            scratch.withUnsafeMutableBufferPointer { sp in
                z = method.repulsion(positions: yp.baseAddress!, count: n, forces: sp.baseAddress!, threads: threads)
                logTerm = AttractiveForces.compute(p, positions: yp.baseAddress!, forces: sp.baseAddress!, threads: threads, logTerm: true)
            }
        }
        return (pLogP ?? p.entropyTerm) + logTerm + p.total * log(z)
    }

    /// The exact KL(P‖Q) and its gradient ∂KL/∂y (`[N, 2]`, with the factor 4), O(N²): the reference the
    /// gradient check and the approximations are tested against.
    public static func exactGradient(_ p: Affinities, positions y: [Double], threads: Int = 1) throws -> (kl: Double, gradient: [Double]) {
        let n = p.count
        guard y.count == 2 * n else {
            throw TSNEError.shapeMismatch(what: "positions", expected: "\(2 * n) numbers", found: "\(y.count)")
        }
        var rep = [Double](repeating: 0, count: 2 * n), att = rep
        var z = 0.0, logTerm = 0.0
        y.withUnsafeBufferPointer { yp in
            rep.withUnsafeMutableBufferPointer { rp in
                att.withUnsafeMutableBufferPointer { ap in
                    z = ExactRepulsion().repulsion(positions: yp.baseAddress!, count: n, forces: rp.baseAddress!, threads: threads)
                    logTerm = AttractiveForces.compute(p, positions: yp.baseAddress!, forces: ap.baseAddress!, threads: threads, logTerm: true)
                }
            }
        }
        let total = p.total
        let gradient = (0..<(2 * n)).map { 4 * (att[$0] - total * rep[$0] / z) }
        return (p.entropyTerm + logTerm + total * log(z), gradient)
    }
}

/// Limited-memory BFGS for full-batch problems (ridge regression, small models).
///
/// Each iteration builds a search direction from the last `history` pairs of parameter and gradient
/// differences (the two-loop recursion), then takes a step satisfying the Armijo condition by
/// backtracking. Work is done in Double on a flat copy of the parameters.
public final class LBFGS<Scalar: BLASScalar> {
    /// Why `minimize` stopped.
    public typealias StopReason = LBFGSStopReason

    public let history: Int
    public let maxIterations: Int
    /// Stop when the gradient's infinity norm falls below this.
    public let gradientTolerance: Double
    /// Iterations run by the last `minimize` (each one accepted step).
    public private(set) var iterations = 0
    /// Evaluations of the objective by the last `minimize` (line-search trials included).
    public private(set) var evaluations = 0
    /// Why the last `minimize` stopped.
    public private(set) var stopReason: StopReason = .iterationLimit

    public init(history: Int = 10, maxIterations: Int = 200, gradientTolerance: Double = 1e-9) throws {
        guard history > 0, maxIterations > 0 else { throw TrainingError.invalidConfiguration("L-BFGS needs history and iterations > 0") }
        guard gradientTolerance >= 0, gradientTolerance.isFinite else {
            throw TrainingError.invalidConfiguration("L-BFGS gradient tolerance \(gradientTolerance) must be finite and ≥ 0")
        }
        self.history = history
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    /// Minimizes `objective`, which must set the parameters' gradients (zeroed before each call) and
    /// return the loss. Returns the final loss.
    /// - Throws: `TrainingError.nonFinite` if the loss or gradient becomes NaN/∞.
    @discardableResult
    public func minimize(_ parameters: [Parameter<Scalar>], objective: () throws -> Double) throws -> Double {
        func flatten(_ grad: Bool) -> [Double] {
            var out: [Double] = []
            for p in parameters {
                let t = grad ? (p.variable.grad ?? Tensor(zeros: p.variable.value.shape)) : p.variable.value
                t.withUnsafeBufferPointer { out.append(contentsOf: $0.map(Double.init)) }
            }
            return out
        }
        func assign(_ x: [Double]) {
            var k = 0
            for p in parameters {
                p.variable.value.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] = Scalar(x[k]); k += 1 } }
            }
        }
        func evaluate(_ iteration: Int) throws -> (Double, [Double]) {
            evaluations += 1
            for p in parameters { p.variable.zeroGrad() }
            let f = try objective()
            let g = flatten(true)
            guard f.isFinite, g.allSatisfy({ $0.isFinite }) else {
                throw TrainingError.nonFinite(what: "L-BFGS loss or gradient", epoch: 0, step: iteration, lastFiniteLoss: nil)
            }
            return (f, g)
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

        iterations = 0
        evaluations = 0
        stopReason = .iterationLimit
        var x = flatten(false)
        var (f, g) = try evaluate(0)
        var sList: [[Double]] = [], yList: [[Double]] = [], rhoList: [Double] = []
        for it in 1...maxIterations {
            if g.map(Swift.abs).max() ?? 0 < gradientTolerance { stopReason = .gradientTolerance; break }
            // Two-loop recursion: d = −H·g.
            var q = g
            var alphas = [Double](repeating: 0, count: sList.count)
            for i in stride(from: sList.count - 1, through: 0, by: -1) {
                alphas[i] = rhoList[i] * dot(sList[i], q)
                for j in q.indices { q[j] -= alphas[i] * yList[i][j] }
            }
            let gamma: Double
            if let s = sList.last, let y = yList.last {
                gamma = dot(s, y) / dot(y, y)
            } else {
                gamma = 1 / max(g.map(Swift.abs).max() ?? 1, 1)
            }
            for j in q.indices { q[j] *= gamma }
            for i in 0..<sList.count {
                let beta = rhoList[i] * dot(yList[i], q)
                for j in q.indices { q[j] += sList[i][j] * (alphas[i] - beta) }
            }
            var d = q.map { -$0 }
            var slope = dot(g, d)
            if slope >= 0 { d = g.map { -$0 }; slope = -dot(g, g); sList.removeAll(); yList.removeAll(); rhoList.removeAll() }
            // Backtracking line search on the Armijo condition.
            var step = 1.0
            var xNew = x, fNew = f, gNew = g
            var accepted = false
            for _ in 0..<40 {
                for j in x.indices { xNew[j] = x[j] + step * d[j] }
                assign(xNew)
                (fNew, gNew) = try evaluate(it)
                if fNew <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            if !accepted { assign(x); _ = try evaluate(it); stopReason = .lineSearchFailed; break }
            iterations = it
            let s = zip(xNew, x).map { $0 - $1 }, y = zip(gNew, g).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 {
                sList.append(s); yList.append(y); rhoList.append(1 / sy)
                if sList.count > history { sList.removeFirst(); yList.removeFirst(); rhoList.removeFirst() }
            }
            let improvement = f - fNew
            x = xNew; f = fNew; g = gNew
            if improvement.magnitude <= 1e-15 * max(1, f.magnitude) { stopReason = .noProgress; break }
        }
        if stopReason == .iterationLimit && g.map(Swift.abs).max() ?? 0 < gradientTolerance { stopReason = .gradientTolerance }
        return f
    }
}

/// Why `LBFGS.minimize` stopped.
public enum LBFGSStopReason: String, Codable, Sendable, Equatable {
    /// The gradient's infinity norm fell below `gradientTolerance`: a minimum (to that tolerance).
    case gradientTolerance = "gradient below tolerance"
    /// An accepted step lowered the loss by less than 1e-15 of its value: no further progress.
    case noProgress = "no further decrease of the loss"
    /// No step along the search direction satisfied the Armijo condition in 40 halvings.
    case lineSearchFailed = "line search found no decrease"
    /// `maxIterations` iterations ran: the budget, not convergence, ended the run.
    case iterationLimit = "iteration limit reached"
}

/// What a full-batch L-BFGS run did: iterations run against the budget, and why it stopped.
public struct LBFGSOutcome: Codable, Sendable, Equatable {
    /// Accepted steps.
    public var iterations: Int
    /// The budget (`TrainingConfiguration.lbfgsIterations`).
    public var maxIterations: Int
    /// Evaluations of the loss and gradient, line-search trials included.
    public var evaluations: Int
    public var stopReason: LBFGSStopReason

    public init(iterations: Int, maxIterations: Int, evaluations: Int, stopReason: LBFGSStopReason) {
        self.iterations = iterations
        self.maxIterations = maxIterations
        self.evaluations = evaluations
        self.stopReason = stopReason
    }
}

import CKernels
/// Updates parameters from their gradients. Optimizers keep per-parameter state (velocities, moments)
/// in buffers allocated on the first step and updated in place afterwards.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: BLASScalar
    /// The step size; schedules change it between epochs or steps.
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step(_ parameters: [Parameter<Scalar>]) throws
    /// The state to save in a checkpoint (buffers in parameter order, plus counters).
    var state: OptimizerState<Scalar> { get }
    /// Restores a saved state.
    func restore(_ state: OptimizerState<Scalar>) throws
    /// Called before a backward whose gradients go straight to this optimizer (no clipping, no
    /// synchronization between): an optimizer may point the parameters' gradient buffers at its own
    /// state so the backward's kernels update that state in place (see `SGD`). Returns whether it did;
    /// `step` then takes the primed buffers as they are.
    func prepareGradients(_ parameters: [Parameter<Scalar>]) throws -> Bool
}

extension Optimizer {
    public func prepareGradients(_ parameters: [Parameter<Scalar>]) throws -> Bool { false }
}

/// An optimizer's saved state: named buffers per parameter, and a step counter.
public struct OptimizerState<Scalar: BLASScalar> {
    /// Per-parameter buffers by name, each the shape of its parameter.
    public var buffers: [String: [Tensor<Scalar>]]
    public var steps: Int
    /// Per-parameter numbers by name (one per parameter), kept exactly: SGD's deferred velocity scales.
    public var scalars: [String: [Double]]
    public init(buffers: [String: [Tensor<Scalar>]] = [:], steps: Int = 0, scalars: [String: [Double]] = [:]) {
        self.buffers = buffers
        self.steps = steps
        self.scalars = scalars
    }
}

/// Which optimizer, as chosen on the command line and stored with a model.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, momentum, nesterov, adam, lbfgs
}

/// Plain SGD, momentum (heavy ball) and Nesterov momentum.
///
/// With velocity v and gradient g: momentum is v ← μv + g, p ← p − η·v; Nesterov is
/// v ← μv + g, p ← p − η·(g + μv) (the look-ahead form used by PyTorch); plain SGD is p ← p − η·g, the
/// guide's `a += step_size * a.grad` with the sign of a loss.
///
/// Momentum fuses with the backward when the trainer allows it (`prepareGradients`): each parameter's
/// gradient buffer is its velocity, so the weight-gradient GEMM updates the velocity in place and the
/// gradient is never stored apart and read back; `step` is then p ← p − η·v alone, one axpy. The velocity
/// is kept as a scale s times its buffer w (v = s·w): the step multiplies s by μ and the GEMM adds g/s
/// (its `alpha`, with `beta` 1), because OpenBLAS runs C ← αAB + C much faster than C ← AB + μC (it
/// scales C in a pass of its own: at batch 32 on two threads the weight-gradient GEMM took 127 µs with
/// β = 0.9 and 83 µs with β = 1). When s falls below 2⁻¹⁶, or a gradient came through a kernel that
/// is no GEMM (biases, convolutions, weight decay), the next step folds s back into the buffer with
/// β = μ·s instead. The arithmetic is that of v ← μv + g up to rounding.
public final class SGD<Scalar: BLASScalar>: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let nesterov: Bool
    /// Velocity buffers w; the velocity is `velocityScales[k]`·w (1 except while fused steps defer it).
    @usableFromInline var velocities: [Tensor<Scalar>] = []
    @usableFromInline var velocityScales: [Double] = []
    @usableFromInline var steps = 0
    /// Below this the deferred scale is folded back into the buffer, long before 1/s could overflow.
    static var smallestDeferredScale: Double { 0x1p-16 }

    /// - Throws: `TrainingError.invalidConfiguration` for a non-positive rate or momentum outside [0, 1).
    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false) throws {
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidConfiguration("learning rate \(learningRate) must be positive") }
        guard momentum >= 0, momentum < 1 else { throw TrainingError.invalidConfiguration("momentum \(momentum) must be in [0, 1)") }
        guard !nesterov || momentum > 0 else { throw TrainingError.invalidConfiguration("Nesterov needs momentum > 0") }
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public func prepareGradients(_ parameters: [Parameter<Scalar>]) throws -> Bool {
        guard momentum > 0, !nesterov else { return false }
        allocateVelocities(parameters)
        for (k, p) in parameters.enumerated() {
            let v = p.variable, deferred = momentum * velocityScales[k]
            // Defer μ into the scale only where the last backward reached this parameter through GEMMs
            // alone (they take the 1/s as their alpha for free) and the scale stays far from underflow.
            if v.gradientCameOnlyFromGEMMs && deferred >= Self.smallestDeferredScale {
                let alpha = Scalar(1 / deferred)
                try v.primeGradient(velocities[k], scale: 1, contributionScale: alpha)
                velocityScales[k] = 1 / Double(alpha)   // the scale the buffer now has, rounding included
            } else {
                try v.primeGradient(velocities[k], scale: Scalar(deferred))
                velocityScales[k] = 1
            }
        }
        return true
    }

    func allocateVelocities(_ parameters: [Parameter<Scalar>]) {
        if velocities.count != parameters.count || zip(velocities, parameters).contains(where: { $0.shape != $1.variable.value.shape }) {
            velocities = parameters.map { Tensor(zeros: $0.variable.value.shape) }
            velocityScales = Array(repeating: 1, count: parameters.count)
        } else if velocityScales.count != velocities.count {
            velocityScales = Array(repeating: 1, count: velocities.count)
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ parameters: [Parameter<Scalar>]) throws {
        if momentum > 0 { allocateVelocities(parameters) }
        steps += 1
        let lr = Scalar(learningRate), nesterovMu = Scalar(momentum)
        for (k, p) in parameters.enumerated() {
            guard let g = p.variable.grad else { continue }
            if momentum > 0 && g.sharesStorage(with: velocities[k]) {
                // Primed (`prepareGradients`): the backward left v ← μv + g in the velocity, as s·w:
                // p ← p − η·s·w, as one axpy, which OpenBLAS spreads over its (already running) threads.
                let n = try blasInt(g.count, op: "SGD"), vp = g.unsafeReadPointer, step = -Scalar(learningRate * velocityScales[k])
                p.variable.value.withUnsafeMutableBufferPointer { w in Scalar.axpy(n: n, alpha: step, x: vp, incx: 1, y: w.baseAddress!, incy: 1) }
                continue
            }
            // Unfused: a deferred scale folds into this step's μ.
            let mu = momentum > 0 ? Scalar(momentum * velocityScales[k]) : 0
            if momentum > 0 { velocityScales[k] = 1 }
            let n = g.count, gp = g.unsafeReadPointer
            p.variable.value.withUnsafeMutableBufferPointer { w in
                if momentum == 0 {
                    for i in 0..<n { w[i] -= lr * gp[i] }
                    return
                }
                velocities[k].withUnsafeMutableBufferPointer { v in
                    if nesterov {
                        for i in 0..<n { v[i] = mu * v[i] + gp[i]; w[i] -= lr * (gp[i] + nesterovMu * v[i]) }
                    } else {
                        for i in 0..<n { v[i] = mu * v[i] + gp[i]; w[i] -= lr * v[i] }
                    }
                }
            }
        }
    }

    /// The velocity buffers as they are and, while fused steps defer μ, their scales ("velocity scale":
    /// v = scale·buffer), so a resumed run continues bit for bit.
    public var state: OptimizerState<Scalar> {
        let deferred = velocityScales.contains { $0 != 1 }
        return OptimizerState(buffers: ["velocity": velocities], steps: steps, scalars: deferred ? ["velocity scale": velocityScales] : [:])
    }

    /// The velocities the optimizer holds (v itself: a deferred scale applied to a copy).
    public var currentVelocities: [Tensor<Scalar>] {
        velocities.enumerated().map { k, w -> Tensor<Scalar> in
            let s = k < velocityScales.count ? velocityScales[k] : 1
            guard s != 1 else { return w }
            var copy = Tensor<Scalar>.uninitialized(w.shape)
            copy.withUnsafeMutableBufferPointer { c in
                let src = w.unsafeReadPointer, f = Scalar(s)
                for i in 0..<w.count { c[i] = f * src[i] }
            }
            return copy
        }
    }

    /// - Throws: `LayerError.invalidState` for velocity scales that are not one positive finite number
    ///   per velocity buffer.
    public func restore(_ state: OptimizerState<Scalar>) throws {
        let v = state.buffers["velocity"] ?? []
        let scales = state.scalars["velocity scale"] ?? Array(repeating: 1, count: v.count)
        guard scales.count == v.count, scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw LayerError.invalidState(layer: "optimizer", reason: "\(scales.count) velocity scales for \(v.count) velocities, or one not a positive finite number")
        }
        velocities = v
        velocityScales = scales
        steps = state.steps
    }
}

/// Adam: per-parameter step sizes from running averages of the gradient (m) and its square (v), with
/// bias correction m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) — divided, not multiplied — and p ← p − η·m̂/(√v̂ + ε).
public final class Adam<Scalar: BLASScalar>: Optimizer {
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double
    @usableFromInline var m: [Tensor<Scalar>] = []
    @usableFromInline var v: [Tensor<Scalar>] = []
    @usableFromInline var steps = 0

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws {
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidConfiguration("learning rate \(learningRate) must be positive") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw TrainingError.invalidConfiguration("Adam betas must be in [0, 1)") }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ parameters: [Parameter<Scalar>]) throws {
        if m.count != parameters.count {
            m = parameters.map { Tensor(zeros: $0.variable.value.shape) }
            v = m
        }
        steps += 1
        let t = Double(steps)
        let c1 = 1 - _pow(beta1, t), c2 = 1 - _pow(beta2, t)
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon)
        // Folding both corrections into the step: η·m̂/(√v̂+ε) = (η/c1)·m / (√v/√c2 + ε).
        let lrc = Scalar(learningRate / c1), rc2 = Scalar(1 / c2.squareRoot())
        for (k, p) in parameters.enumerated() {
            guard let g = p.variable.grad else { continue }
            let n = g.count, gp = g.unsafeReadPointer
            p.variable.value.withUnsafeMutableBufferPointer { w in
                m[k].withUnsafeMutableBufferPointer { mp in
                    v[k].withUnsafeMutableBufferPointer { vp in
                        adamUpdate(w.baseAddress!, m: mp.baseAddress!, v: vp.baseAddress!, gradient: gp, count: n,
                                   b1: b1, b2: b2, stepSize: lrc, rootCorrection: rc2, epsilon: eps)
                    }
                }
            }
        }
    }

    public var state: OptimizerState<Scalar> { OptimizerState(buffers: ["m": m, "v": v], steps: steps) }

    public func restore(_ state: OptimizerState<Scalar>) throws {
        m = state.buffers["m"] ?? []
        v = state.buffers["v"] ?? []
        steps = state.steps
    }
}

@usableFromInline
func _pow(_ x: Double, _ y: Double) -> Double { Double.pow(x, y) }

/// Adam's per-element update through the C kernel (packed square roots; see CKernels.h), with a
/// scalar loop for any other scalar type.
@inlinable @inline(__always)
func adamUpdate<S: BLASScalar>(_ w: UnsafeMutablePointer<S>, m: UnsafeMutablePointer<S>, v: UnsafeMutablePointer<S>,
                               gradient g: UnsafePointer<S>, count n: Int,
                               b1: S, b2: S, stepSize lrc: S, rootCorrection rc2: S, epsilon eps: S) {
    if S.self == Float.self {
        circuits_adam_update_f32(UnsafeMutableRawPointer(w).assumingMemoryBound(to: Float.self),
                                 UnsafeMutableRawPointer(m).assumingMemoryBound(to: Float.self),
                                 UnsafeMutableRawPointer(v).assumingMemoryBound(to: Float.self),
                                 UnsafeRawPointer(g).assumingMemoryBound(to: Float.self), n,
                                 b1 as! Float, b2 as! Float, lrc as! Float, rc2 as! Float, eps as! Float)
    } else if S.self == Double.self {
        circuits_adam_update_f64(UnsafeMutableRawPointer(w).assumingMemoryBound(to: Double.self),
                                 UnsafeMutableRawPointer(m).assumingMemoryBound(to: Double.self),
                                 UnsafeMutableRawPointer(v).assumingMemoryBound(to: Double.self),
                                 UnsafeRawPointer(g).assumingMemoryBound(to: Double.self), n,
                                 b1 as! Double, b2 as! Double, lrc as! Double, rc2 as! Double, eps as! Double)
    } else {
        for i in 0..<n {
            let gi = g[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            w[i] -= lrc * m[i] / (v[i].squareRoot() * rc2 + eps)
        }
    }
}

/// Rescales all gradients together so their global L2 norm is at most `maxNorm`; returns the norm
/// before clipping.
@discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
public func clipGradients<Scalar>(_ parameters: [Parameter<Scalar>], maxNorm: Double) -> Double {
    var sumSquares = 0.0
    for p in parameters {
        guard let g = p.variable.grad else { continue }
        g.withUnsafeBufferPointer { for x in $0 { sumSquares += Double(x) * Double(x) } }
    }
    let norm = sumSquares.squareRoot()
    guard norm > maxNorm, norm > 0 else { return norm }
    let scale = Scalar(maxNorm / norm)
    for p in parameters where p.variable.grad != nil {
        let n = p.variable.value.count
        p.variable.accumulateGrad { g, _ in for i in 0..<n { g[i] *= scale } }
    }
    return norm
}

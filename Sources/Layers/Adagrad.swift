import CKernels

/// Adagrad (Duchi, Hazan & Singer 2011): every parameter's step shrinks with the sum of its squared
/// gradients so far, so rarely updated weights (a rare character's column) keep large steps.
///
/// With s the running sum (started at `initialAccumulatorValue`) and η_t = η / (1 + (t − 1)·decay):
///
///     s ← s + g²
///     p ← p − η_t·g / (√s + ε)        PyTorch's `torch.optim.Adagrad` (the default, ε = 1e-10)
///     p ← p − η_t·g / √(s + ε)        with `epsilonInsideSquareRoot` (min-char-rnn's form, ε = 1e-8)
///
/// With `clipValue` every gradient element is first clipped to [−clipValue, clipValue] (Keras's
/// `clipvalue`; min-char-rnn clips to 5): the same numbers as `clipGradientValues(_:limit:)` followed by
/// `step`, in one pass over the gradients instead of two, and the gradients themselves are left as they
/// were.
///
/// The state (`"sum"`, one buffer per parameter, and the step count) is saved in checkpoints like SGD's
/// velocities and Adam's moments.
public final class Adagrad<Scalar: BLASScalar>: Optimizer {
    public var learningRate: Double
    /// PyTorch's `lr_decay`: the rate at step t is η / (1 + (t − 1)·decay).
    public let learningRateDecay: Double
    public let epsilon: Double
    /// The value every sum starts at (PyTorch's `initial_accumulator_value`).
    public let initialAccumulatorValue: Double
    /// Whether ε goes under the square root (√(s + ε), min-char-rnn) or after it (√s + ε, PyTorch).
    public let epsilonInsideSquareRoot: Bool
    /// The bound each gradient element is clipped to before the update (nil: no clipping).
    public let clipValue: Double?
    @usableFromInline var sums: [Tensor<Scalar>] = []
    @usableFromInline var steps = 0

    /// - Throws: `TrainingError.invalidConfiguration` for a non-positive or non-finite rate, a negative
    ///   decay, ε or initial accumulator value, or a clip value that is not a positive finite number.
    public init(learningRate: Double = 0.01, learningRateDecay: Double = 0, epsilon: Double = 1e-10,
                initialAccumulatorValue: Double = 0, epsilonInsideSquareRoot: Bool = false, clipValue: Double? = nil) throws {
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidConfiguration("learning rate \(learningRate) must be positive") }
        guard learningRateDecay >= 0, learningRateDecay.isFinite else {
            throw TrainingError.invalidConfiguration("Adagrad learning-rate decay \(learningRateDecay) must be ≥ 0")
        }
        guard epsilon >= 0, epsilon.isFinite else { throw TrainingError.invalidConfiguration("Adagrad epsilon \(epsilon) must be ≥ 0") }
        guard initialAccumulatorValue >= 0, initialAccumulatorValue.isFinite else {
            throw TrainingError.invalidConfiguration("Adagrad initial accumulator value \(initialAccumulatorValue) must be ≥ 0")
        }
        if let clipValue, !(clipValue > 0 && clipValue.isFinite) {
            throw TrainingError.invalidConfiguration("gradient clip value \(clipValue) must be positive")
        }
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.epsilon = epsilon
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilonInsideSquareRoot = epsilonInsideSquareRoot
        self.clipValue = clipValue
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ parameters: [Parameter<Scalar>]) throws {
        if sums.count != parameters.count {
            sums = parameters.map { Tensor(repeating: Scalar(initialAccumulatorValue), shape: $0.variable.value.shape) }
        }
        steps += 1
        let rate = Scalar(learningRate / (1 + Double(steps - 1) * learningRateDecay)), eps = Scalar(epsilon)
        let limit = clipValue.map { Scalar($0) } ?? .infinity
        for (k, p) in parameters.enumerated() {
            guard let g = p.variable.grad else { continue }
            guard sums[k].shape == g.shape else {
                throw TrainingError.invalidConfiguration("Adagrad state for \(p.name) has shape \(sums[k].shape), its gradient \(g.shape)")
            }
            let n = g.count, gp = g.unsafeReadPointer
            p.variable.value.withUnsafeMutableBufferPointer { w in
                sums[k].withUnsafeMutableBufferPointer { s in
                    adagradUpdate(w.baseAddress!, sum: s.baseAddress!, gradient: gp, count: n, rate: rate, epsilon: eps,
                                  epsilonInside: epsilonInsideSquareRoot, limit: limit)
                }
            }
        }
    }

    public var state: OptimizerState<Scalar> { OptimizerState(buffers: ["sum": sums], steps: steps) }

    public func restore(_ state: OptimizerState<Scalar>) throws {
        sums = state.buffers["sum"] ?? []
        steps = state.steps
    }
}

/// Adagrad's per-element update through the C kernel (packed square roots; see CKernels.h), each gradient
/// element clipped to [−limit, limit] first (+∞: not clipped).
@inlinable @inline(__always)
func adagradUpdate<S: BLASScalar>(_ w: UnsafeMutablePointer<S>, sum s: UnsafeMutablePointer<S>, gradient g: UnsafePointer<S>,
                                  count n: Int, rate: S, epsilon: S, epsilonInside: Bool, limit: S) {
    if S.self == Float.self {
        circuits_adagrad_update_f32(UnsafeMutableRawPointer(w).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(s).assumingMemoryBound(to: Float.self),
                                    UnsafeRawPointer(g).assumingMemoryBound(to: Float.self), n,
                                    rate as! Float, epsilon as! Float, epsilonInside ? 1 : 0, limit as! Float)
    } else if S.self == Double.self {
        circuits_adagrad_update_f64(UnsafeMutableRawPointer(w).assumingMemoryBound(to: Double.self),
                                    UnsafeMutableRawPointer(s).assumingMemoryBound(to: Double.self),
                                    UnsafeRawPointer(g).assumingMemoryBound(to: Double.self), n,
                                    rate as! Double, epsilon as! Double, epsilonInside ? 1 : 0, limit as! Double)
    } else {
        for i in 0..<n {
            let gi = g[i] < -limit ? -limit : (g[i] > limit ? limit : g[i])
            s[i] += gi * gi
            let root = epsilonInside ? (s[i] + epsilon).squareRoot() : s[i].squareRoot() + epsilon
            w[i] -= rate * gi / root
        }
    }
}

/// A wire of the vectorized circuit: a tensor value and, after `Tape.backward`, its gradient.
///
/// Parameters are variables that outlive one step; create them with `Variable(_:)` (no tape) and use
/// them in operations with variables of a tape. Operations record onto the tape of any operand that
/// has one; with no tape among the operands nothing is recorded (inference).
public final class Variable<Scalar: BLASScalar> {
    /// The value on the wire.
    public var value: Tensor<Scalar>
    /// Whether gradients flow into this variable.
    public let requiresGrad: Bool
    /// The tape that records operations on this variable (nil for parameters and constants).
    public private(set) weak var tape: Tape<Scalar>?

    @usableFromInline var gradBuffer: Tensor<Scalar>?
    @usableFromInline var gradIsValid = false
    /// Set by `primeGradient`: the buffer holds a base the first contribution of the next backward
    /// scales by this before adding to it.
    @usableFromInline var primedScale: Scalar? = nil
    /// Set by `primeGradient`: every contribution of the backward enters the buffer multiplied by this
    /// (1 otherwise). Kept after the backward, so a late contribution (weight decay) is scaled too.
    @usableFromInline var contributionScale: Scalar = 1
    /// Whether every contribution since `primeGradient` came through `accumulateGradGEMM`.
    @usableFromInline var onlyGEMMContributions = true
    /// Whether the gradient buffer is shared on purpose (an optimizer's state, given by
    /// `primeGradient`): written in place, never copied on write.
    @usableFromInline var gradBufferIsShared = false
    /// Whether the gradient buffer belongs to this variable for good (parameters) or to the tape's arena.
    @usableFromInline let ownsGradBuffer: Bool

    /// A variable not bound to any tape: a parameter (`requiresGrad: true`) or a constant.
    public init(_ value: Tensor<Scalar>, requiresGrad: Bool = true) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.tape = nil
        self.ownsGradBuffer = true
    }

    @usableFromInline
    init(_ value: Tensor<Scalar>, requiresGrad: Bool, tape: Tape<Scalar>?) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.tape = tape
        self.ownsGradBuffer = tape == nil
    }

    /// The accumulated gradient, or nil if backward has not reached this variable since `zeroGrad()`.
    public var grad: Tensor<Scalar>? { gradIsValid ? gradBuffer : nil }

    /// Forgets the gradient (keeps the buffer, so the next backward writes into it without allocating).
    @inlinable public func zeroGrad() {
        gradIsValid = false
        primedScale = nil
        contributionScale = 1
    }

    /// Makes `buffer` (shared, written in place) the gradient buffer of the next backward, holding a
    /// base that is scaled by `scale` before the first contribution adds to it, each contribution
    /// multiplied by `contributionScale`: after the backward it holds
    /// `scale·base + contributionScale·gradient`. An optimizer with momentum primes each parameter with
    /// its velocity, so the weight-gradient GEMM updates the velocity in place (its `alpha` and `beta`)
    /// and the gradient is never written and read back. `settlePrimedGradient()` applies the scale to a
    /// buffer no contribution reached; `onlyGEMMContributions` tells afterwards whether every
    /// contribution came through a GEMM (`accumulateGradGEMM`), where the scales cost nothing.
    public func primeGradient(_ buffer: Tensor<Scalar>, scale: Scalar, contributionScale: Scalar = 1) throws {
        guard buffer.shape == value.shape else { throw TensorError.shapeMismatch(op: "primeGradient", lhs: value.shape, rhs: buffer.shape) }
        guard scale.isFinite, contributionScale.isFinite, contributionScale != 0 else {
            throw TensorError.invalidArgument(op: "primeGradient", reason: "scales must be finite and the contribution scale non-zero, got \(scale) and \(contributionScale)")
        }
        gradBuffer = buffer
        gradBufferIsShared = true
        gradIsValid = false
        primedScale = scale
        self.contributionScale = contributionScale
        onlyGEMMContributions = true
    }

    /// Whether every gradient contribution since `primeGradient` came through a GEMM's own `alpha` and
    /// `beta` (none needed a pass of its own over the buffer).
    public var gradientCameOnlyFromGEMMs: Bool { onlyGEMMContributions }

    /// After a backward: a primed buffer that no contribution reached still becomes `scale·base`.
    public func settlePrimedGradient() {
        guard let s = primedScale else { return }
        scaleGradientBuffer(by: s)
        primedScale = nil
        gradIsValid = true
    }

    @usableFromInline func scaleGradientBuffer(by s: Scalar) {
        guard s != 1, let buffer = gradBuffer else { return }
        let p = buffer.unsafeWritePointer, n = buffer.count
        for i in 0..<n { p[i] *= s }
    }

    /// Sets the gradient, for optimizers and tests that supply one.
    public func setGrad(_ g: Tensor<Scalar>) throws {
        guard g.shape == value.shape else { throw TensorError.shapeMismatch(op: "setGrad", lhs: value.shape, rhs: g.shape) }
        gradBuffer = g
        gradBufferIsShared = false
        gradIsValid = true
        primedScale = nil
        contributionScale = 1
    }

    /// Gives `body` the gradient buffer to write and whether it must add (`true`: a gradient is already
    /// there, the guide's branching wire) or may overwrite (`false`). Then marks the gradient valid.
    @inlinable
    public func accumulateGrad(_ body: (UnsafeMutablePointer<Scalar>, _ add: Bool) throws -> Void) rethrows {
        guard requiresGrad else { return }
        onlyGEMMContributions = false
        if contributionScale != 1 {
            // A contribution that cannot scale itself: bring the buffer to the contribution's units, add,
            // and scale back (two passes; the optimizer stops asking for this where it happens).
            let a = contributionScale
            if let s = primedScale { scaleGradientBuffer(by: s / a); primedScale = nil } else { scaleGradientBuffer(by: 1 / a) }
            try body(gradBuffer!.unsafeWritePointer, true)
            scaleGradientBuffer(by: a)
            gradIsValid = true
            return
        }
        if primedScale != nil {
            settlePrimedGradient()   // the base scaled, then the contribution added
            try body(gradBuffer!.unsafeWritePointer, true)
            return
        }
        if gradBuffer == nil || gradBuffer!.shape != value.shape {
            gradBuffer = (!ownsGradBuffer ? tape?.allocate(value.shape) : nil) ?? Tensor.uninitialized(value.shape)
            gradBufferIsShared = false
            gradIsValid = false
        } else if ownsGradBuffer && !gradBufferIsShared {
            // The optimizer or the user may hold a copy of the last gradient: copy-on-write before writing.
            gradBuffer!.makeUnique()
        }
        try body(gradBuffer!.unsafeWritePointer, gradIsValid)
        gradIsValid = true
    }

    /// `accumulateGrad` for kernels that end in a GEMM, C ← α·A·B + β·C: `body` receives the buffer, the
    /// α and the β to use — α is 1 unless a primed buffer asks for scaled contributions; β is 0 for a
    /// fresh gradient, 1 to add to one, or a primed buffer's scale — so the scaling rides on the GEMM
    /// instead of a pass of its own.
    @inlinable
    public func accumulateGradGEMM(_ body: (UnsafeMutablePointer<Scalar>, _ alpha: Scalar, _ beta: Scalar) throws -> Void) rethrows {
        guard requiresGrad else { return }
        if let s = primedScale {
            primedScale = nil
            try body(gradBuffer!.unsafeWritePointer, contributionScale, s)
            gradIsValid = true
            return
        }
        if contributionScale != 1 {
            try body(gradBuffer!.unsafeWritePointer, contributionScale, 1)
            return
        }
        let onlyGEMM = onlyGEMMContributions
        try accumulateGrad { g, add in try body(g, 1, add ? 1 : 0) }
        onlyGEMMContributions = onlyGEMM
    }

    /// Adds `g` to the gradient (allocating it on first use).
    @inlinable
    public func accumulate(_ g: Tensor<Scalar>) throws {
        guard requiresGrad else { return }
        guard g.shape == value.shape else { throw TensorError.shapeMismatch(op: "accumulate gradient", lhs: value.shape, rhs: g.shape) }
        let src = g.unsafeReadPointer, n = g.count
        accumulateGrad { dst, add in
            if add { for i in 0..<n { dst[i] += src[i] } } else { dst.update(from: src, count: n) }
        }
    }

    /// The tape shared by `operands`, if any has one.
    @inlinable
    static func tape(of operands: Variable...) -> Tape<Scalar>? {
        for v in operands { if let t = v.tape { return t } }
        return nil
    }

    /// Whether any operand needs a gradient (if none does, no backward kernel is recorded).
    @inlinable
    static func anyRequiresGrad(_ operands: Variable...) -> Bool { operands.contains { $0.requiresGrad } }

    // MARK: Recording ops (used by every op file's recorder)

    /// Wraps a forward result; if any input needs a gradient and a tape is present, records `backward`,
    /// which receives the output's gradient (only called when the output's gradient was reached).
    @inlinable
    public static func record(_ value: Tensor<Scalar>, inputs: [Variable],
                              backward: @escaping (_ dy: Tensor<Scalar>) throws -> Void) -> Variable {
        var tape: Tape<Scalar>? = nil
        var needs = false
        for v in inputs {
            if tape == nil { tape = v.tape }
            needs = needs || v.requiresGrad
        }
        let out = Variable(value, requiresGrad: needs && tape != nil, tape: tape)
        if needs, let tape {
            tape.record { [out] in
                guard let dy = out.grad else { return }
                try backward(dy)
            }
        }
        return out
    }

    /// A fresh output buffer from the tape's arena of any operand (or the heap without a tape).
    @inlinable
    static func outputBuffer(_ shape: [Int], _ operands: Variable...) -> Tensor<Scalar> {
        for v in operands { if let t = v.tape { return t.allocate(shape) } }
        return Tensor.uninitialized(shape)
    }

    /// An elementwise op y = f(x) with a closure for its derivative (the scalar-constant ops `x·s`, `x + s`;
    /// functions with a name belong in `UnaryFunction`). The output lives in the tape's arena and the
    /// backward adds `gradient(dy, x, y)` into x's gradient buffer, so a warm step allocates nothing.
    @inlinable @inline(__always)
    func elementwise(_ f: (Scalar) -> Scalar,
                     gradient: @escaping (_ dy: Scalar, _ x: Scalar, _ y: Scalar) -> Scalar) -> Variable {
        let x = self
        let y = Variable.outputBuffer(x.value.shape, x)
        let n = x.value.count
        let xp = x.value.unsafeReadPointer, yp = y.unsafeWritePointer
        for i in 0..<n { yp[i] = f(xp[i]) }
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer, xs = x.value.unsafeReadPointer, ys = y.unsafeReadPointer
            x.accumulateGrad { g, add in UnaryFunction.each(d, xs, ys, g, n, add, gradient) }
        }
    }
}

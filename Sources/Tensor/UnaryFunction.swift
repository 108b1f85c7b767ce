import CKernels

// The table of elementwise functions y = f(x): each case's forward and its derivative are written once,
// here, and serve the plain `Tensor` op, the recorded `Variable` op, the activation layer, the
// command line's activation names and the gradient-check catalogue.
//
// Adding an activation is adding a case: its name, its forward loop, its derivative loop, and a line in
// `catalogue`.

/// An elementwise function with its derivative.
///
/// Derivatives are written with whichever of x and y = f(x) is cheaper (σ′ = y(1 − y), tanh′ = 1 − y²).
/// The forward and the backward are each one loop per case, dispatched once per buffer, so the loops
/// specialize and vectorize for `Float` and `Double`.
public enum UnaryFunction: Hashable, Codable, Sendable, CustomStringConvertible {
    /// max(0, x); NaN propagates. The guide's ReLU neuron.
    case relu
    /// x for x > 0, slope·x otherwise.
    case leakyRelu(slope: Double)
    /// σ(x) = 1/(1 + e⁻ˣ).
    case sigmoid
    /// tanh x.
    case tanh
    /// ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so it never overflows.
    case softplus
    /// x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2015).
    case elu(alpha: Double)
    /// GELU in its tanh form, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel 2016), as
    /// PyTorch's `GELU(approximate="tanh")`.
    case gelu
    /// x·σ(x), also "swish" (Ramachandran et al. 2017; Elfwing et al. 2018).
    case silu
    /// eˣ.
    case exp
    /// ln x.
    case log
    /// |x|; the derivative is sign(x), 0 at 0 (the subgradient L1 uses).
    case abs
    /// √x.
    case sqrt
    /// xᵖ.
    case pow(Double)
    /// max(x, c) for a constant c (the guide's max gate against a constant).
    case maximum(Double)

    /// Every function with representative parameters: the gradient-check catalogue checks each.
    public static let catalogue: [UnaryFunction] = [
        .relu, .leakyRelu(slope: 0.1), .sigmoid, .tanh, .softplus, .elu(alpha: 1), .gelu, .silu,
        .exp, .log, .abs, .sqrt, .pow(2), .pow(3), .pow(2.5), .maximum(0.05),
    ]

    /// The functions that work as activation layers, by the names `--model` uses (`mlp:256:gelu`).
    /// Parameterized ones take their usual default (leaky slope 0.01, ELU α 1), as in PyTorch.
    public static let activations: [(name: String, function: UnaryFunction)] = [
        ("relu", .relu), ("leaky-relu", .leakyRelu(slope: 0.01)), ("sigmoid", .sigmoid), ("tanh", .tanh),
        ("softplus", .softplus), ("elu", .elu(alpha: 1)), ("gelu", .gelu), ("silu", .silu),
    ]

    /// The activation called `name` (see `activations`), or nil.
    public init?(activation name: String) {
        guard let f = Self.activations.first(where: { $0.name == name })?.function else { return nil }
        self = f
    }

    /// Whether the function is only defined (or only differentiable) for x > 0.
    public var needsPositiveInput: Bool {
        switch self {
        case .log, .sqrt: return true
        case let .pow(p): return p != p.rounded()
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .relu: return "relu"
        case let .leakyRelu(slope): return "leaky-relu(\(slope))"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softplus: return "softplus"
        case let .elu(alpha): return "elu(\(alpha))"
        case .gelu: return "gelu"
        case .silu: return "silu"
        case .exp: return "exp"
        case .log: return "log"
        case .abs: return "abs"
        case .sqrt: return "sqrt"
        case let .pow(p): return "pow(\(p))"
        case let .maximum(c): return "maximum(\(c))"
        }
    }

    /// The function's name as a PyTorch module ("ReLU", "GELU(tanh)"), as model summaries show it.
    public var moduleName: String {
        switch self {
        case .relu: return "ReLU"
        case let .leakyRelu(slope): return "LeakyReLU(\(slope))"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .softplus: return "Softplus"
        case let .elu(alpha): return "ELU(\(alpha))"
        case .gelu: return "GELU(tanh)"
        case .silu: return "SiLU"
        default: return "Activation(\(description))"
        }
    }

    // MARK: Forward

    /// y = f(x) over `n` scalars. `x` and `y` may be the same buffer.
    @inlinable
    public func forward<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
        switch self {
        case .relu: reluForwardKernel(x, y, count: n)
        case let .leakyRelu(slope):
            let a = S(slope)
            for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : a * v }
        case .sigmoid: sigmoidKernel(x, y, count: n)
        case .tanh: tanhKernel(x, y, count: n)
        case .softplus:
            for i in 0..<n { let v = x[i]; y[i] = Swift.max(v, 0) + S.log1p(S.exp(-Swift.abs(v))) }
        case let .elu(alpha):
            let a = S(alpha)
            for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : a * (S.exp(v) - 1) }
        case .gelu:
            for i in 0..<n { let v = x[i]; y[i] = v * (1 + S.tanh(Self.geluInner(v))) / 2 }
        case .silu:
            for i in 0..<n { let v = x[i]; y[i] = v * Self.logisticSigmoid(v) }
        case .exp: for i in 0..<n { y[i] = S.exp(x[i]) }
        case .log: for i in 0..<n { y[i] = S.log(x[i]) }
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
        case let .pow(p):
            if p == 2 { for i in 0..<n { y[i] = x[i] * x[i] }; return }
            let e = S(p)
            for i in 0..<n { y[i] = S.pow(x[i], e) }
        case let .maximum(c):
            let k = S(c)
            for i in 0..<n { y[i] = Swift.max(x[i], k) }
        }
    }

    /// y = f(x) over `n` scalars, cut into runs across threads when there are enough of them
    /// (`Parallel`; large conv maps): elementwise, so the result does not depend on the cut.
    @inlinable
    public func forward<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int, parallel: Bool) {
        guard parallel else { return forward(x, y, count: n) }
        Parallel.run(n, parts: Parallel.parts(n, cost: 1)) { _, r in
            forward(x + r.lowerBound, y + r.lowerBound, count: r.count)
        }
    }

    // MARK: Backward

    /// g ← (add ? g : 0) + dy ⊙ f′(x), given the forward's input `x` and output `y`.
    ///
    /// Every operand is loaded before a comparison looks at it, so the selects (ReLU, leaky ReLU, ELU,
    /// |x|, max) compile to vector blends rather than a branch per element (see `Kernels+ReLU`).
    @inlinable
    public func backward<S: BLASScalar>(_ dy: UnsafePointer<S>, input x: UnsafePointer<S>, output y: UnsafePointer<S>,
                                        into g: UnsafeMutablePointer<S>, count n: Int, add: Bool) {
        switch self {
        case .relu: reluBackwardKernel(dy, input: x, into: g, count: n, add: add)
        case let .leakyRelu(slope):
            let a = S(slope)
            Self.each(dy, x, y, g, n, add) { d, x, _ in x > 0 ? d : a * d }
        case .sigmoid: Self.each(dy, x, y, g, n, add) { d, _, s in d * s * (1 - s) }
        case .tanh: Self.each(dy, x, y, g, n, add) { d, _, t in d * (1 - t * t) }
        // d/dx ln(1 + eˣ) = σ(x).
        case .softplus: Self.each(dy, x, y, g, n, add) { d, x, _ in d * Self.logisticSigmoid(x) }
        // For x ≤ 0, d/dx α(eˣ − 1) = αeˣ = y + α.
        case let .elu(alpha):
            let a = S(alpha)
            Self.each(dy, x, y, g, n, add) { d, x, y in x > 0 ? d : d * (y + a) }
        // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x(1 − tanh² u)·u′, u′ = √(2/π)(1 + 3·0.044715x²).
        case .gelu:
            let c = S(Self.geluScale), k = S(3 * Self.geluCubic)
            Self.each(dy, x, y, g, n, add) { d, x, _ in
                let t = S.tanh(Self.geluInner(x))
                return d * ((1 + t) + x * (1 - t * t) * c * (1 + k * x * x)) / 2
            }
        // d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x))).
        case .silu:
            Self.each(dy, x, y, g, n, add) { d, x, _ in
                let s = Self.logisticSigmoid(x)
                return d * s * (1 + x * (1 - s))
            }
        case .exp: Self.each(dy, x, y, g, n, add) { d, _, y in d * y }
        case .log: Self.each(dy, x, y, g, n, add) { d, x, _ in d / x }
        case .abs: Self.each(dy, x, y, g, n, add) { d, x, _ in x > 0 ? d : (x < 0 ? -d : 0) }
        case .sqrt: Self.each(dy, x, y, g, n, add) { d, _, r in d / (2 * r) }
        case let .pow(p):
            if p == 2 { Self.each(dy, x, y, g, n, add) { d, x, _ in d * 2 * x }; return }
            let e = S(p)
            Self.each(dy, x, y, g, n, add) { d, x, _ in d * e * S.pow(x, e - 1) }
        case let .maximum(c):
            let k = S(c)
            Self.each(dy, x, y, g, n, add) { d, x, _ in x > k ? d : 0 }
        }
    }

    /// g ← (add ? g : 0) + gradient(dy, x, y), elementwise.
    @inlinable @inline(__always)
    static func each<S: BLASScalar>(_ dy: UnsafePointer<S>, _ x: UnsafePointer<S>, _ y: UnsafePointer<S>,
                                    _ g: UnsafeMutablePointer<S>, _ n: Int, _ add: Bool,
                                    _ gradient: (_ dy: S, _ x: S, _ y: S) -> S) {
        if add {
            for i in 0..<n { g[i] += gradient(dy[i], x[i], y[i]) }
        } else {
            for i in 0..<n { g[i] = gradient(dy[i], x[i], y[i]) }
        }
    }

    // MARK: Scalar helpers

    /// √(2/π), the GELU tanh form's scale.
    @usableFromInline static let geluScale = 0.7978845608028654
    /// The cubic coefficient of the GELU tanh form.
    @usableFromInline static let geluCubic = 0.044715

    /// √(2/π)(x + 0.044715x³).
    @inlinable @inline(__always)
    static func geluInner<S: BLASScalar>(_ x: S) -> S { S(geluScale) * (x + S(geluCubic) * x * x * x) }

    /// σ(x) without overflow for large |x|.
    @inlinable @inline(__always)
    static func logisticSigmoid<S: BLASScalar>(_ x: S) -> S {
        if x >= 0 { return 1 / (1 + S.exp(-x)) }
        let e = S.exp(x)
        return e / (1 + e)
    }
}

extension Tensor {
    /// f applied to every scalar (a fresh tensor).
    @inlinable
    public func apply(_ f: UnaryFunction) -> Tensor {
        let out = Tensor.uninitialized(shape)
        f.forward(unsafeReadPointer, out.unsafeWritePointer, count: count, parallel: true)
        return out
    }

    /// max(0, x): the rectified linear unit. NaN stays NaN.
    @inlinable public func relu() -> Tensor { apply(.relu) }
    /// x for x > 0, slope·x otherwise.
    @inlinable public func leakyRelu(slope: Scalar) -> Tensor { apply(.leakyRelu(slope: Double(slope))) }
    /// σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
    @inlinable public func sigmoid() -> Tensor { apply(.sigmoid) }
    /// Hyperbolic tangent.
    @inlinable public func tanh() -> Tensor { apply(.tanh) }
    /// eˣ.
    @inlinable public func exp() -> Tensor { apply(.exp) }
    /// Natural logarithm.
    @inlinable public func log() -> Tensor { apply(.log) }
    /// |x|.
    @inlinable public func abs() -> Tensor { apply(.abs) }
    /// √x.
    @inlinable public func sqrt() -> Tensor { apply(.sqrt) }
    /// xᵖ.
    @inlinable public func pow(_ p: Scalar) -> Tensor { apply(.pow(Double(p))) }
    /// Elementwise maximum with a constant (`max(x, 0)` is ReLU).
    @inlinable public func maximum(_ c: Scalar) -> Tensor { apply(.maximum(Double(c))) }
}

extension Variable {
    /// y = f(x), recorded: the forward writes into a buffer of the tape's arena and the backward adds
    /// dy ⊙ f′(x) into x's gradient buffer, so a warm training step allocates nothing for it.
    @inlinable
    public func apply(_ f: UnaryFunction) -> Variable {
        let x = self
        let y = Variable.outputBuffer(x.value.shape, x)
        let n = x.value.count
        f.forward(x.value.unsafeReadPointer, y.unsafeWritePointer, count: n, parallel: true)
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer, xs = x.value.unsafeReadPointer, ys = y.unsafeReadPointer
            x.accumulateGrad { g, add in
                // Elementwise, so a cut into runs (`Parallel`) gives the same result for any thread count.
                Parallel.run(n, parts: Parallel.parts(n, cost: 1)) { _, r in
                    f.backward(d + r.lowerBound, input: xs + r.lowerBound, output: ys + r.lowerBound,
                               into: g + r.lowerBound, count: r.count, add: add)
                }
            }
        }
    }

    /// max(0, x) (the training step's hot path: SIMD kernels both ways).
    @inlinable public func relu() -> Variable { apply(.relu) }
    /// x for x > 0, slope·x otherwise.
    @inlinable public func leakyRelu(slope: Scalar = 0.01) -> Variable { apply(.leakyRelu(slope: Double(slope))) }
    /// σ(x); dσ = σ(1 − σ), from the output.
    @inlinable public func sigmoid() -> Variable { apply(.sigmoid) }
    /// tanh(x); d tanh = 1 − y², from the output.
    @inlinable public func tanh() -> Variable { apply(.tanh) }
    @inlinable public func exp() -> Variable { apply(.exp) }
    @inlinable public func log() -> Variable { apply(.log) }
    @inlinable public func abs() -> Variable { apply(.abs) }
    @inlinable public func sqrt() -> Variable { apply(.sqrt) }
    @inlinable public func pow(_ p: Scalar) -> Variable { apply(.pow(Double(p))) }
    @inlinable public func maximum(_ c: Scalar) -> Variable { apply(.maximum(Double(c))) }
}

// MARK: Kernels of the hot activations

// ReLU kernels for the training step, written as plain loops over pointers with a compare-and-select
// per element (no early exits, no `where` filters), which LLVM turns into vector blends once the
// caller is specialized for Float or Double.
//
// NaN propagates through the forward (`x < 0 ? 0 : x`), so a diverged layer shows up in the loss and
// stops training instead of being silently zeroed.

@inlinable @inline(__always)
func reluForwardKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    for i in 0..<n {
        let v = x[i]
        y[i] = v < 0 ? 0 : v
    }
}

/// g ← (add ? g : 0) + (x > 0 ? dy : 0).
@inlinable @inline(__always)
func reluBackwardKernel<S: BLASScalar>(_ dy: UnsafePointer<S>, input x: UnsafePointer<S>, into g: UnsafeMutablePointer<S>,
                                       count n: Int, add: Bool) {
    // dy[i] is loaded before the compare, not inside it: a load under a condition may not be
    // speculated, so `x[i] > 0 ? dy[i] : 0` compiles to a branch per element, mispredicted about half the
    // time on a layer's pre-activations (measured 3.5 ns per element, a sixth of a batch-512 step).
    if add {
        for i in 0..<n { let d = dy[i], v = x[i]; g[i] += v > 0 ? d : 0 }
    } else {
        for i in 0..<n { let d = dy[i], v = x[i]; g[i] = v > 0 ? d : 0 }
    }
}

// σ and tanh over a buffer. For Float they run the C kernels (CKernels.h), which vectorize their own
// e^x; libm's expf/tanhf are scalar calls, and a tanh layer spent more time in them than in its GEMMs.
// Double keeps libm: it is the precision gradient checks and reference runs use.

@inlinable @inline(__always)
func sigmoidKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    if S.self == Float.self {
        circuits_sigmoid_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                             UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    } else {
        for i in 0..<n { y[i] = UnaryFunction.logisticSigmoid(x[i]) }
    }
}

@inlinable @inline(__always)
func tanhKernel<S: BLASScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    if S.self == Float.self {
        circuits_tanh_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                          UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    } else if S.self == Double.self {
        circuits_tanh_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self),
                          UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), n)
    } else {
        for i in 0..<n { y[i] = S.tanh(x[i]) }
    }
}

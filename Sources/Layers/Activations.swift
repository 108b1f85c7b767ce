/// max(0, x) — the guide's ReLU neuron nonlinearity.
public final class ReLU<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x.relu() }
    public var spec: LayerSpec { .relu }
}

/// x for x > 0, slope·x otherwise.
public final class LeakyReLU<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public let slope: Scalar
    public init(slope: Scalar = 0.01) { self.slope = slope }
    public var parameters: [Parameter<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x.leakyRelu(slope: slope) }
    public var spec: LayerSpec { .leakyRelu(slope: Double(slope)) }
}

/// σ(x) = 1 / (1 + e⁻ˣ).
public final class Sigmoid<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x.sigmoid() }
    public var spec: LayerSpec { .sigmoid }
}

/// tanh(x).
public final class Tanh<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { x.tanh() }
    public var spec: LayerSpec { .tanh }
}

/// Flattens each example to a vector: `[C, H, W]` → `[C·H·W]`, in row-major (C, H, W) order as PyTorch's
/// `nn.Flatten` does, so a dense layer after it has PyTorch's weight layout. A view: no copy.
public struct FlattenConfiguration: LayerConfiguration, Equatable {
    public static let kind = "flatten"

    public init() {}

    public var description: String { "Flatten" }

    public func outputShape(for input: [Int]) throws -> [Int] { [input.reduce(1, *)] }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer Flatten", inputs: [[2, 3, 2, 2]]) { _, v in try Flatten<Double>().forward(v[0]) }]
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        Flatten<Scalar>()
    }
}

extension LayerSpec {
    /// Flattens each example to a vector.
    public static var flatten: LayerSpec { LayerSpec(FlattenConfiguration()) }
}

/// The flatten layer: reshapes a batch `[n, d₁, d₂, …]` to `[n, d₁·d₂·…]` (shared storage; the gradient
/// flows back through the same reshape).
public final class Flatten<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    public var spec: LayerSpec { .flatten }

    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { try x.reshaped([x.value.rows, x.value.columns]) }
}

/// Global average pooling: images `[C, H, W]` → `[C]`, the mean of each channel's plane (PyTorch's
/// `nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()`). A network that ends in it takes images of
/// any size.
public struct GlobalAveragePoolConfiguration: LayerConfiguration, Equatable {
    public static let kind = "globalavgpool"

    public init() {}

    public var description: String { "GlobalAvgPool" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3, input.allSatisfy({ $0 > 0 }) else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input, expected: "images [C, H, W]")
        }
        return [input[0]]
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return GlobalAveragePool<Scalar>()
    }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer GlobalAvgPool on 3×5", inputs: [[2, 3, 3, 5]]) { _, v in try GlobalAveragePool<Double>().forward(v[0]) }]
    }
}

extension LayerSpec {
    /// Global average pooling ([C, H, W] → [C]).
    public static var globalAveragePool: LayerSpec { LayerSpec(GlobalAveragePoolConfiguration()) }
}

/// The global-average-pooling layer (no parameters).
public final class GlobalAveragePool<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    public var spec: LayerSpec { .globalAveragePool }

    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> { try x.globalAveragePool() }
}

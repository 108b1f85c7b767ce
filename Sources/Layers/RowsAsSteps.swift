/// Views each example as a sequence of its rows: `[C, H, W]` → `[C·H, W]` (`[H, W]` unchanged), so a
/// recurrent layer reads an image row by row — Fashion-MNIST as 28 steps of 28 features. A view: no copy.
public struct RowsAsStepsConfiguration: LayerConfiguration, Equatable {
    public static let kind = "rows_as_steps"

    public init() {}

    public var description: String { "RowsAsSteps" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count >= 2 else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input, expected: "examples with rows ([H, W] or [C, H, W])")
        }
        return [input.dropLast().reduce(1, *), input[input.count - 1]]
    }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer RowsAsSteps", inputs: [[2, 1, 3, 2]]) { _, v in try RowsAsSteps<Double>().forward(v[0]) }]
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        RowsAsSteps<Scalar>()
    }
}

extension LayerSpec {
    /// Rows as time steps: `[C, H, W]` → `[C·H, W]`.
    public static var rowsAsSteps: LayerSpec { LayerSpec(RowsAsStepsConfiguration()) }
}

/// The layer `RowsAsStepsConfiguration` builds: reshapes a batch `[n, …, W]` to `[n, rows, W]`.
public final class RowsAsSteps<Scalar: BLASScalar>: Layer {
    public var isTraining = true
    public init() {}
    public var parameters: [Parameter<Scalar>] { [] }
    public var spec: LayerSpec { .rowsAsSteps }

    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let s = x.value.shape
        guard s.count >= 3 else { throw TensorError.invalidShape(op: "rows as steps", shape: s, expected: "[batch, …, rows, width]") }
        return try x.reshaped([s[0], s.dropFirst().dropLast().reduce(1, *), s[s.count - 1]])
    }
}

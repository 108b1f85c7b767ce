/// Max pooling over windows of images `[C, H, W]` (PyTorch's `nn.MaxPool2d`): kernel, stride (default
/// the kernel), padding (at most half the window, padding counts as −∞), dilation. Overlapping windows
/// (3×3 stride 2) are allowed; the argmax kept in the forward routes the gradient.
public struct MaxPool2DConfiguration: LayerConfiguration, Equatable {
    public static let kind = "maxpool2d"
    public var kernel: Size2D
    public var stride: Size2D
    public var padding: Padding2D
    public var dilation: Size2D

    public init(kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero, dilation: Size2D = 1) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.dilation = dilation
    }

    var window: Window2D { Window2D(kernel: kernel, stride: stride, padding: padding, dilation: dilation) }

    public var description: String { "MaxPool2D(\(poolingDescription(window)))" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try checkPoolingWindow(window, layer: description)
        return try imageWindowOutput(layer: description, input: input, window: window, channels: input.first ?? 0)
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return MaxPool2D<Scalar>(self)
    }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer MaxPool2D 3×3 stride 2 padding 1 (overlapping)", inputs: [[2, 2, 7, 6]]) { tape, v in
            try GradientCatalogue.withoutTies(tape, v[0]) { try MaxPool2D<Double>(MaxPool2DConfiguration(kernel: 3, stride: 2, padding: 1)).forward($0) }
        },
         GradientCheckCase("layer MaxPool2D 2×2 on 5×5 (last row and column dropped)", inputs: [[1, 3, 5, 5]]) { tape, v in
             try GradientCatalogue.withoutTies(tape, v[0]) { try MaxPool2D<Double>(MaxPool2DConfiguration(kernel: 2)).forward($0) }
         }]
    }
}

/// Average pooling over windows of images `[C, H, W]` (PyTorch's `nn.AvgPool2d` with its default
/// `count_include_pad=True`: a window's sum is divided by kh·kw even where it covers padding).
public struct AvgPool2DConfiguration: LayerConfiguration, Equatable {
    public static let kind = "avgpool2d"
    public var kernel: Size2D
    public var stride: Size2D
    public var padding: Padding2D

    public init(kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }

    var window: Window2D { Window2D(kernel: kernel, stride: stride, padding: padding) }

    public var description: String { "AvgPool2D(\(poolingDescription(window)))" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try checkPoolingWindow(window, layer: description)
        return try imageWindowOutput(layer: description, input: input, window: window, channels: input.first ?? 0)
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return AvgPool2D<Scalar>(self)
    }

    public static var gradientChecks: [GradientCheckCase] {
        [GradientCheckCase("layer AvgPool2D 3×3 stride 2 padding 1", inputs: [[2, 2, 7, 6]]) { _, v in
            try AvgPool2D<Double>(AvgPool2DConfiguration(kernel: 3, stride: 2, padding: 1)).forward(v[0])
        }]
    }
}

extension LayerSpec {
    /// Max pooling with windows of `kernel`, moved by `stride` (default: the kernel).
    public static func maxPool2D(_ kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero) -> LayerSpec {
        LayerSpec(MaxPool2DConfiguration(kernel: kernel, stride: stride, padding: padding))
    }

    /// Average pooling with windows of `kernel`, moved by `stride` (default: the kernel).
    public static func avgPool2D(_ kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero) -> LayerSpec {
        LayerSpec(AvgPool2DConfiguration(kernel: kernel, stride: stride, padding: padding))
    }
}

/// "2×2", "3×3 stride 2", "3×3 stride 2 padding 1".
func poolingDescription(_ w: Window2D) -> String {
    var s = "\(w.kernel.height)×\(w.kernel.width)"
    if w.stride != w.kernel { s += " stride \(w.stride)" }
    if w.padding != .zero { s += " padding \(w.padding)" }
    if w.dilation != 1 { s += " dilation \(w.dilation)" }
    return s
}

/// A pooling window's own constraints, checked before any input is seen: positive sizes, and padding at
/// most half the window (PyTorch's rule, so every window holds a real pixel).
func checkPoolingWindow(_ w: Window2D, layer: String) throws {
    guard w.kernel.height >= 1, w.kernel.width >= 1, w.stride.height >= 1, w.stride.width >= 1,
          w.dilation.height >= 1, w.dilation.width >= 1 else {
        throw LayerError.invalidConfiguration(layer: layer, reason: "kernel, stride and dilation must be at least 1")
    }
    let e = w.extent, p = w.padding
    guard p.top >= 0, p.bottom >= 0, p.left >= 0, p.right >= 0,
          2 * p.top <= e.height, 2 * p.bottom <= e.height, 2 * p.left <= e.width, 2 * p.right <= e.width else {
        throw LayerError.invalidConfiguration(layer: layer, reason: "padding \(p) must be between 0 and half the window \(e.height)×\(e.width)")
    }
}

/// The max-pooling layer (no parameters).
public final class MaxPool2D<Scalar: BLASScalar>: Layer {
    public let configuration: MaxPool2DConfiguration
    public var isTraining = true

    public init(_ configuration: MaxPool2DConfiguration) { self.configuration = configuration }

    public var parameters: [Parameter<Scalar>] { [] }
    public var spec: LayerSpec { LayerSpec(configuration) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let c = configuration
        return try x.maxPool2D(kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation)
    }

    /// A ReLU before max pooling runs in the pooling kernel (`Variable.maxPool2D(…, relu: true)`).
    public func canFuse(_ previous: LayerSpec) -> Bool {
        (previous.configuration as? ActivationConfiguration)?.function == .relu
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>, fusing previous: LayerSpec) throws -> Variable<Scalar> {
        guard canFuse(previous) else {
            throw LayerError.invalidConfiguration(layer: spec.description, reason: "cannot run \(previous) in its kernel")
        }
        let c = configuration
        return try x.maxPool2D(kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, relu: true)
    }
}

/// The average-pooling layer (no parameters).
public final class AvgPool2D<Scalar: BLASScalar>: Layer {
    public let configuration: AvgPool2DConfiguration
    public var isTraining = true

    public init(_ configuration: AvgPool2DConfiguration) { self.configuration = configuration }

    public var parameters: [Parameter<Scalar>] { [] }
    public var spec: LayerSpec { LayerSpec(configuration) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        try x.avgPool2D(kernel: configuration.kernel, stride: configuration.stride, padding: configuration.padding)
    }
}

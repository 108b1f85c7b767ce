/// How a convolution pads its input: PyTorch's `padding='same'`, `'valid'`, or explicit pixels per side.
///
/// `same` pads dilation·(kernel − 1) pixels in total along each axis, the smaller half on the top and
/// left (as PyTorch and TensorFlow do for an even kernel), so a stride-1 output has the input's size and
/// a stride-s output has ⌈size / s⌉ rows and columns. In model files it is the string `"same"` or
/// `"valid"`, or an object `{"top": 1, "bottom": 1, "left": 1, "right": 1}`.
public enum ConvolutionPadding: Hashable, Codable, Sendable, CustomStringConvertible {
    case same
    case valid
    case explicit(Padding2D)

    /// The pixels on each side for a window of `kernel` and `dilation`.
    public func resolved(kernel: Size2D, dilation: Size2D) -> Padding2D {
        switch self {
        case .valid: return .zero
        case let .explicit(p): return p
        case .same:
            let h = dilation.height * (kernel.height - 1), w = dilation.width * (kernel.width - 1)
            return Padding2D(top: h / 2, bottom: h - h / 2, left: w / 2, right: w - w / 2)
        }
    }

    public var description: String {
        switch self {
        case .same: return "same"
        case .valid: return "valid"
        case let .explicit(p): return "padding \(p)"
        }
    }

    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            switch text {
            case "same": self = .same
            case "valid": self = .valid
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "padding \"\(text)\": expected \"same\", \"valid\" or {top, bottom, left, right}"))
            }
            return
        }
        self = .explicit(try Padding2D(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .same: var c = encoder.singleValueContainer(); try c.encode("same")
        case .valid: var c = encoder.singleValueContainer(); try c.encode("valid")
        case let .explicit(p): try p.encode(to: encoder)
        }
    }
}

/// A 2-D convolution layer on images `[C, H, W]` giving `[filters, H′, W′]` (PyTorch's `nn.Conv2d`):
/// any kernel height × width, stride, padding (`same`, `valid` or explicit), dilation, bias on or off.
public struct Conv2DConfiguration: LayerConfiguration, Equatable {
    public static let kind = "conv2d"
    /// Output channels (kernels).
    public var filters: Int
    public var kernel: Size2D
    public var stride: Size2D
    public var padding: ConvolutionPadding
    public var dilation: Size2D
    /// Whether the layer adds a bias per output channel.
    public var bias: Bool

    public init(filters: Int, kernel: Size2D, stride: Size2D = 1, padding: ConvolutionPadding = .same,
                dilation: Size2D = 1, bias: Bool = true) {
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.bias = bias
    }

    /// The window the layer slides over its (padded) input.
    public var window: Window2D {
        Window2D(kernel: kernel, stride: stride, padding: padding.resolved(kernel: kernel, dilation: dilation), dilation: dilation)
    }

    public var description: String {
        var s = "Conv2D(\(filters), \(kernel.height)×\(kernel.width)"
        if stride != 1 { s += ", stride \(stride)" }
        s += ", \(padding)"
        if dilation != 1 { s += ", dilation \(dilation)" }
        if !bias { s += ", no bias" }
        return s + ")"
    }

    public func summary(input: [Int]) -> String {
        guard let c = input.first else { return description }
        return description.replacingOccurrences(of: "Conv2D(", with: "Conv2D(\(c)→")
    }

    /// filters × Cin × kh × kw weights, plus a bias per filter.
    public func parameterCount(for input: [Int]) -> Int? {
        checkedCount([filters, input.first ?? 0, kernel.height, kernel.width], plus: bias ? filters : 0)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard filters > 0 else { throw LayerError.invalidConfiguration(layer: description, reason: "filters must be > 0, got \(filters)") }
        guard kernel.height >= 1, kernel.width >= 1 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "kernel \(kernel.height)×\(kernel.width) must be at least 1×1")
        }
        guard stride.height >= 1, stride.width >= 1 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "stride \(stride) must be at least 1")
        }
        guard dilation.height >= 1, dilation.width >= 1 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "dilation \(dilation) must be at least 1")
        }
        return try imageWindowOutput(layer: description, input: input, window: window, channels: filters)
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return try Conv2D<Scalar>(configuration: self, inputChannels: inputShape[0], initializer: context.initializer, rng: &context.rng)
    }

    /// Odd geometries through the layer (the ops' own entries check the weight gradients too).
    public static var gradientChecks: [GradientCheckCase] {
        @Sendable func check(_ name: String, _ config: Conv2DConfiguration, input: [Int], seed: UInt64) -> GradientCheckCase {
            GradientCheckCase("layer Conv2D \(name)", inputs: [input]) { _, v in
                let k = config.kernel
                let layer = try Conv2D<Double>(configuration: config,
                                               weight: GradientCatalogue.fixedWeights([config.filters, input[1], k.height, k.width], seed: seed),
                                               bias: config.bias ? GradientCatalogue.fixedWeights([config.filters], seed: seed + 1) : nil)
                return try layer.forward(v[0])
            }
        }
        return [
            check("3×2 same (asymmetric padding) on 5×7", Conv2DConfiguration(filters: 3, kernel: Size2D(height: 3, width: 2)),
                  input: [2, 2, 5, 7], seed: 61),
            check("5×3 stride 2 same", Conv2DConfiguration(filters: 2, kernel: Size2D(height: 5, width: 3), stride: 2),
                  input: [2, 1, 7, 6], seed: 63),
            check("3×3 valid dilation 2, no bias", Conv2DConfiguration(filters: 2, kernel: 3, padding: .valid, dilation: 2, bias: false),
                  input: [1, 2, 6, 7], seed: 65),
            check("1×1", Conv2DConfiguration(filters: 4, kernel: 1), input: [2, 3, 3, 4], seed: 67),
        ]
    }
}

extension LayerSpec {
    /// A convolution with `filters` kernels of `kernel` (an integer literal means square).
    public static func conv2D(_ filters: Int, kernel: Size2D, stride: Size2D = 1, padding: ConvolutionPadding = .same,
                              dilation: Size2D = 1, bias: Bool = true) -> LayerSpec {
        LayerSpec(Conv2DConfiguration(filters: filters, kernel: kernel, stride: stride, padding: padding, dilation: dilation, bias: bias))
    }
}

/// The output `[channels, H′, W′]` of a sliding window over images `input` = `[C, H, W]`, or an
/// `incompatibleInput` error naming the layer and both shapes (a kernel larger than the padded input,
/// an input that is not an image).
func imageWindowOutput(layer: String, input: [Int], window: Window2D, channels: Int) throws -> [Int] {
    guard input.count == 3, input.allSatisfy({ $0 > 0 }) else {
        throw LayerError.incompatibleInput(layer: layer, position: nil, input: input,
                                           expected: "images [C, H, W] (give --image-shape for rows of pixels)")
    }
    do {
        let out = try window.outputSize(height: input[1], width: input[2], op: layer)
        return [channels, out.height, out.width]
    } catch let TensorError.shapeMismatch(_, padded, extent) {
        throw LayerError.incompatibleInput(layer: layer, position: nil, input: input,
                                           expected: "an image at least \(extent[0])×\(extent[1]) after padding "
                                               + "(the window's extent), but the padded input is \(padded[0])×\(padded[1])")
    } catch let TensorError.invalidArgument(_, reason) {
        throw LayerError.invalidConfiguration(layer: layer, reason: reason)
    }
}

/// The convolution layer: `weight` [Cout, Cin, kh, kw] and `bias` [Cout], PyTorch's names and layout
/// (model files hold them as they are), forward and backward through `Variable.conv2D`.
public final class Conv2D<Scalar: BLASScalar>: Layer {
    public let configuration: Conv2DConfiguration
    public let weight: Variable<Scalar>
    /// The bias, or nil for a layer without one.
    public let bias: Variable<Scalar>?
    public var isTraining = true

    /// A layer with weights drawn by `initializer` on the unfolded [Cin·kh·kw, Cout] matrix (He:
    /// N(0, 2 / (Cin·kh·kw)), PyTorch's fan-in for a convolution) and zero biases.
    public init(configuration: Conv2DConfiguration, inputChannels: Int, initializer: Initializer = .he, rng: inout SeededRNG) throws {
        let (k, cout) = (configuration.kernel, configuration.filters)
        let fanIn = inputChannels * k.height * k.width
        let unfolded: Tensor<Scalar> = try initializer.weights(inputs: fanIn, outputs: cout, as: Scalar.self, using: &rng)
        self.configuration = configuration
        weight = Variable(try unfolded.transposed().reshaped([cout, inputChannels, k.height, k.width]))
        bias = configuration.bias ? Variable(Tensor(zeros: [cout])) : nil
    }

    /// A layer with the given kernels [Cout, Cin, kh, kw] and bias [Cout] (or nil: `configuration.bias` must agree).
    /// - Throws: `TensorError.shapeMismatch` when the shapes do not fit the configuration.
    public init(configuration: Conv2DConfiguration, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) throws {
        let k = configuration.kernel
        guard weight.rank == 4, weight.shape[0] == configuration.filters, weight.shape[2] == k.height, weight.shape[3] == k.width else {
            throw TensorError.shapeMismatch(op: "Conv2D weight [Cout, Cin, kh, kw]", lhs: weight.shape,
                                            rhs: [configuration.filters, weight.shape.count > 1 ? weight.shape[1] : 0, k.height, k.width])
        }
        guard (bias != nil) == configuration.bias, bias.map({ $0.shape == [configuration.filters] }) ?? true else {
            throw TensorError.shapeMismatch(op: "Conv2D bias [Cout]", lhs: bias?.shape ?? [], rhs: configuration.bias ? [configuration.filters] : [])
        }
        self.configuration = configuration
        self.weight = Variable(weight)
        self.bias = bias.map { Variable($0) }
    }

    public var inputChannels: Int { weight.value.shape[1] }

    public var parameters: [Parameter<Scalar>] {
        var p = [Parameter(name: "weight", variable: weight, isRegularized: true)]
        if let bias { p.append(Parameter(name: "bias", variable: bias, isRegularized: false)) }
        return p
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        let out = try configuration.outputShape(for: input)
        guard input[0] == inputChannels else {
            throw LayerError.incompatibleInput(layer: configuration.summary(input: [inputChannels]), position: nil, input: input,
                                               expected: "\(inputChannels) input channels")
        }
        return out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let w = configuration.window
        return try x.conv2D(weight: weight, bias: bias, stride: w.stride, padding: w.padding, dilation: w.dilation)
    }

    public var spec: LayerSpec { LayerSpec(configuration) }
}

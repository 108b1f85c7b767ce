// The geometry shared by 2-D convolution and pooling: a window of kernel height × width sliding over the
// zero-padded (or −∞-padded, for max pooling) image with a stride, its taps spread by a dilation.
// Output sizes follow PyTorch exactly (floor division, no partial windows), so a model built from a
// PyTorch description has the same shapes here.

/// A height and a width (a kernel size, a stride, a dilation). An integer literal means both:
/// `stride: 2` is 2 × 2, as PyTorch's `stride=2`.
public struct Size2D: Hashable, Codable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// `n` × `n`.
    public init(_ n: Int) { self.init(height: n, width: n) }

    public init(integerLiteral n: Int) { self.init(n) }

    public var description: String { height == width ? "\(height)" : "\(height)×\(width)" }
}

/// Padding on each side of an image, in pixels. An integer literal pads every side by that much, as
/// PyTorch's `padding=1`; `init(height:width:)` is PyTorch's `padding=(h, w)`; the per-side form is
/// what `same` padding with an even kernel needs (PyTorch puts the extra pixel at the bottom and right).
public struct Padding2D: Hashable, Codable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var top: Int
    public var bottom: Int
    public var left: Int
    public var right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    /// `height` rows above and below, `width` columns left and right.
    public init(height: Int, width: Int) { self.init(top: height, bottom: height, left: width, right: width) }

    /// `n` pixels on every side.
    public init(_ n: Int) { self.init(top: n, bottom: n, left: n, right: n) }

    public init(integerLiteral n: Int) { self.init(n) }

    /// No padding (PyTorch's `valid`).
    public static let zero = Padding2D(0)

    /// Whether top = bottom and left = right.
    public var isSymmetric: Bool { top == bottom && left == right }

    public var description: String {
        if top == bottom && bottom == left && left == right { return "\(top)" }
        return "(top \(top), bottom \(bottom), left \(left), right \(right))"
    }
}

/// One sliding window over an image: kernel, stride, padding and dilation, with the output size
/// PyTorch computes: H_out = ⌊(H + top + bottom − dilation·(kernel − 1) − 1) / stride⌋ + 1 (and the same
/// for the width). Windows that would run past the padded input are dropped, never partially used.
public struct Window2D: Hashable, Codable, Sendable, CustomStringConvertible {
    public var kernel: Size2D
    public var stride: Size2D
    public var padding: Padding2D
    public var dilation: Size2D

    public init(kernel: Size2D, stride: Size2D = 1, padding: Padding2D = .zero, dilation: Size2D = 1) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// The span one window covers on the padded input: dilation·(kernel − 1) + 1.
    public var extent: Size2D {
        Size2D(height: dilation.height * (kernel.height - 1) + 1, width: dilation.width * (kernel.width - 1) + 1)
    }

    /// The output size for an input of `height` × `width`.
    /// - Throws: `TensorError.invalidArgument` for a kernel, stride or dilation below 1 or a negative
    ///   padding; `TensorError.shapeMismatch` (input [H, W] against the window's extent) when the window
    ///   is larger than the padded input.
    public func outputSize(height: Int, width: Int, op: String) throws -> Size2D {
        guard kernel.height >= 1, kernel.width >= 1 else {
            throw TensorError.invalidArgument(op: op, reason: "kernel \(kernel) must be at least 1×1")
        }
        guard stride.height >= 1, stride.width >= 1 else {
            throw TensorError.invalidArgument(op: op, reason: "stride \(stride) must be at least 1")
        }
        guard dilation.height >= 1, dilation.width >= 1 else {
            throw TensorError.invalidArgument(op: op, reason: "dilation \(dilation) must be at least 1")
        }
        guard padding.top >= 0, padding.bottom >= 0, padding.left >= 0, padding.right >= 0 else {
            throw TensorError.invalidArgument(op: op, reason: "padding \(padding) must not be negative")
        }
        // Sizes come from user input: values up to 2³¹ keep every product below 2⁶² (no overflow trap).
        guard [kernel.height, kernel.width, dilation.height, dilation.width, stride.height, stride.width,
               padding.top, padding.bottom, padding.left, padding.right, height, width].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw TensorError.invalidArgument(op: op, reason: "window \(self) on \(height)×\(width): a size exceeds 2³¹ − 1")
        }
        let paddedHeight = height + padding.top + padding.bottom
        let paddedWidth = width + padding.left + padding.right
        let e = extent
        guard e.height <= paddedHeight, e.width <= paddedWidth else {
            throw TensorError.shapeMismatch(op: "\(op): window \(e.height)×\(e.width) (kernel \(kernel), dilation \(dilation)) larger than the padded input",
                                            lhs: [paddedHeight, paddedWidth], rhs: [e.height, e.width])
        }
        return Size2D(height: (paddedHeight - e.height) / stride.height + 1,
                      width: (paddedWidth - e.width) / stride.width + 1)
    }

    public var description: String {
        var s = "kernel \(kernel)"
        if stride != 1 { s += " stride \(stride)" }
        if padding != .zero { s += " padding \(padding)" }
        if dilation != 1 { s += " dilation \(dilation)" }
        return s
    }
}

extension Tensor {
    /// Requires rank 4 and returns (N, C, H, W).
    @inlinable
    package func imageShape(_ op: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
        guard rank == 4 else {
            throw TensorError.invalidShape(op: op, shape: shape, expected: "a batch of images [N, C, H, W] (rank 4)")
        }
        return (shape[0], shape[1], shape[2], shape[3])
    }
}

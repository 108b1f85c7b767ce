import CKernels

// Spatial pooling of NCHW image batches — max, average and global average — and their backward
// kernels. Semantics are PyTorch's (`max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d(1)`): output sizes
// by floor division (`ceil_mode=False`), max pooling pads with −∞ and propagates NaN, average pooling
// divides by the full kernel area even where the window covers padding (`count_include_pad=True`), and
// padding may be at most half the window, so every window holds at least one real pixel.
//
// Max pooling records the argmax of every window in the forward (an Int32 per output, stored in a buffer
// of the tape's arena through raw loads and stores), so the backward is one scatter of dY and no
// comparison is redone: overlapping windows (3×3 stride 2) add their gradients on the pixel they share.

extension Tensor {
    /// Max pooling over windows of `kernel` moved by `stride` (default: the kernel, as PyTorch).
    ///
    /// y[n, c, i, j] = max over the window's pixels x[n, c, i·sh + p·dh − top, j·sw + q·dw − left];
    /// pixels in the padding count as −∞ and a NaN in the window gives NaN. Ties go to the first pixel in
    /// row-major order (PyTorch's choice), which is where the backward sends the gradient.
    ///
    /// - Parameters: `x` is [N, C, H, W]; the output [N, C, Hout, Wout] with Hout as in `Window2D`.
    /// - Throws: `TensorError.invalidShape` for a rank other than 4 or a plane of more than 2³¹ pixels;
    ///   `TensorError.invalidArgument` for a kernel, stride or dilation below 1, or padding that is
    ///   negative or more than half the window (dilation·(kernel − 1) + 1); `TensorError.shapeMismatch`
    ///   when the window is larger than the padded input.
    public static func maxPool2D(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero,
                                 dilation: Size2D = 1) throws -> Tensor {
        let g = try Pool2DShape(x.shape, Window2D(kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation),
                                op: "maxPool2D")
        let y = Tensor.uninitialized(g.outputShape)
        let indices = Tensor.uninitialized([g.indexScalars(Scalar.self)])
        maxPool2DForward(g, x.unsafeReadPointer, into: y.unsafeWritePointer, indices: UnsafeMutableRawPointer(indices.unsafeWritePointer))
        return y
    }

    /// Average pooling, `count_include_pad=True`: each window's sum divided by kh·kw, padding counting as
    /// zeros. Stride defaults to the kernel.
    ///
    /// - Parameters: `x` is [N, C, H, W]; the output [N, C, Hout, Wout].
    /// - Throws: as `maxPool2D` (padding at most half the kernel).
    public static func avgPool2D(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero) throws -> Tensor {
        let g = try Pool2DShape(x.shape, Window2D(kernel: kernel, stride: stride ?? kernel, padding: padding), op: "avgPool2D")
        let y = Tensor.uninitialized(g.outputShape)
        avgPool2DForward(g, x.unsafeReadPointer, into: y.unsafeWritePointer)
        return y
    }

    /// Global average pooling: [N, C, H, W] → [N, C], the mean of each channel's plane (PyTorch's
    /// `adaptive_avg_pool2d(x, 1)` flattened).
    /// - Throws: `TensorError.invalidShape` for a rank other than 4 or an empty plane (H·W = 0).
    public func globalAveragePool() throws -> Tensor {
        let (n, c, hw) = try globalPoolShape()
        let y = Tensor.uninitialized([n, c])
        Tensor.globalAveragePoolForward(unsafeReadPointer, planes: n * c, planeSize: hw, into: y.unsafeWritePointer)
        return y
    }

    @inlinable
    func globalPoolShape() throws -> (Int, Int, Int) {
        let (n, c, h, w) = try imageShape("globalAveragePool")
        guard h * w > 0 else { throw TensorError.invalidShape(op: "globalAveragePool", shape: shape, expected: "a non-empty H × W plane") }
        return (n, c, h * w)
    }

    // MARK: Kernels

    /// y = max over each window; the index (ih·W + iw, within the plane) of the maximum goes to
    /// `indices` as an Int32, through raw stores so the buffer can be any scalar buffer of the arena.
    @inlinable
    static func maxPool2DForward(_ g: Pool2DShape, _ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>,
                                 indices: UnsafeMutableRawPointer) {
        let (h, w, hout, wout) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let win = g.window
        let (kh, kw, sh, sw) = (win.kernel.height, win.kernel.width, win.stride.height, win.stride.width)
        let (dh, dw) = (win.dilation.height, win.dilation.width)
        let hw = h * w, ohw = hout * wout
        if g.isPlainHalving {
            // The CNN's pooling: a C loop that vectorizes (CKernels/pooling.c).
            let ip = indices.assumingMemoryBound(to: Int32.self)
            if Scalar.self == Float.self {
                circuits_maxpool2x2_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), g.planes, h, w,
                                        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), ip)
            } else {
                circuits_maxpool2x2_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), g.planes, h, w,
                                        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), ip)
            }
            return
        }
        for plane in 0..<g.planes {
            let xp = x + plane * hw, yp = y + plane * ohw
            let ip = indices + 4 * plane * ohw
            for i in 0..<hout {
                let h0 = i * sh - win.padding.top
                // Rows p whose pixel h0 + p·dh lies inside the image.
                let pLo = h0 >= 0 ? 0 : (-h0 + dh - 1) / dh
                let pHi = Swift.min(kh, (h - h0 + dh - 1) / dh)
                for j in 0..<wout {
                    let w0 = j * sw - win.padding.left
                    let qLo = w0 >= 0 ? 0 : (-w0 + dw - 1) / dw
                    let qHi = Swift.min(kw, (w - w0 + dw - 1) / dw)
                    // Padding ≤ half the window guarantees pLo < pHi and qLo < qHi.
                    var k = (h0 + pLo * dh) * w + w0 + qLo * dw
                    var m = xp[k]
                    for p in pLo..<pHi {
                        let rowStart = (h0 + p * dh) * w + w0
                        for q in qLo..<qHi {
                            let v = xp[rowStart + q * dw]
                            if v > m || v != v { m = v; k = rowStart + q * dw }
                        }
                    }
                    yp[i * wout + j] = m
                    ip.storeBytes(of: Int32(truncatingIfNeeded: k), toByteOffset: 4 * (i * wout + j), as: Int32.self)
                }
            }
        }
    }

    /// dx[argmax] += dy for every window (overwriting dx first unless `add`).
    @inlinable
    static func maxPool2DBackward(_ g: Pool2DShape, dy: UnsafePointer<Scalar>, indices: UnsafeRawPointer,
                                  into dx: UnsafeMutablePointer<Scalar>, add: Bool) {
        let hw = g.height * g.width, ohw = g.outputHeight * g.outputWidth
        if !add && g.isPlainHalving {
            let ip = indices.assumingMemoryBound(to: Int32.self)
            if Scalar.self == Float.self {
                circuits_maxpool2x2_backward_f32(UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), ip, g.planes, g.height, g.width,
                                                 UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self))
            } else {
                circuits_maxpool2x2_backward_f64(UnsafeRawPointer(dy).assumingMemoryBound(to: Double.self), ip, g.planes, g.height, g.width,
                                                 UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Double.self))
            }
            return
        }
        if !add { dx.update(repeating: 0, count: g.planes * hw) }
        for plane in 0..<g.planes {
            let dxp = dx + plane * hw, dyp = dy + plane * ohw
            let ip = indices + 4 * plane * ohw
            for o in 0..<ohw {
                dxp[Int(ip.load(fromByteOffset: 4 * o, as: Int32.self))] += dyp[o]
            }
        }
    }

    /// y = (sum over the window's pixels inside the image) / (kh·kw).
    @inlinable
    static func avgPool2DForward(_ g: Pool2DShape, _ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>) {
        let (h, w, hout, wout) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let win = g.window
        let scale = 1 / Scalar(win.kernel.height * win.kernel.width)
        for plane in 0..<g.planes {
            let xp = x + plane * h * w, yp = y + plane * hout * wout
            for i in 0..<hout {
                let (pLo, pHi) = g.validRange(i, stride: win.stride.height, pad: win.padding.top, kernel: win.kernel.height, size: h)
                for j in 0..<wout {
                    let (qLo, qHi) = g.validRange(j, stride: win.stride.width, pad: win.padding.left, kernel: win.kernel.width, size: w)
                    var s: Scalar = 0
                    for r in pLo..<pHi { for c in qLo..<qHi { s += xp[r * w + c] } }
                    yp[i * wout + j] = s * scale
                }
            }
        }
    }

    /// dx[pixel] += dy / (kh·kw) for every window holding the pixel.
    @inlinable
    static func avgPool2DBackward(_ g: Pool2DShape, dy: UnsafePointer<Scalar>, into dx: UnsafeMutablePointer<Scalar>, add: Bool) {
        let (h, w, hout, wout) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let win = g.window
        let scale = 1 / Scalar(win.kernel.height * win.kernel.width)
        if !add { dx.update(repeating: 0, count: g.planes * h * w) }
        for plane in 0..<g.planes {
            let dxp = dx + plane * h * w, dyp = dy + plane * hout * wout
            for i in 0..<hout {
                let (pLo, pHi) = g.validRange(i, stride: win.stride.height, pad: win.padding.top, kernel: win.kernel.height, size: h)
                for j in 0..<wout {
                    let (qLo, qHi) = g.validRange(j, stride: win.stride.width, pad: win.padding.left, kernel: win.kernel.width, size: w)
                    let d = dyp[i * wout + j] * scale
                    for r in pLo..<pHi { for c in qLo..<qHi { dxp[r * w + c] += d } }
                }
            }
        }
    }

    /// y[plane] = mean of the plane's `planeSize` scalars.
    @inlinable
    static func globalAveragePoolForward(_ x: UnsafePointer<Scalar>, planes: Int, planeSize: Int, into y: UnsafeMutablePointer<Scalar>) {
        let scale = 1 / Scalar(planeSize)
        for p in 0..<planes {
            y[p] = Scalar(rowSum(x + p * planeSize, planeSize)) * scale
        }
    }
}

/// The checked sizes of one pooling: planes (N·C), input and output extents, window.
public struct Pool2DShape: Sendable {
    public let batch: Int, channels: Int, height: Int, width: Int
    public let outputHeight: Int, outputWidth: Int
    public let window: Window2D

    /// - Throws: see `Tensor.maxPool2D`.
    public init(_ x: [Int], _ window: Window2D, op: String) throws {
        guard x.count == 4, x.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: op, shape: x, expected: "a batch of images [N, C, H, W] (rank 4)")
        }
        let out = try window.outputSize(height: x[2], width: x[3], op: op)
        let e = window.extent
        let p = window.padding
        // PyTorch's rule: a window must keep at least one real pixel, so −∞ (max) or an all-padding
        // average never reaches the output.
        guard 2 * p.top <= e.height, 2 * p.bottom <= e.height, 2 * p.left <= e.width, 2 * p.right <= e.width else {
            throw TensorError.invalidArgument(op: op, reason: "padding \(p) is more than half the window \(e.height)×\(e.width)")
        }
        guard x[2] * x[3] <= Int(Int32.max) else {
            throw TensorError.invalidShape(op: op, shape: x, expected: "at most 2³¹ − 1 pixels per plane (Int32 argmax indices)")
        }
        (batch, channels, height, width) = (x[0], x[1], x[2], x[3])
        (outputHeight, outputWidth) = (out.height, out.width)
        self.window = window
    }

    /// N·C: pooling treats every channel of every image alike.
    @inlinable public var planes: Int { batch * channels }
    public var outputShape: [Int] { [batch, channels, outputHeight, outputWidth] }

    /// 2×2 windows, stride 2, no padding or dilation.
    @inlinable var isPlainHalving: Bool {
        window.kernel == 2 && window.stride == 2 && window.padding == .zero && window.dilation == 1
    }

    /// Scalars of type `S` that hold one Int32 argmax per output.
    public func indexScalars<S>(_: S.Type) -> Int {
        (planes * outputHeight * outputWidth * 4 + MemoryLayout<S>.stride - 1) / MemoryLayout<S>.stride
    }

    /// The input rows (or columns) r in lo..<hi covered by output `i`'s window and inside the image.
    @inlinable
    func validRange(_ i: Int, stride: Int, pad: Int, kernel: Int, size: Int) -> (Int, Int) {
        let start = i * stride - pad
        return (Swift.max(start, 0), Swift.min(start + kernel, size))
    }
}

extension Variable {
    /// Max pooling (see `Tensor.maxPool2D`), recorded: the output and the Int32 argmax of every window
    /// live in the tape's arena; the backward scatters dy onto the argmax pixels.
    @inlinable
    public func maxPool2D(kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero, dilation: Size2D = 1) throws -> Variable {
        let x = self
        let g = try Pool2DShape(x.value.shape, Window2D(kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation),
                                op: "maxPool2D")
        let y = Variable.outputBuffer(g.outputShape, x)
        let indices = Variable.outputBuffer([g.indexScalars(Scalar.self)], x)
        Tensor.maxPool2DForward(g, x.value.unsafeReadPointer, into: y.unsafeWritePointer,
                                indices: UnsafeMutableRawPointer(indices.unsafeWritePointer))
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer, ip = UnsafeRawPointer(indices.unsafeReadPointer)
            x.accumulateGrad { gx, add in Tensor.maxPool2DBackward(g, dy: d, indices: ip, into: gx, add: add) }
        }
    }

    /// Average pooling with `count_include_pad=True` (see `Tensor.avgPool2D`), recorded.
    @inlinable
    public func avgPool2D(kernel: Size2D, stride: Size2D? = nil, padding: Padding2D = .zero) throws -> Variable {
        let x = self
        let g = try Pool2DShape(x.value.shape, Window2D(kernel: kernel, stride: stride ?? kernel, padding: padding), op: "avgPool2D")
        let y = Variable.outputBuffer(g.outputShape, x)
        Tensor.avgPool2DForward(g, x.value.unsafeReadPointer, into: y.unsafeWritePointer)
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer
            x.accumulateGrad { gx, add in Tensor.avgPool2DBackward(g, dy: d, into: gx, add: add) }
        }
    }

    /// Global average pooling [N, C, H, W] → [N, C] (see `Tensor.globalAveragePool`), recorded; the
    /// backward spreads dy[n, c] / (H·W) over the plane.
    @inlinable
    public func globalAveragePool() throws -> Variable {
        let x = self
        let (n, c, hw) = try x.value.globalPoolShape()
        let y = Variable.outputBuffer([n, c], x)
        Tensor.globalAveragePoolForward(x.value.unsafeReadPointer, planes: n * c, planeSize: hw, into: y.unsafeWritePointer)
        return Variable.record(y, inputs: [x]) { dy in
            let d = dy.unsafeReadPointer
            let scale = 1 / Scalar(hw)
            x.accumulateGrad { gx, add in
                for p in 0..<(n * c) {
                    let v = d[p] * scale, dst = gx + p * hw
                    if add { for i in 0..<hw { dst[i] += v } } else { dst.update(repeating: v, count: hw) }
                }
            }
        }
    }
}

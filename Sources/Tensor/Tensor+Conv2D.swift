// 2-D convolution (PyTorch's conv2d, i.e. cross-correlation) through OpenBLAS GEMMs, and its backward.
//
// Layout is NCHW — activations [N, C, H, W], weights [Cout, Cin, kh, kw], bias [Cout] — as in PyTorch:
// models, fixtures and the numbers in papers and tutorials carry over without a transpose, and for a
// GEMM-based convolution NCHW is the natural layout: one image's output [Cout, Hout·Wout] is exactly the
// row-major product W[Cout, K]·col[K, Hout·Wout] of the weights (read as a [Cout, Cin·kh·kw] matrix, no
// copy) and the image's im2col matrix, so the GEMM writes the output in place with no reordering pass.
//
// The batch is walked image by image, with one im2col scratch of K × Hout·Wout (K = Cin·kh·kw) taken from
// the tape's arena: for the layers of a small CNN that scratch is a few hundred KB and stays in L2, where
// the GEMM reads it right after it was written. A column matrix of the whole batch ([K, N·Hout·Wout], one
// GEMM) was measured 1.3× slower on the 32→64 3×3 layer at batch 64 (ConvSuite): its 14.5 MB go to memory
// and back, the output then needs a reorder to NCHW, and the per-image GEMMs already run at ~95% of the
// SGEMM peak on their cache-resident operands.
// For stride 1 with `same` width (the common case), each kernel tap's block of the column matrix is the
// image shifted by a constant, so im2col is one long copy per tap plus zeros at the borders, and col2im one
// long add.
// The backward rebuilds each image's columns in the same scratch instead of keeping the batch's:
//   dW += dY_n·col_nᵀ   (GEMM, transpose flag, accumulated over the batch with beta = 1)
//   dcol = Wᵀ·dY_n      (GEMM, transpose flag, into the same scratch once dW has used it)
//   dX_n += col2im(dcol)
// An input that needs no gradient (the first layer's images) skips the last two.
// A 1×1 kernel with stride 1 and no padding needs no im2col at all: the image [Cin, H·W] is its own
// column matrix.

extension Tensor {
    /// 2-D convolution of a batch of images, as PyTorch's `torch.nn.functional.conv2d` (a cross-correlation:
    /// the kernel is not flipped).
    ///
    /// y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sh + p·dh − top, j·sw + q·dw − left],
    /// with x zero outside the image.
    ///
    /// - Parameters:
    ///   - x: images [N, Cin, H, W].
    ///   - weight: kernels [Cout, Cin, kh, kw].
    ///   - bias: [Cout], or nil for none.
    ///   - stride, padding, dilation: see `Window2D`; the output is [N, Cout, Hout, Wout] with
    ///     Hout = ⌊(H + top + bottom − dh·(kh − 1) − 1) / sh⌋ + 1 (likewise Wout).
    /// - Throws: `TensorError.invalidShape` for a rank other than 4 or no input channel;
    ///   `TensorError.shapeMismatch` naming both shapes when the channels or the bias disagree, or when
    ///   the kernel is larger than the padded input; `TensorError.invalidArgument` for a stride or
    ///   dilation below 1 or a negative padding.
    public static func conv2D(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1,
                              padding: Padding2D = .zero, dilation: Size2D = 1) throws -> Tensor {
        let g = try Conv2DShape(x.shape, weight.shape, bias?.shape,
                                Window2D(kernel: 1, stride: stride, padding: padding, dilation: dilation))
        let y = Tensor.uninitialized(g.outputShape)
        let col = Tensor.uninitialized([g.scratchCount])
        try conv2DForward(g, x.unsafeReadPointer, weight.unsafeReadPointer, bias?.unsafeReadPointer,
                          into: y.unsafeWritePointer, scratch: col.unsafeWritePointer)
        return y
    }

    /// y = conv(x, W) + b, image by image: im2col into `scratch`, then one GEMM writing the image's
    /// [Cout, Hout·Wout] output in place (bias copied in first, GEMM with beta = 1, as `affine` does).
    @inlinable
    static func conv2DForward(_ g: Conv2DShape, _ x: UnsafePointer<Scalar>, _ w: UnsafePointer<Scalar>,
                              _ b: UnsafePointer<Scalar>?, into y: UnsafeMutablePointer<Scalar>,
                              scratch col: UnsafeMutablePointer<Scalar>) throws {
        let (hw, k, cout) = (g.outputPixels, g.columnRows, g.outputChannels)
        if cout == 0 || hw == 0 { return }
        for n in 0..<g.batch {
            let yn = y + n * cout * hw
            if let b {
                for o in 0..<cout { (yn + o * hw).update(repeating: b[o], count: hw) }
            }
            let columns: UnsafePointer<Scalar>
            if g.isPointwise {
                columns = x + n * g.inputImageCount
            } else {
                im2col(g, x + n * g.inputImageCount, into: col)
                columns = UnsafePointer(col)
            }
            g.gemm(transA: false, transB: false, m: cout, n: hw, k: k, a: w, lda: k, b: columns, ldb: hw,
                   beta: b == nil ? 0 : 1, c: yn, ldc: hw)
        }
    }

    /// Backward of `conv2DForward`: accumulates dW (and db) over the batch and writes or adds dX.
    ///
    /// dW[o, k] = Σ_n Σ_p dY[n, o, p]·col_n[k, p]; db[o] = Σ_n Σ_p dY[n, o, p];
    /// dX_n = col2im(Wᵀ·dY_n). `gw`, `gb`, `gx` are nil for operands that need no gradient; the `add`
    /// flags say whether to add to (true) or overwrite (false) what is there.
    @inlinable
    static func conv2DBackward(_ g: Conv2DShape, dy: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>,
                               w: UnsafePointer<Scalar>, scratch col: UnsafeMutablePointer<Scalar>,
                               gx: (UnsafeMutablePointer<Scalar>, add: Bool)?,
                               gw: (UnsafeMutablePointer<Scalar>, add: Bool)?,
                               gb: (UnsafeMutablePointer<Scalar>, add: Bool)?) {
        let (hw, k, cout) = (g.outputPixels, g.columnRows, g.outputChannels)
        if case let (db, add)? = gb {
            if !add { db.update(repeating: 0, count: cout) }
            for n in 0..<g.batch {
                for o in 0..<cout { db[o] += Scalar(Tensor.rowSum(dy + (n * cout + o) * hw, hw)) }
            }
        }
        if case let (dw, add)? = gw {
            if !add && (g.batch == 0 || hw == 0) { dw.update(repeating: 0, count: cout * k) }
        }
        if case let (dx, add)? = gx, !add, !g.isPointwise || hw == 0 || cout == 0 {
            dx.update(repeating: 0, count: g.batch * g.inputImageCount)
        }
        if cout == 0 || hw == 0 { return }
        for n in 0..<g.batch {
            let dyn = dy + n * cout * hw
            let xn = x + n * g.inputImageCount
            if case let (dw, add)? = gw {
                let columns: UnsafePointer<Scalar>
                if g.isPointwise {
                    columns = xn
                } else {
                    im2col(g, xn, into: col)
                    columns = UnsafePointer(col)
                }
                g.gemm(transA: false, transB: true, m: cout, n: k, k: hw, a: dyn, lda: hw, b: columns, ldb: hw,
                       beta: n > 0 || add ? 1 : 0, c: dw, ldc: k)
            }
            if case let (dx, add)? = gx {
                let dxn = dx + n * g.inputImageCount
                if g.isPointwise {
                    g.gemm(transA: true, transB: false, m: k, n: hw, k: cout, a: w, lda: k, b: dyn, ldb: hw,
                           beta: add ? 1 : 0, c: dxn, ldc: hw)
                } else {
                    g.gemm(transA: true, transB: false, m: k, n: hw, k: cout, a: w, lda: k, b: dyn, ldb: hw,
                           beta: 0, c: col, ldc: hw)
                    col2im(g, col, addingInto: dxn)
                }
            }
        }
    }

    // MARK: im2col and col2im

    /// Writes one image's column matrix: row (c·kh + p)·kw + q, column i·Wout + j holds
    /// x[c, i·sh + p·dh − top, j·sw + q·dw − left], or 0 in the padding. Rows are `rowStride` apart
    /// (default Hout·Wout; a batch's column matrix [K, N·Hout·Wout] passes N·Hout·Wout).
    @inlinable
    package static func im2col(_ g: Conv2DShape, _ x: UnsafePointer<Scalar>, into col: UnsafeMutablePointer<Scalar>,
                               rowStride: Int? = nil) {
        let (h, w, hout, wout) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let win = g.window
        let (kh, kw) = (win.kernel.height, win.kernel.width)
        let (sh, sw) = (win.stride.height, win.stride.width)
        let hw = hout * wout
        let step = rowStride ?? hw
        var row = col
        for c in 0..<g.inputChannels {
            let plane = x + c * h * w
            for p in 0..<kh {
                for q in 0..<kw {
                    let xoff = q * win.dilation.width - win.padding.left
                    let (lo, hi) = g.validColumns(offset: xoff)
                    if g.rowsAreShifts {
                        // Stride 1 and Wout = W: the whole block is the plane shifted by a constant,
                        // col[i·W + j] = x[i·W + j + delta]: one long copy, then zeros where the shift
                        // left the image (rows above and below, columns that wrapped to the next row).
                        let (iLo, iHi) = g.validRows(kernelRow: p)
                        let delta = (p * win.dilation.height - win.padding.top) * w + xoff
                        let (dLo, dHi) = (iLo * wout, iHi * wout)
                        let cLo = Swift.min(Swift.max(dLo, -delta), dHi), cHi = Swift.max(Swift.min(dHi, h * w - delta), cLo)
                        for d in 0..<cLo { row[d] = 0 }
                        // Offsets taken once into pointers: an index sum checked for overflow inside the
                        // loop kept it scalar.
                        let (from, to) = (plane + (cLo + delta), row + cLo)
                        for k in 0..<(cHi - cLo) { to[k] = from[k] }
                        for d in cHi..<hw { row[d] = 0 }
                        if lo > 0 || hi < wout {
                            for i in iLo..<iHi {
                                for j in 0..<lo { row[i * wout + j] = 0 }
                                for j in hi..<wout { row[i * wout + j] = 0 }
                            }
                        }
                        row += step
                        continue
                    }
                    for i in 0..<hout {
                        let dst = row + i * wout
                        let ih = i * sh + p * win.dilation.height - win.padding.top
                        // Plain loops, not memcpy/memset: rows are a few dozen scalars, where a library
                        // call per row costs more than the copy.
                        if ih < 0 || ih >= h {
                            for j in 0..<wout { dst[j] = 0 }
                            continue
                        }
                        let src = plane + ih * w
                        for j in 0..<lo { dst[j] = 0 }
                        if sw == 1 {
                            let (from, to) = (src + (lo + xoff), dst + lo)
                            for k in 0..<(hi - lo) { to[k] = from[k] }
                        } else {
                            for j in lo..<hi { dst[j] = src[j * sw + xoff] }
                        }
                        for j in hi..<wout { dst[j] = 0 }
                    }
                    row += step
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds each column entry back onto the input pixel it was read from
    /// (padding entries are dropped), so overlapping windows sum their gradients. `col` is scratch: its
    /// padding entries may be overwritten.
    @inlinable
    package static func col2im(_ g: Conv2DShape, _ col: UnsafeMutablePointer<Scalar>, addingInto dx: UnsafeMutablePointer<Scalar>) {
        let (h, w, hout, wout) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let win = g.window
        let (kh, kw) = (win.kernel.height, win.kernel.width)
        let (sh, sw) = (win.stride.height, win.stride.width)
        let hw = hout * wout
        var row = col
        for c in 0..<g.inputChannels {
            let plane = dx + c * h * w
            for p in 0..<kh {
                for q in 0..<kw {
                    let xoff = q * win.dilation.width - win.padding.left
                    let (lo, hi) = g.validColumns(offset: xoff)
                    if g.rowsAreShifts {
                        // The adjoint of im2col's shifted copy: zero the wrapped columns of the scratch,
                        // then one long add.
                        let (iLo, iHi) = g.validRows(kernelRow: p)
                        let delta = (p * win.dilation.height - win.padding.top) * w + xoff
                        let (dLo, dHi) = (iLo * wout, iHi * wout)
                        let cLo = Swift.min(Swift.max(dLo, -delta), dHi), cHi = Swift.max(Swift.min(dHi, h * w - delta), cLo)
                        if lo > 0 || hi < wout {
                            for i in iLo..<iHi {
                                for j in 0..<lo { row[i * wout + j] = 0 }
                                for j in hi..<wout { row[i * wout + j] = 0 }
                            }
                        }
                        let (from, to) = (row + cLo, plane + (cLo + delta))
                        for k in 0..<(cHi - cLo) { to[k] += from[k] }
                        row += hw
                        continue
                    }
                    if hi > lo {
                        for i in 0..<hout {
                            let ih = i * sh + p * win.dilation.height - win.padding.top
                            if ih < 0 || ih >= h { continue }
                            let src = row + i * wout
                            let dst = plane + ih * w
                            if sw == 1 {
                                let (from, to) = (src + lo, dst + (lo + xoff))
                                for k in 0..<(hi - lo) { to[k] += from[k] }
                            } else {
                                for j in lo..<hi { dst[j * sw + xoff] += src[j] }
                            }
                        }
                    }
                    row += hw
                }
            }
        }
    }
}

/// The checked sizes of one convolution: input, weights, output, column matrix.
public struct Conv2DShape: Sendable {
    public let batch: Int, inputChannels: Int, height: Int, width: Int
    public let outputChannels: Int, outputHeight: Int, outputWidth: Int
    /// Kernel size from the weights; stride, padding and dilation as given.
    public let window: Window2D
    public let hasBias: Bool

    /// Checks the operands of a convolution.
    /// - Throws: see `Tensor.conv2D`.
    public init(_ x: [Int], _ w: [Int], _ b: [Int]?, _ window: Window2D) throws {
        let op = "conv2D"
        guard x.count == 4 else {
            throw TensorError.invalidShape(op: op, shape: x, expected: "a batch of images [N, C, H, W] (rank 4)")
        }
        guard w.count == 4 else {
            throw TensorError.invalidShape(op: op + " weight", shape: w, expected: "kernels [Cout, Cin, kh, kw] (rank 4)")
        }
        guard x.allSatisfy({ $0 >= 0 }), w.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: op, shape: x + w, expected: "non-negative dimensions")
        }
        guard x[1] >= 1 else { throw TensorError.invalidShape(op: op, shape: x, expected: "at least one input channel") }
        guard x[1] == w[1] else {
            throw TensorError.shapeMismatch(op: op + " input channels (x [N, C, H, W] against weight [Cout, C, kh, kw])", lhs: x, rhs: w)
        }
        if let b, b != [w[0]] {
            throw TensorError.shapeMismatch(op: op + " bias (weight [Cout, …] against bias [Cout])", lhs: w, rhs: b)
        }
        var window = window
        window.kernel = Size2D(height: w[2], width: w[3])
        let out = try window.outputSize(height: x[2], width: x[3], op: op)
        (batch, inputChannels, height, width) = (x[0], x[1], x[2], x[3])
        (outputChannels, outputHeight, outputWidth) = (w[0], out.height, out.width)
        self.window = window
        hasBias = b != nil
        // Every GEMM dimension and leading dimension must fit OpenBLAS's 32-bit blasint.
        for d in [columnRows, outputPixels, outputChannels, inputImageCount, batch * outputChannels * outputPixels] {
            _ = try blasInt(d, op: op)
        }
    }

    /// Rows of the column matrix: Cin·kh·kw.
    @inlinable public var columnRows: Int { inputChannels * window.kernel.height * window.kernel.width }
    /// Hout·Wout.
    @inlinable public var outputPixels: Int { outputHeight * outputWidth }
    /// Scalars of one input image: Cin·H·W.
    @inlinable public var inputImageCount: Int { inputChannels * height * width }
    /// [N, Cout, Hout, Wout].
    public var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// Scalars of the im2col scratch: one image's column matrix.
    public var scratchCount: Int { isPointwise ? 1 : columnRows * outputPixels }

    /// A 1×1 kernel with stride 1 and no padding: the image is its own column matrix.
    @inlinable public var isPointwise: Bool {
        window.kernel == 1 && window.stride == 1 && window.padding == .zero
    }

    /// Stride 1 and as many output columns as input columns (`same` padding across): each kernel tap's
    /// block of the column matrix is the image shifted by a constant.
    @inlinable var rowsAreShifts: Bool { window.stride == 1 && outputWidth == width }

    /// The output rows i in lo..<hi whose input row i·sh + p·dh − top lies inside the image.
    @inlinable
    func validRows(kernelRow p: Int) -> (Int, Int) {
        let s = window.stride.height
        let offset = p * window.dilation.height - window.padding.top
        let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
        let hi = offset >= height ? 0 : (height - offset + s - 1) / s
        let l = Swift.min(lo, outputHeight), u = Swift.min(hi, outputHeight)
        return (l, Swift.max(l, u))
    }

    /// The output columns j in lo..<hi whose input column j·sw + offset lies inside the image.
    @inlinable
    func validColumns(offset: Int) -> (Int, Int) {
        let s = window.stride.width
        // Smallest j with j·s + offset ≥ 0, and smallest j with j·s + offset ≥ width.
        let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
        let hi = offset >= width ? 0 : (width - offset + s - 1) / s
        let l = Swift.min(lo, outputWidth), u = Swift.min(hi, outputWidth)
        return (l, Swift.max(l, u))
    }

    /// Row-major GEMM on raw pointers; the sizes were checked against the 32-bit blasint in `init`.
    @inlinable
    func gemm<Scalar: BLASScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                  a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
                                  beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        if m == 0 || n == 0 { return }
        Scalar.gemm(transA: transA, transB: transB, m: Int32(m), n: Int32(n), k: Int32(k), alpha: 1,
                    a: a, lda: Int32(lda), b: b, ldb: Int32(ldb), beta: beta, c: c, ldc: Int32(ldc))
    }
}

extension Variable {
    /// 2-D convolution (see `Tensor.conv2D`), recorded: the output and the im2col scratch come from the
    /// tape's arena, and the backward writes dX, dW and db straight into the gradient buffers, so a warm
    /// training step allocates nothing. dX is skipped when `self` needs no gradient (a network's input).
    ///
    /// - Parameters: `self` is [N, Cin, H, W], `weight` [Cout, Cin, kh, kw], `bias` [Cout] or nil.
    /// - Throws: as `Tensor.conv2D`.
    @inlinable
    public func conv2D(weight: Variable, bias: Variable? = nil, stride: Size2D = 1, padding: Padding2D = .zero,
                       dilation: Size2D = 1) throws -> Variable {
        let x = self
        let g = try Conv2DShape(x.value.shape, weight.value.shape, bias?.value.shape,
                                Window2D(kernel: 1, stride: stride, padding: padding, dilation: dilation))
        let operands = bias.map { [x, weight, $0] } ?? [x, weight]
        let y = Variable.outputBuffer(g.outputShape, x, weight, bias ?? x)
        let col = Variable.outputBuffer([g.scratchCount], x, weight, bias ?? x)
        try Tensor.conv2DForward(g, x.value.unsafeReadPointer, weight.value.unsafeReadPointer,
                                 bias?.value.unsafeReadPointer, into: y.unsafeWritePointer,
                                 scratch: col.unsafeWritePointer)
        return Variable.record(y, inputs: operands) { dy in
            let d = dy.unsafeReadPointer
            let scratch = col.unsafeWritePointer
            let xs = x.value.unsafeReadPointer, ws = weight.value.unsafeReadPointer
            // Nest the three gradient buffers so one kernel call sees them all (it walks the batch once).
            func withGrad(_ v: Variable?, _ body: ((UnsafeMutablePointer<Scalar>, add: Bool)?) -> Void) {
                if let v, v.requiresGrad { v.accumulateGrad { g, add in body((g, add)) } } else { body(nil) }
            }
            withGrad(x) { gx in
                withGrad(weight) { gw in
                    withGrad(bias) { gb in
                        Tensor.conv2DBackward(g, dy: d, x: xs, w: ws, scratch: scratch, gx: gx, gw: gw, gb: gb)
                    }
                }
            }
        }
    }
}

// Batch normalization (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training
// by Reducing Internal Covariate Shift", algorithms 1 and 2) with PyTorch's conventions, for conv maps
// [N, C, H, W] (statistics per channel over N·H·W, `BatchNorm2d`) and dense features [N, F] (per feature
// over N, `BatchNorm1d`); [N, C, L] works as `BatchNorm1d` does too.
//
// Training mode normalizes with the batch mean and the biased batch variance and moves the running
// statistics towards the batch's: running ← (1 − momentum)·running + momentum·batch, where the running
// variance takes the *unbiased* batch variance (m/(m − 1)·var), as PyTorch does. Evaluation mode
// normalizes with the running statistics. The backward of training mode is the full gradient through the
// batch statistics; in evaluation mode the statistics are constants.
//
// The input is read as [N, C, S] with S = H·W (1 for dense features): each (n, c) row of S scalars is
// contiguous, so sums run along rows (vectorized, in the scalar type) and rows are added in Double —
// a channel of a batch-64 28×28 map has 50 176 values, too many for one Float accumulator to stay
// within PyTorch's results at 1e-5.

/// The running mean and variance of a batch-normalization layer, per channel (or feature), with the
/// momentum and ε that go with them. The layer owns one, passes it `inout` to `Variable.batchNorm`, and
/// saves `runningMean` and `runningVariance` in its model file like parameters (they are not learned:
/// no gradient reaches them).
public struct BatchNormStatistics<Scalar: BLASScalar>: Sendable {
    /// [C], initially 0.
    public var runningMean: Tensor<Scalar>
    /// [C], initially 1.
    public var runningVariance: Tensor<Scalar>
    /// Weight of the current batch in the running averages (PyTorch's default 0.1).
    public var momentum: Scalar
    /// Added to the variance before the square root (PyTorch's default 1e-5).
    public var epsilon: Scalar

    /// Fresh statistics for `channels` channels: mean 0, variance 1.
    public init(channels: Int, momentum: Scalar = 0.1, epsilon: Scalar = 1e-5) {
        runningMean = Tensor(zeros: [channels])
        runningVariance = Tensor(repeating: 1, shape: [channels])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Statistics restored from a model file.
    /// - Throws: `TensorError.shapeMismatch` unless both tensors are vectors of the same length;
    ///   `TensorError.invalidArgument` for a momentum outside [0, 1], a negative ε or a negative variance.
    public init(runningMean: Tensor<Scalar>, runningVariance: Tensor<Scalar>, momentum: Scalar = 0.1, epsilon: Scalar = 1e-5) throws {
        guard runningMean.rank == 1, runningVariance.shape == runningMean.shape else {
            throw TensorError.shapeMismatch(op: "BatchNormStatistics (running mean against running variance)",
                                            lhs: runningMean.shape, rhs: runningVariance.shape)
        }
        guard momentum >= 0, momentum <= 1, epsilon >= 0 else {
            throw TensorError.invalidArgument(op: "BatchNormStatistics", reason: "momentum \(momentum) must be in [0, 1] and ε \(epsilon) ≥ 0")
        }
        guard runningVariance.scalars.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "BatchNormStatistics", reason: "a running variance is negative")
        }
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Number of channels.
    public var channels: Int { runningMean.count }
}

/// The checked layout of a batch-norm input: N rows of C channels of S contiguous scalars.
public struct BatchNormShape: Sendable {
    public let batch: Int, channels: Int, spatial: Int

    /// - Throws: `TensorError.invalidShape` for a rank other than 2, 3 or 4; `TensorError.shapeMismatch`
    ///   when γ, β or the running statistics are not [C].
    public init(_ x: [Int], scale: [Int], shift: [Int], statistics: [Int]) throws {
        let op = "batchNorm"
        guard (2...4).contains(x.count), x.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: op, shape: x, expected: "[N, C, H, W] or [N, F] (or [N, C, L])")
        }
        batch = x[0]
        channels = x[1]
        spatial = x.dropFirst(2).reduce(1, *)
        for (name, s) in [("scale γ", scale), ("shift β", shift), ("running statistics", statistics)] where s != [channels] {
            throw TensorError.shapeMismatch(op: "\(op) \(name) (input [N, C, …] against [C])", lhs: x, rhs: s)
        }
    }

    /// Values per channel: N·S.
    @inlinable public var valuesPerChannel: Int { batch * spatial }
}

extension Tensor {
    /// Batch normalization in evaluation mode: y = γ·(x − running mean)/√(running variance + ε) + β,
    /// per channel (dimension 1). `x` is [N, C, H, W], [N, C, L] or [N, F]; γ, β are [C].
    /// - Throws: as `BatchNormShape.init`.
    public static func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, statistics: BatchNormStatistics<Scalar>) throws -> Tensor {
        let g = try BatchNormShape(x.shape, scale: scale.shape, shift: shift.shape, statistics: statistics.runningMean.shape)
        let y = Tensor.uninitialized(x.shape)
        let saved = Tensor.uninitialized([2 * g.channels])
        batchNormEvaluationStatistics(g, statistics, into: saved.unsafeWritePointer)
        batchNormApply(g, x.unsafeReadPointer, scale: scale.unsafeReadPointer, shift: shift.unsafeReadPointer,
                       saved: saved.unsafeReadPointer, into: y.unsafeWritePointer)
        return y
    }

    // MARK: Kernels

    /// Σ of a row of n scalars, in the scalar type, widened to Double. Eight running sums: one sum
    /// waits four cycles for each add to finish (float addition is not reassociated), so the rows of a
    /// conv map's bias gradient or a batch norm took 4 cycles per scalar; eight independent chains keep
    /// the adder busy (and LLVM packs them into one vector register).
    @inlinable @inline(__always)
    static func rowSum(_ p: UnsafePointer<Scalar>, _ n: Int) -> Double {
        var (a0, a1, a2, a3, a4, a5, a6, a7): (Scalar, Scalar, Scalar, Scalar, Scalar, Scalar, Scalar, Scalar) = (0, 0, 0, 0, 0, 0, 0, 0)
        var i = 0
        while i + 8 <= n {
            a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3]
            a4 += p[i + 4]; a5 += p[i + 5]; a6 += p[i + 6]; a7 += p[i + 7]
            i += 8
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        while i < n { s += p[i]; i += 1 }
        return Double(s)
    }

    /// Writes the batch mean and 1/√(biased variance + ε) of every channel into `saved` ([mean | invstd])
    /// and updates the running statistics. Two passes (mean, then squared deviations) so a large mean
    /// does not cancel the variance.
    @inlinable
    static func batchNormTrainingStatistics(_ g: BatchNormShape, _ x: UnsafePointer<Scalar>,
                                            _ statistics: inout BatchNormStatistics<Scalar>,
                                            into saved: UnsafeMutablePointer<Scalar>) {
        let (c, s, m) = (g.channels, g.spatial, g.valuesPerChannel)
        let momentum = statistics.momentum, eps = statistics.epsilon
        let unbias = Double(m) / Double(m - 1)
        statistics.runningMean.withUnsafeMutableBufferPointer { rm in
            statistics.runningVariance.withUnsafeMutableBufferPointer { rv in
                for ch in 0..<c {
                    var sum = 0.0
                    for n in 0..<g.batch { sum += rowSum(x + (n * c + ch) * s, s) }
                    let mean = Scalar(sum / Double(m))
                    var squares = 0.0
                    for n in 0..<g.batch {
                        let row = x + (n * c + ch) * s
                        var q: Scalar = 0
                        for i in 0..<s { let d = row[i] - mean; q += d * d }
                        squares += Double(q)
                    }
                    let variance = squares / Double(m)
                    saved[ch] = mean
                    saved[c + ch] = Scalar(1 / (variance + Double(eps)).squareRoot())
                    rm[ch] = (1 - momentum) * rm[ch] + momentum * mean
                    rv[ch] = (1 - momentum) * rv[ch] + momentum * Scalar(variance * unbias)
                }
            }
        }
    }

    /// [running mean | 1/√(running variance + ε)] into `saved`.
    @inlinable
    static func batchNormEvaluationStatistics(_ g: BatchNormShape, _ statistics: BatchNormStatistics<Scalar>,
                                              into saved: UnsafeMutablePointer<Scalar>) {
        let rm = statistics.runningMean.unsafeReadPointer, rv = statistics.runningVariance.unsafeReadPointer
        for ch in 0..<g.channels {
            saved[ch] = rm[ch]
            saved[g.channels + ch] = 1 / (rv[ch] + statistics.epsilon).squareRoot()
        }
    }

    /// y = a·x + b per channel, with a = γ·invstd and b = β − mean·a.
    @inlinable
    static func batchNormApply(_ g: BatchNormShape, _ x: UnsafePointer<Scalar>, scale: UnsafePointer<Scalar>,
                               shift: UnsafePointer<Scalar>, saved: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>) {
        let (c, s) = (g.channels, g.spatial)
        if s == 1 {
            // Dense features: channels are the contiguous axis.
            for n in 0..<g.batch {
                let xr = x + n * c, yr = y + n * c
                for ch in 0..<c {
                    let a = scale[ch] * saved[c + ch]
                    yr[ch] = a * (xr[ch] - saved[ch]) + shift[ch]
                }
            }
            return
        }
        for n in 0..<g.batch {
            for ch in 0..<c {
                let a = scale[ch] * saved[c + ch], b = shift[ch] - saved[ch] * a
                let xr = x + (n * c + ch) * s, yr = y + (n * c + ch) * s
                for i in 0..<s { yr[i] = a * xr[i] + b }
            }
        }
    }

    /// The backward of batch normalization for one call, writing or adding each requested gradient.
    ///
    /// With x̂ = (x − μ)·σ⁻¹, Σdy and Σdy·x̂ per channel: dβ = Σdy, dγ = Σdy·x̂, and
    /// training:   dx = γσ⁻¹·(dy − Σdy/m − x̂·Σdy·x̂/m)   (μ and σ depend on x);
    /// evaluation: dx = γσ⁻¹·dy                          (running statistics are constants).
    @inlinable
    static func batchNormBackward(_ g: BatchNormShape, dy: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>,
                                  scale: UnsafePointer<Scalar>, saved: UnsafePointer<Scalar>, training: Bool,
                                  gx: (UnsafeMutablePointer<Scalar>, add: Bool)?,
                                  gscale: (UnsafeMutablePointer<Scalar>, add: Bool)?,
                                  gshift: (UnsafeMutablePointer<Scalar>, add: Bool)?) {
        let (c, s, m) = (g.channels, g.spatial, g.valuesPerChannel)
        for ch in 0..<c {
            let mean = saved[ch], invstd = saved[c + ch]
            var sumDy = 0.0, sumDyCentered = 0.0
            for n in 0..<g.batch {
                let o = (n * c + ch) * s
                let dr = dy + o, xr = x + o
                var a: Scalar = 0, b: Scalar = 0
                for i in 0..<s { let d = dr[i]; a += d; b += d * (xr[i] - mean) }
                sumDy += Double(a)
                sumDyCentered += Double(b)
            }
            let dScale = Scalar(sumDyCentered) * invstd
            if case let (p, add)? = gshift { p[ch] = (add ? p[ch] : 0) + Scalar(sumDy) }
            if case let (p, add)? = gscale { p[ch] = (add ? p[ch] : 0) + dScale }
            guard case let (dx, add)? = gx else { continue }
            // dx = k·dy + kc·(x − μ) + k0.
            let k = scale[ch] * invstd
            let kc = training ? -k * invstd * dScale / Scalar(m) : 0
            let k0 = training ? -k * Scalar(sumDy) / Scalar(m) : 0
            for n in 0..<g.batch {
                let o = (n * c + ch) * s
                let dr = dy + o, xr = x + o, out = dx + o
                if add {
                    for i in 0..<s { out[i] += k * dr[i] + kc * (xr[i] - mean) + k0 }
                } else {
                    for i in 0..<s { out[i] = k * dr[i] + kc * (xr[i] - mean) + k0 }
                }
            }
        }
    }
}

extension Variable {
    /// Batch normalization (see the file header), recorded.
    ///
    /// Training (`training: true`): y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch mean μ_B and biased
    /// variance σ²_B per channel, and `statistics` moves towards them (running variance with the unbiased
    /// batch variance). Evaluation: the running statistics replace μ_B and σ²_B and are left unchanged.
    /// Output, per-channel mean and 1/σ live in the tape's arena; the running statistics are updated in
    /// place (no allocation while the caller holds the only copy).
    ///
    /// - Parameters:
    ///   - scale: γ [C]; `shift`: β [C] (learnable, gradients flow into them).
    ///   - statistics: the running statistics ([C] each), updated in training mode.
    ///   - `self` is [N, C, H, W] (per channel over N·H·W), [N, F] (per feature over N) or [N, C, L].
    /// - Throws: as `BatchNormShape.init`; `TensorError.invalidArgument` in training mode when a channel
    ///   has a single value (N·H·W = 1: no variance to normalize by, as PyTorch refuses).
    @inlinable
    public func batchNorm(scale: Variable, shift: Variable, statistics: inout BatchNormStatistics<Scalar>,
                          training: Bool) throws -> Variable {
        let x = self
        let g = try BatchNormShape(x.value.shape, scale: scale.value.shape, shift: shift.value.shape,
                                   statistics: statistics.runningMean.shape)
        guard statistics.runningVariance.shape == statistics.runningMean.shape else {
            throw TensorError.shapeMismatch(op: "batchNorm running mean against running variance",
                                            lhs: statistics.runningMean.shape, rhs: statistics.runningVariance.shape)
        }
        if training && g.valuesPerChannel <= 1 {
            throw TensorError.invalidArgument(op: "batchNorm", reason: "training needs more than one value per channel, input is \(x.value.shape)")
        }
        let y = Variable.outputBuffer(x.value.shape, x, scale, shift)
        let saved = Variable.outputBuffer([2 * g.channels], x, scale, shift)
        if training {
            Tensor.batchNormTrainingStatistics(g, x.value.unsafeReadPointer, &statistics, into: saved.unsafeWritePointer)
        } else {
            Tensor.batchNormEvaluationStatistics(g, statistics, into: saved.unsafeWritePointer)
        }
        Tensor.batchNormApply(g, x.value.unsafeReadPointer, scale: scale.value.unsafeReadPointer,
                              shift: shift.value.unsafeReadPointer, saved: saved.unsafeReadPointer, into: y.unsafeWritePointer)
        return Variable.record(y, inputs: [x, scale, shift]) { dy in
            let d = dy.unsafeReadPointer, xs = x.value.unsafeReadPointer
            let gamma = scale.value.unsafeReadPointer, sv = saved.unsafeReadPointer
            func withGrad(_ v: Variable, _ body: ((UnsafeMutablePointer<Scalar>, add: Bool)?) -> Void) {
                if v.requiresGrad { v.accumulateGrad { g, add in body((g, add)) } } else { body(nil) }
            }
            withGrad(x) { gx in
                withGrad(scale) { gs in
                    withGrad(shift) { gb in
                        Tensor.batchNormBackward(g, dy: d, x: xs, scale: gamma, saved: sv, training: training,
                                                 gx: gx, gscale: gs, gshift: gb)
                    }
                }
            }
        }
    }
}

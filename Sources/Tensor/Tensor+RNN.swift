// The vanilla (Elman) recurrent layer over a whole sequence: forward, backward through time, recorder.
//
// Cell (Elman 1990), in PyTorch's formulation (`torch.nn.RNN`):
//
//   h_t = φ(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh),   φ = tanh (default) or ReLU
//
// Local derivatives, with dh the gradient reaching h_t from the output and from step t+1:
//
//   da = dh ⊙ φ′ (tanh: 1 − h_t², ReLU: [h_t > 0]),   dh_{t−1} = da·W_hh,
//   dW_ih = Σ_t daᵀ·x_t,   dW_hh = Σ_t daᵀ·h_{t−1},   db_ih = db_hh = Σ_t da
//
// With one-hot inputs, hidden 100, chunks of 25 and the state carried over, this is min-char-rnn
// (Karpathy 2015), which the Layers tests reproduce to 1e-9.

/// The nonlinearity of a vanilla RNN (PyTorch's `nonlinearity=`).
public enum RNNNonlinearity: String, Sendable, Codable, CaseIterable {
    case tanh
    case relu
}

extension Variable {
    /// A vanilla RNN layer (one direction) over the whole sequence `input`: h_t = φ(x_t·W_ihᵀ + b_ih +
    /// h_{t−1}·W_hhᵀ + b_hh), with the layout of `torch.nn.RNN` (`weight_ih_l0` [H, I], `weight_hh_l0`
    /// [H, H], `bias_ih_l0`, `bias_hh_l0` [H]).
    ///
    /// - Parameters:
    ///   - input: x [N, T, I] batch-first, or one-hot token ids.
    ///   - weights: W_ih [H, I], W_hh [H, H], optional biases [H].
    ///   - h0: the initial state [N, H] (zeros when nil); its gradient is computed when it requires one.
    ///   - nonlinearity: φ, tanh or ReLU.
    ///   - reversed: run from step T−1 down to 0 (a bidirectional layer's backward direction); the output
    ///     at step t is still the one for input step t.
    ///   - lengths: real lengths of padded sequences, each in 0...T (nil: all T); steps past a row's
    ///     length keep its state and output zeros (PyTorch's packed sequences).
    /// - Returns: `output` h_t for every step [N, T, H] and the final `hidden` state [N, H].
    /// - Throws: `TensorError` naming the shapes that do not fit, or the batch row and step of an id or
    ///   length out of range.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func rnn(_ input: SequenceInput<Scalar>, weights: RecurrentWeights<Scalar>, h0: Variable? = nil,
                           nonlinearity: RNNNonlinearity = .tanh, reversed: Bool = false,
                           lengths: [Int]? = nil) throws -> (output: Variable, hidden: Variable) {
        let op = reversed ? "rnn (reversed)" : "rnn"
        let s = try Tensor<Scalar>.recurrentShape(op, gates: 1, input: input, weights: weights,
                                                  initialStates: [("h0", h0)], lengths: lengths)
        let x = input.variable
        let operands: [Variable?] = [x, weights.weightIH, weights.weightHH, weights.biasIH, weights.biasHH, h0]
        let tape = input.tape ?? Variable.tape(among: operands)
        let needsGradient = tape != nil && operands.contains { $0?.requiresGrad == true }
        let (n, t, h) = (s.batch, s.steps, s.hidden)
        let mask = StepMask(lengths)

        let y = buffer([n, t, h], tape), hN = buffer([n, h], tape)
        // Pre-activations (their gradients in backward) and the state entering each step.
        let pre = buffer([n, t, h], tape), hPrev = buffer([n, t, h], tape)
        let pp = pre.unsafeWritePointer, yp = y.unsafeWritePointer, hp = hPrev.unsafeWritePointer, hNp = hN.unsafeWritePointer
        let whh = weights.weightHH.value.unsafeReadPointer

        // A batch of one in Float: each step's product reads W_hhᵀ, transposed once per call into the
        // arena, with the gemv kernel that sums scaled rows (gemv.c's columns). At H = 100 that form takes
        // 285 ns a product against 410 for the dot products of W_hh's rows (min-char-rnn, in place), and
        // the transpose costs about one product. (In Double the rows form is the faster one.)
        // The buffer lives as long as this function: without a tape (inference) nothing else holds it.
        var whhT: UnsafePointer<Scalar>? = nil
        var whhTBuffer: Tensor<Scalar>? = nil
        defer { withExtendedLifetime(whhTBuffer) {} }
        if n == 1 && t > 1 && Scalar.self == Float.self && h * h <= smallGEMVLimit {
            whhTBuffer = buffer([h, h], tape)
            if smallTranspose(whh, rows: h, columns: h, into: whhTBuffer!.unsafeWritePointer) { whhT = whhTBuffer!.unsafeReadPointer }
        }
        try Tensor.inputProjection(op, s, input: input, weights: weights, hiddenBiasColumns: h, into: pp)
        if t == 0 { Tensor.copyState(h0, into: hNp, count: n * h) } else { Tensor.writeInitialState(h0, s, into: hp, step: reversed ? t - 1 : 0) }
        for k in 0..<t {
            let step = reversed ? t - 1 - k : k
            let next = reversed ? step - 1 : step + 1
            let last = k == t - 1
            if let whhT {
                _ = smallGEMV(rows: false, b: whhT, n: h, k: h, ldb: h, x: hp + step * h, beta: 1, y: pp + step * h)
            } else {
                try Tensor.stridedGEMM(op, transposeA: false, transposeB: true, m: n, n: h, k: h, a: hp + step * h, lda: t * h,
                                       b: whh, ldb: h, beta: 1, c: pp + step * h, ldc: t * h)
            }
            for row in 0..<n {
                let o = row * t + step
                let hNext = last ? hNp + row * h : hp + (row * t + next) * h
                let yr = yp + o * h
                guard mask.isActive(row: row, step: step) else {
                    hNext.update(from: hp + o * h, count: h)
                    yr.update(repeating: 0, count: h)
                    continue
                }
                let a = pp + o * h
                switch nonlinearity {
                case .tanh: tanhKernel(a, yr, count: h)
                case .relu: reluForwardKernel(a, yr, count: h)
                }
                hNext.update(from: yr, count: h)
            }
        }

        let carry = needsGradient ? buffer([n, h], tape) : nil
        let outputs = recordOutputs([y, hN], inputs: operands, tape: tape) { gradients in
            guard let carry else { return }
            let dh = carry.unsafeWritePointer
            if let d = gradients[1] { dh.update(from: d.unsafeReadPointer, count: n * h) } else { dh.update(repeating: 0, count: n * h) }
            let dY = gradients[0]?.unsafeReadPointer
            let da = pre.unsafeWritePointer, ys = y.unsafeReadPointer
            for k in (0..<t).reversed() {
                let step = reversed ? t - 1 - k : k
                for row in 0..<n {
                    let o = row * t + step
                    let dar = da + o * h, dhr = dh + row * h
                    guard mask.isActive(row: row, step: step) else {
                        dar.update(repeating: 0, count: h)
                        continue
                    }
                    let dyr = dY.map { $0 + o * h }
                    let yr = ys + o * h
                    forEachEight(h) { j, m in
                        var d = lanes(dhr, j, m)
                        if let dyr { d += lanes(dyr, j, m) }
                        let v = lanes(yr, j, m)
                        switch nonlinearity {
                        case .tanh: store(d * (1 - v * v), dar, j, m)
                        case .relu: store(d.replacing(with: 0, where: v .<= 0), dar, j, m)
                        }
                        store(SIMD8(repeating: 0), dhr, j, m)
                    }
                }
                try Tensor.stridedGEMM(op, transposeA: false, transposeB: false, m: n, n: h, k: h, a: da + step * h, lda: t * h,
                                       b: whh, ldb: h, beta: 1, c: dh, ldc: h)
            }
            Tensor.accumulateState(h0, dh, count: n * h)
            try Tensor.inputProjectionBackward(op, s, input: input, weights: weights, gradient: da)
            try Tensor.recurrentWeightBackward(op, s, weights: weights, gradient: da, previous: hPrev.unsafeReadPointer)
        }
        return (outputs[0], outputs[1])
    }

    /// `Variable.rnn(.dense(self), …)`: a vanilla RNN over this [N, T, I] sequence.
    @inlinable
    public func rnn(weights: RecurrentWeights<Scalar>, h0: Variable? = nil, nonlinearity: RNNNonlinearity = .tanh,
                    reversed: Bool = false, lengths: [Int]? = nil) throws -> (output: Variable, hidden: Variable) {
        try Variable.rnn(.dense(self), weights: weights, h0: h0, nonlinearity: nonlinearity, reversed: reversed, lengths: lengths)
    }
}

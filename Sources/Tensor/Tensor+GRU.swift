// The gated recurrent unit over a whole sequence: forward, backward through time, recorder.
//
// Cell (Cho et al. 2014), in PyTorch's formulation (`torch.nn.GRU`) and gate order r, z, n — the reset
// gate applied to W_hn·h + b_hn, after the product, as PyTorch (and cuDNN) do, not to h before it as in
// the paper:
//
//   r = σ(x_t·W_irᵀ + b_ir + h_{t−1}·W_hrᵀ + b_hr)
//   z = σ(x_t·W_izᵀ + b_iz + h_{t−1}·W_hzᵀ + b_hz)
//   n = tanh(x_t·W_inᵀ + b_in + r ⊙ (h_{t−1}·W_hnᵀ + b_hn))
//   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
//
// Local derivatives, with dh the gradient reaching h_t and q = h_{t−1}·W_hnᵀ + b_hn:
//
//   da_n = dh ⊙ (1 − z) ⊙ (1 − n²)          da_z = dh ⊙ (h_{t−1} − n) ⊙ z(1 − z)
//   da_r = da_n ⊙ q ⊙ r(1 − r)              dq = da_n ⊙ r
//   dh_{t−1} = dh ⊙ z + [da_r, da_z, dq]·W_hh
//
// The input side's gradient is [da_r, da_z, da_n] and the hidden side's [da_r, da_z, dq]: they differ in
// the n block, so the GRU keeps two gradient buffers where the RNN and LSTM share one.

extension Variable {
    /// A GRU layer (one direction) over the whole sequence `input`, with PyTorch's equations, gate order
    /// (r, z, n) and parameter layout — the weights of `torch.nn.GRU` (`weight_ih_l0` [3H, I],
    /// `weight_hh_l0` [3H, H], `bias_ih_l0`, `bias_hh_l0` [3H]) give the same outputs.
    ///
    /// - Parameters:
    ///   - input: x [N, T, I] batch-first, or one-hot token ids.
    ///   - weights: W_ih [3H, I], W_hh [3H, H], optional biases [3H].
    ///   - h0: the initial state [N, H] (zeros when nil); its gradient is computed when it requires one.
    ///   - reversed: run from step T−1 down to 0 (a bidirectional layer's backward direction); the output
    ///     at step t is still the one for input step t.
    ///   - lengths: real lengths of padded sequences, each in 0...T (nil: all T); steps past a row's
    ///     length keep its state and output zeros (PyTorch's packed sequences).
    /// - Returns: `output` h_t for every step [N, T, H] and the final `hidden` state [N, H].
    /// - Throws: `TensorError` naming the shapes that do not fit, or the batch row and step of an id or
    ///   length out of range.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func gru(_ input: SequenceInput<Scalar>, weights: RecurrentWeights<Scalar>, h0: Variable? = nil,
                           reversed: Bool = false, lengths: [Int]? = nil) throws -> (output: Variable, hidden: Variable) {
        let op = reversed ? "gru (reversed)" : "gru"
        let s = try Tensor<Scalar>.recurrentShape(op, gates: 3, input: input, weights: weights,
                                                  initialStates: [("h0", h0)], lengths: lengths)
        let x = input.variable
        let operands: [Variable?] = [x, weights.weightIH, weights.weightHH, weights.biasIH, weights.biasHH, h0]
        let tape = input.tape ?? Variable.tape(among: operands)
        let needsGradient = tape != nil && operands.contains { $0?.requiresGrad == true }
        let (n, t, h, w) = (s.batch, s.steps, s.hidden, s.width)
        let mask = StepMask(lengths)

        let y = buffer([n, t, h], tape), hN = buffer([n, h], tape)
        // Input-side pre-activations (r and z blocks get the hidden side added), hidden-side products
        // (the n block keeps q = h·W_hnᵀ + b_hn for backward), activated gates, the state entering each step.
        let pre = buffer([n, t, w], tape), hid = buffer([n, t, w], tape), gates = buffer([n, t, w], tape)
        let hPrev = buffer([n, t, h], tape)
        let pp = pre.unsafeWritePointer, qp = hid.unsafeWritePointer, gp = gates.unsafeWritePointer
        let yp = y.unsafeWritePointer, hp = hPrev.unsafeWritePointer, hNp = hN.unsafeWritePointer
        let whh = weights.weightHH.value.unsafeReadPointer
        let bhn = weights.biasHH.map { $0.value.unsafeReadPointer + 2 * h }

        try Tensor.inputProjection(op, s, input: input, weights: weights, hiddenBiasColumns: 2 * h, into: pp)
        if t == 0 { Tensor.copyState(h0, into: hNp, count: n * h) } else { Tensor.writeInitialState(h0, s, into: hp, step: reversed ? t - 1 : 0) }
        // Each thread steps its run of the batch's rows through every time step (`forEachPart`).
        try Tensor<Scalar>.forEachPart(n, cost: t * w * (2 * h + 16)) { rows in
            let r0 = rows.lowerBound
            for k in 0..<t {
                let step = reversed ? t - 1 - k : k
                let next = reversed ? step - 1 : step + 1
                let last = k == t - 1
                try Tensor.stridedGEMM(op, transposeA: false, transposeB: true, m: rows.count, n: w, k: h, a: hp + r0 * t * h + step * h, lda: t * h,
                                       b: whh, ldb: h, beta: 0, c: qp + r0 * t * w + step * w, ldc: t * w)
                for row in rows {
                    let o = row * t + step
                    let hOld = hp + o * h
                    let hNext = last ? hNp + row * h : hp + (row * t + next) * h
                    let yr = yp + o * h
                    guard mask.isActive(row: row, step: step) else {
                        hNext.update(from: hOld, count: h)
                        yr.update(repeating: 0, count: h)
                        continue
                    }
                    let a = pp + o * w, q = qp + o * w, g = gp + o * w
                    let an = a + 2 * h, qn = q + 2 * h, gr = g, gz = g + h, gn = g + 2 * h
                    forEachEight(2 * h) { j, m in store(lanes(a, j, m) + lanes(q, j, m), a, j, m) }
                    sigmoidKernel(a, g, count: 2 * h)                 // r, z
                    if let bhn { forEachEight(h) { j, m in store(lanes(qn, j, m) + lanes(bhn, j, m), qn, j, m) } }
                    forEachEight(h) { j, m in store(lanes(an, j, m) + lanes(gr, j, m) * lanes(qn, j, m), an, j, m) }
                    tanhKernel(an, gn, count: h)                      // n
                    forEachEight(h) { j, m in
                        let z = lanes(gz, j, m), v = (1 - z) * lanes(gn, j, m) + z * lanes(hOld, j, m)
                        store(v, yr, j, m)
                        store(v, hNext, j, m)
                    }
                }
            }
        }

        let carry = needsGradient ? buffer([n, h], tape) : nil
        let outputs = recordOutputs([y, hN], inputs: operands, tape: tape) { gradients in
            guard let carry else { return }
            let dh = carry.unsafeWritePointer
            if let d = gradients[1] { dh.update(from: d.unsafeReadPointer, count: n * h) } else { dh.update(repeating: 0, count: n * h) }
            let dY = gradients[0]?.unsafeReadPointer
            // Both pre-activation buffers are dead after the forward: the input side's gradient goes into
            // `pre`, the hidden side's into `hid` (each element of q read before it is overwritten).
            let di = pre.unsafeWritePointer, dq = hid.unsafeWritePointer
            let g = gates.unsafeReadPointer, hOldAll = hPrev.unsafeReadPointer
            try Tensor<Scalar>.forEachPart(n, cost: t * w * (2 * h + 16)) { rows in
                let r0 = rows.lowerBound
                for k in (0..<t).reversed() {
                    let step = reversed ? t - 1 - k : k
                    for row in rows {
                        let o = row * t + step
                        let dir = di + o * w, dqr = dq + o * w, dhr = dh + row * h
                        guard mask.isActive(row: row, step: step) else {
                            dir.update(repeating: 0, count: w)
                            dqr.update(repeating: 0, count: w)
                            continue
                        }
                        let dyr = dY.map { $0 + o * h }
                        let gr = g + o * w, hOld = hOldAll + o * h
                        let gz = gr + h, gn = gr + 2 * h
                        let dir_z = dir + h, dir_n = dir + 2 * h, dq_z = dqr + h, dq_n = dqr + 2 * h
                        forEachEight(h) { j, m in
                            let r = lanes(gr, j, m), z = lanes(gz, j, m), nn = lanes(gn, j, m), q = lanes(dq_n, j, m)
                            var d = lanes(dhr, j, m)
                            if let dyr { d += lanes(dyr, j, m) }
                            let dan = d * (1 - z) * (1 - nn * nn)
                            let daz = d * (lanes(hOld, j, m) - nn) * z * (1 - z)
                            let dar = dan * q * r * (1 - r)
                            store(dar, dir, j, m); store(daz, dir_z, j, m); store(dan, dir_n, j, m)
                            store(dar, dqr, j, m); store(daz, dq_z, j, m); store(dan * r, dq_n, j, m)
                            store(d * z, dhr, j, m)
                        }
                    }
                    try Tensor.stridedGEMM(op, transposeA: false, transposeB: false, m: rows.count, n: h, k: w, a: dq + r0 * t * w + step * w, lda: t * w,
                                           b: whh, ldb: h, beta: 1, c: dh + r0 * h, ldc: h)
                }
            }
            Tensor.accumulateState(h0, dh, count: n * h)
            try Tensor.inputProjectionBackward(op, s, input: input, weights: weights, gradient: di)
            try Tensor.recurrentWeightBackward(op, s, weights: weights, gradient: dq, previous: hPrev.unsafeReadPointer)
        }
        return (outputs[0], outputs[1])
    }

    /// `Variable.gru(.dense(self), …)`: a GRU over this [N, T, I] sequence.
    @inlinable
    public func gru(weights: RecurrentWeights<Scalar>, h0: Variable? = nil, reversed: Bool = false,
                    lengths: [Int]? = nil) throws -> (output: Variable, hidden: Variable) {
        try Variable.gru(.dense(self), weights: weights, h0: h0, reversed: reversed, lengths: lengths)
    }
}

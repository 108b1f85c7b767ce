// The long short-term memory layer over a whole sequence: forward, backward through time, recorder.
//
// Cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers, Schmidhuber & Cummins 2000), in
// PyTorch's formulation and gate order i, f, g, o:
//
//   [a_i a_f a_g a_o] = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c_t = f ⊙ c_{t−1} + i ⊙ g
//   h_t = o ⊙ tanh(c_t)
//
// Local derivatives, with dh the gradient reaching h_t (from the output and from step t+1) and dc the one
// reaching c_t from step t+1:
//
//   dc   += dh ⊙ o ⊙ (1 − tanh² c_t)
//   da_o  = dh ⊙ tanh c_t ⊙ o(1 − o)        da_i = dc ⊙ g ⊙ i(1 − i)
//   da_g  = dc ⊙ i ⊙ (1 − g²)               da_f = dc ⊙ c_{t−1} ⊙ f(1 − f)
//   dc_{t−1} = dc ⊙ f                        dh_{t−1} = da·W_hh
//
// Kernels: the input projection of all steps is one GEMM; each step is one GEMM (h_{t−1}·W_hhᵀ) and one
// pass over the gates that applies σ/tanh and forms c_t and h_t; backward is one pass over the gates and
// one GEMM (da·W_hh) per step, then dW_ih, dW_hh and dx as one GEMM each over all steps. The per-step
// work runs in runs of rows, one per thread (`forEachPart`).

extension Variable {
    /// An LSTM layer (one direction) over the whole sequence `input`, with PyTorch's equations, gate order
    /// (i, f, g, o) and parameter layout — the weights of `torch.nn.LSTM` (`weight_ih_l0` [4H, I],
    /// `weight_hh_l0` [4H, H], `bias_ih_l0`, `bias_hh_l0` [4H]) give the same outputs.
    ///
    /// - Parameters:
    ///   - input: x [N, T, I] batch-first, or one-hot token ids.
    ///   - weights: W_ih [4H, I], W_hh [4H, H], optional biases [4H].
    ///   - h0: the initial hidden state [N, H] (zeros when nil). Its gradient is computed when it requires
    ///     one; truncated backpropagation through time passes the previous chunk's final state as a
    ///     constant.
    ///   - c0: the initial cell state [N, H] (zeros when nil).
    ///   - reversed: run from step T−1 down to 0 (the backward direction of a bidirectional layer); the
    ///     output at step t is still the one for input step t, as in PyTorch's `bidirectional=True`.
    ///   - lengths: real lengths of padded sequences, each in 0...T (nil: all T). Steps past a row's
    ///     length keep its state and output zeros, and the final states are those after its last real
    ///     step — PyTorch's packed sequences.
    /// - Returns: `output` h_t for every step [N, T, H], and the final `hidden` h [N, H] and `cell` c [N, H].
    /// - Throws: `TensorError` naming the shapes that do not fit, or the batch row and step of an id or
    ///   length out of range.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func lstm(_ input: SequenceInput<Scalar>, weights: RecurrentWeights<Scalar>, h0: Variable? = nil,
                            c0: Variable? = nil, reversed: Bool = false, lengths: [Int]? = nil) throws
        -> (output: Variable, hidden: Variable, cell: Variable) {
        let op = reversed ? "lstm (reversed)" : "lstm"
        let s = try Tensor<Scalar>.recurrentShape(op, gates: 4, input: input, weights: weights,
                                                  initialStates: [("h0", h0), ("c0", c0)], lengths: lengths)
        let x = input.variable
        let operands: [Variable?] = [x, weights.weightIH, weights.weightHH, weights.biasIH, weights.biasHH, h0, c0]
        let tape = input.tape ?? Variable.tape(among: operands)
        let needsGradient = tape != nil && operands.contains { $0?.requiresGrad == true }
        let (n, t, h, w) = (s.batch, s.steps, s.hidden, s.width)
        let mask = StepMask(lengths)

        let y = buffer([n, t, h], tape), hN = buffer([n, h], tape), cN = buffer([n, h], tape)
        // Pre-activations (reused for their gradients in backward), activated gates, the states entering
        // each step and tanh(c_t): what backward reads, so nothing is recomputed.
        let pre = buffer([n, t, w], tape), gates = buffer([n, t, w], tape)
        let hPrev = buffer([n, t, h], tape), cPrev = buffer([n, t, h], tape), tanhC = buffer([n, t, h], tape)
        let pp = pre.unsafeWritePointer, gp = gates.unsafeWritePointer, yp = y.unsafeWritePointer
        let hp = hPrev.unsafeWritePointer, cp = cPrev.unsafeWritePointer, tp = tanhC.unsafeWritePointer
        let hNp = hN.unsafeWritePointer, cNp = cN.unsafeWritePointer
        let whh = weights.weightHH.value.unsafeReadPointer

        try Tensor.inputProjection(op, s, input: input, weights: weights, hiddenBiasColumns: w, into: pp)
        if t == 0 {
            Tensor.copyState(h0, into: hNp, count: n * h)
            Tensor.copyState(c0, into: cNp, count: n * h)
        } else {
            Tensor.writeInitialState(h0, s, into: hp, step: reversed ? t - 1 : 0)
            Tensor.writeInitialState(c0, s, into: cp, step: reversed ? t - 1 : 0)
        }
        // The rows of a batch are independent recurrences: each thread steps its run of rows through
        // every time step (`forEachPart`).
        try Tensor<Scalar>.forEachPart(n, cost: t * w * (2 * h + 16)) { rows in
            let r0 = rows.lowerBound
            for k in 0..<t {
                let step = reversed ? t - 1 - k : k
                let next = reversed ? step - 1 : step + 1
                let last = k == t - 1
                // a_t += h_{t−1}·W_hhᵀ: the run's rows, T·H apart in, T·4H apart out.
                try Tensor.stridedGEMM(op, transposeA: false, transposeB: true, m: rows.count, n: w, k: h,
                                       a: hp + r0 * t * h + step * h, lda: t * h,
                                       b: whh, ldb: h, beta: 1, c: pp + r0 * t * w + step * w, ldc: t * w)
                for row in rows {
                    let o = row * t + step
                    let hNext = last ? hNp + row * h : hp + (row * t + next) * h
                    let cNext = last ? cNp + row * h : cp + (row * t + next) * h
                    let cOld = cp + o * h, yr = yp + o * h
                    guard mask.isActive(row: row, step: step) else {
                        hNext.update(from: hp + o * h, count: h)
                        cNext.update(from: cOld, count: h)
                        yr.update(repeating: 0, count: h)
                        continue
                    }
                    let a = pp + o * w, g = gp + o * w, tc = tp + o * h
                    sigmoidKernel(a, g, count: 2 * h)                 // i, f
                    tanhKernel(a + 2 * h, g + 2 * h, count: h)        // g
                    sigmoidKernel(a + 3 * h, g + 3 * h, count: h)     // o
                    // One pointer per gate, so the loops index with j alone (no overflow-checked offsets,
                    // which keep LLVM from vectorizing).
                    let gi = UnsafePointer(g), gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
                    for j in 0..<h { cNext[j] = gf[j] * cOld[j] + gi[j] * gg[j] }
                    tanhKernel(UnsafePointer(cNext), tc, count: h)
                    for j in 0..<h {
                        let v = go[j] * tc[j]
                        yr[j] = v
                        hNext[j] = v
                    }
                }
            }
        }

        // Backward's carried gradients dh and dc [N, H]; allocated only when backward will run.
        let carries = needsGradient ? (buffer([n, h], tape), buffer([n, h], tape)) : nil
        let outputs = recordOutputs([y, hN, cN], inputs: operands, tape: tape) { gradients in
            guard let (dhCarry, dcCarry) = carries else { return }
            let dh = dhCarry.unsafeWritePointer, dc = dcCarry.unsafeWritePointer
            if let d = gradients[1] { dh.update(from: d.unsafeReadPointer, count: n * h) } else { dh.update(repeating: 0, count: n * h) }
            if let d = gradients[2] { dc.update(from: d.unsafeReadPointer, count: n * h) } else { dc.update(repeating: 0, count: n * h) }
            let dY = gradients[0]?.unsafeReadPointer
            let da = pre.unsafeWritePointer            // the pre-activations are dead: their gradients go there
            let g = gates.unsafeReadPointer, tc = tanhC.unsafeReadPointer, cOldAll = cPrev.unsafeReadPointer
            try Tensor<Scalar>.forEachPart(n, cost: t * w * (2 * h + 16)) { rows in
                let r0 = rows.lowerBound
                for k in (0..<t).reversed() {
                    let step = reversed ? t - 1 - k : k
                    for row in rows {
                        let o = row * t + step
                        let dar = da + o * w, dhr = dh + row * h, dcr = dc + row * h
                        guard mask.isActive(row: row, step: step) else {
                            // The step kept the state: dh and dc pass through; its zero output has no gradient.
                            dar.update(repeating: 0, count: w)
                            continue
                        }
                        let dyr = dY.map { $0 + o * h }
                        let gr = g + o * w, tcr = tc + o * h, cOld = cOldAll + o * h
                        let gi = gr, gf = gr + h, gg = gr + 2 * h, go = gr + 3 * h
                        let dai = dar, daf = dar + h, dag = dar + 2 * h, dao = dar + 3 * h
                        forEachEight(h) { j, m in
                            let i = lanes(gi, j, m), f = lanes(gf, j, m), g = lanes(gg, j, m), o = lanes(go, j, m)
                            var dhj = lanes(dhr, j, m)
                            if let dyr { dhj += lanes(dyr, j, m) }
                            let tcj = lanes(tcr, j, m)
                            let dcj = lanes(dcr, j, m) + dhj * o * (1 - tcj * tcj)
                            store(dcj * g * i * (1 - i), dai, j, m)
                            store(dcj * lanes(cOld, j, m) * f * (1 - f), daf, j, m)
                            store(dcj * i * (1 - g * g), dag, j, m)
                            store(dhj * tcj * o * (1 - o), dao, j, m)
                            store(dcj * f, dcr, j, m)
                            store(SIMD8(repeating: 0), dhr, j, m)
                        }
                    }
                    // dh_{t−1} = da_t·W_hh (added: rows past their length carry their dh through).
                    try Tensor.stridedGEMM(op, transposeA: false, transposeB: false, m: rows.count, n: h, k: w,
                                           a: da + r0 * t * w + step * w, lda: t * w,
                                           b: whh, ldb: h, beta: 1, c: dh + r0 * h, ldc: h)
                }
            }
            Tensor.accumulateState(h0, dh, count: n * h)
            Tensor.accumulateState(c0, dc, count: n * h)
            try Tensor.inputProjectionBackward(op, s, input: input, weights: weights, gradient: da)
            try Tensor.recurrentWeightBackward(op, s, weights: weights, gradient: da, previous: hPrev.unsafeReadPointer)
        }
        return (outputs[0], outputs[1], outputs[2])
    }

    /// `Variable.lstm(.dense(self), …)`: an LSTM over this [N, T, I] sequence.
    @inlinable
    public func lstm(weights: RecurrentWeights<Scalar>, h0: Variable? = nil, c0: Variable? = nil, reversed: Bool = false,
                     lengths: [Int]? = nil) throws -> (output: Variable, hidden: Variable, cell: Variable) {
        try Variable.lstm(.dense(self), weights: weights, h0: h0, c0: c0, reversed: reversed, lengths: lengths)
    }
}

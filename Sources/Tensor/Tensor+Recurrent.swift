// What the recurrent ops (Tensor+RNN.swift, Tensor+LSTM.swift, Tensor+GRU.swift) share: their inputs and
// weights, shape checks, the input projection of every time step as one GEMM (and its backward), the
// weight gradients as one GEMM each over all steps, and the recording of an op with several outputs.
//
// Layout. Sequences are batch-first, [N, T, F], as the layer's examples are [T, F] each. The ops never
// transpose or copy a sequence to time-major: one time step of a batch-first buffer is N rows with a
// row stride of T·F, which BLAS takes as its leading dimension. Weights stay in PyTorch's layout,
// weight_ih [G·H, I] and weight_hh [G·H, H] (G gates stacked in PyTorch's order), and enter every
// product through transpose flags.
//
// Truncated backpropagation through time (Werbos 1990; Williams & Peng 1990): an op differentiates
// through the T steps it was given, back to its initial state. A language model that carries the state
// across chunks passes the previous chunk's final state in as a constant, which is where the gradient
// stops.

/// The input sequence of a recurrent op.
public enum SequenceInput<Scalar: BLASScalar> {
    /// x [N, T, I]: N sequences of T steps of I features, batch-first.
    case dense(Variable<Scalar>)
    /// Token ids, N·T of them row-major ([N, T]), each standing for a one-hot vector of I = weight_ih's
    /// column count. One-hot(id)·W_ihᵀ is column `id` of W_ih, so the input projection is a column
    /// gather instead of a GEMM with a matrix of zeros (the same numbers, exactly), and its backward a
    /// scatter-add into those columns. No gradient flows to the ids.
    ///
    /// `tape` is the tape to record on: ids are plain integers and the weights are parameters, so
    /// without it (and without an initial state on a tape) the op would record nothing. nil: inference.
    case oneHot(ids: [Int], batch: Int, steps: Int, tape: Tape<Scalar>?)

    /// The tape the input belongs to, if any.
    @inlinable
    public var tape: Tape<Scalar>? {
        switch self {
        case let .dense(x): return x.tape
        case let .oneHot(_, _, _, tape): return tape
        }
    }

    /// The dense input variable, nil for ids.
    @inlinable
    var variable: Variable<Scalar>? {
        if case let .dense(x) = self { return x }
        return nil
    }
}

/// The parameters of one recurrent layer (one direction), in PyTorch's layout, so that they load into
/// and out of `torch.nn.RNN`, `LSTM` and `GRU` unchanged (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
/// `bias_hh_l0`).
///
/// G is the number of gates (RNN 1, GRU 3 in the order r, z, n, LSTM 4 in the order i, f, g, o) and H
/// the hidden size.
public struct RecurrentWeights<Scalar: BLASScalar> {
    /// W_ih [G·H, I].
    public var weightIH: Variable<Scalar>
    /// W_hh [G·H, H].
    public var weightHH: Variable<Scalar>
    /// b_ih [G·H], or nil for a layer without biases (PyTorch's `bias=False`).
    public var biasIH: Variable<Scalar>?
    /// b_hh [G·H], or nil.
    public var biasHH: Variable<Scalar>?

    public init(weightIH: Variable<Scalar>, weightHH: Variable<Scalar>, biasIH: Variable<Scalar>? = nil,
                biasHH: Variable<Scalar>? = nil) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }

    /// Weights drawn as PyTorch draws them for a recurrent layer: every parameter uniform in
    /// [−1/√H, 1/√H]. `gates` is 1 (RNN), 3 (GRU) or 4 (LSTM).
    public static func random(gates: Int, inputs: Int, hidden: Int, bias: Bool = true,
                              using rng: inout SeededRNG) -> RecurrentWeights {
        let k = 1 / Scalar(Double(Swift.max(hidden, 1)).squareRoot())
        func draw(_ shape: [Int]) -> Variable<Scalar> {
            Variable(Tensor.randomUniform(shape, low: -k, high: k, using: &rng))
        }
        let wih = draw([gates * hidden, inputs]), whh = draw([gates * hidden, hidden])
        let bih = bias ? draw([gates * hidden]) : nil, bhh = bias ? draw([gates * hidden]) : nil
        return RecurrentWeights(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh)
    }

    /// The variables in the order weight_ih, weight_hh, bias_ih, bias_hh (absent biases left out).
    public var all: [Variable<Scalar>] {
        [weightIH, weightHH] + [biasIH, biasHH].compactMap { $0 }
    }
}

/// The sizes of one recurrent op: N sequences, T steps, I input features, H hidden units, G gates.
@usableFromInline
struct RecurrentShape {
    @usableFromInline let batch: Int, steps: Int, inputs: Int, hidden: Int, gates: Int
    /// G·H, the width of one step's gate pre-activations.
    @usableFromInline var width: Int { gates * hidden }
    /// N·T, the rows of a whole sequence buffer.
    @usableFromInline var rows: Int { batch * steps }

    @usableFromInline
    init(batch: Int, steps: Int, inputs: Int, hidden: Int, gates: Int) {
        self.batch = batch
        self.steps = steps
        self.inputs = inputs
        self.hidden = hidden
        self.gates = gates
    }
}

extension Tensor {
    /// Checks a recurrent op's operands and returns its sizes.
    ///
    /// - Throws: `TensorError.invalidShape` for an input that is not [N, T, I] or a weight that is not a
    ///   matrix; `TensorError.shapeMismatch` naming both shapes when a weight, bias or initial state does
    ///   not fit; `TensorError.indexOutOfRange` naming the batch row and step of an id outside
    ///   `0..<I`, or of a length outside `0...T`.
    @usableFromInline
    static func recurrentShape(_ op: String, gates: Int, input: SequenceInput<Scalar>, weights: RecurrentWeights<Scalar>,
                               initialStates: [(name: String, state: Variable<Scalar>?)], lengths: [Int]?) throws -> RecurrentShape {
        let wih = weights.weightIH.value, whh = weights.weightHH.value
        guard whh.rank == 2 else { throw TensorError.invalidShape(op: op + " weight_hh", shape: whh.shape, expected: "a matrix [\(gates)·H, H]") }
        let hidden = whh.shape[1]
        let width = gates * hidden
        guard whh.shape[0] == width else {
            throw TensorError.shapeMismatch(op: op + " weight_hh (expected [\(gates)·H, H])", lhs: [width, hidden], rhs: whh.shape)
        }
        guard wih.rank == 2 else { throw TensorError.invalidShape(op: op + " weight_ih", shape: wih.shape, expected: "a matrix [\(gates)·H, I]") }
        let inputs = wih.shape[1]
        guard wih.shape[0] == width else {
            throw TensorError.shapeMismatch(op: op + " weight_ih (expected [\(gates)·H, I])", lhs: [width, inputs], rhs: wih.shape)
        }
        for (name, bias) in [("bias_ih", weights.biasIH), ("bias_hh", weights.biasHH)] {
            if let b = bias?.value, b.shape != [width] {
                throw TensorError.shapeMismatch(op: op + " " + name, lhs: [width], rhs: b.shape)
            }
        }
        let batch: Int, steps: Int
        switch input {
        case let .dense(x):
            let s = x.value.shape
            guard s.count == 3 else { throw TensorError.invalidShape(op: op + " input", shape: s, expected: "[batch, time, features]") }
            guard s[2] == inputs else {
                throw TensorError.shapeMismatch(op: op + " input features vs weight_ih [\(gates)·H, I]", lhs: s, rhs: wih.shape)
            }
            (batch, steps) = (s[0], s[1])
        case let .oneHot(ids, n, t, _):
            guard n >= 0, t >= 0, ids.count == n * t else {
                throw TensorError.countMismatch(op: op + " input ids", count: ids.count, shape: [n, t])
            }
            for (k, id) in ids.enumerated() where id < 0 || id >= inputs {
                throw TensorError.indexOutOfRange(op: op + " input id at batch \(k / t), step \(k % t)", index: id, bound: inputs)
            }
            (batch, steps) = (n, t)
        }
        for (name, state) in initialStates {
            if let s = state?.value, s.shape != [batch, hidden] {
                throw TensorError.shapeMismatch(op: op + " " + name + " (expected [batch, hidden])", lhs: [batch, hidden], rhs: s.shape)
            }
        }
        if let lengths {
            guard lengths.count == batch else { throw TensorError.shapeMismatch(op: op + " lengths", lhs: [batch], rhs: [lengths.count]) }
            for (n, length) in lengths.enumerated() where length < 0 || length > steps {
                throw TensorError.indexOutOfRange(op: op + " length of batch row \(n)", index: length, bound: steps + 1)
            }
        }
        return RecurrentShape(batch: batch, steps: steps, inputs: inputs, hidden: hidden, gates: gates)
    }

    // MARK: Products on strided slices

    /// C (m×n, row stride ldc) ← op(A)·op(B) + beta·C on raw pointers with explicit leading dimensions:
    /// the products of one time step read N rows of a batch-first buffer, T·F apart.
    ///
    /// A single row (m = 1, a batch of one) goes to gemv: OpenBLAS 0.3.21's gemm does not forward it
    /// itself, and packing a panel that is used once costs more than the product.
    @inlinable
    static func stridedGEMM(_ op: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
                            beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int) throws {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j] } }
            return
        }
        if m == 1 {
            // A matrix that stays in cache goes to CKernels' gemv (gemv.c), without BLAS's per-call set-up.
            if !transposeA && n * k <= smallGEMVLimit
                && smallGEMV(rows: transposeB, b: b, n: n, k: k, ldb: ldb, x: a, beta: beta, y: c) { return }
            // c = op(B)ᵀ·a: B stored k×n is used transposed; B stored n×k (transposeB) as it is.
            Scalar.gemv(transA: !transposeB, m: try blasInt(transposeB ? n : k, op: op), n: try blasInt(transposeB ? k : n, op: op),
                        alpha: 1, a: b, lda: try blasInt(ldb, op: op), x: a, incx: try blasInt(transposeA ? lda : 1, op: op),
                        beta: beta, y: c, incy: 1)
            return
        }
        Scalar.gemm(transA: transposeA, transB: transposeB, m: try blasInt(m, op: op), n: try blasInt(n, op: op),
                    k: try blasInt(k, op: op), alpha: 1, a: a, lda: try blasInt(lda, op: op), b: b, ldb: try blasInt(ldb, op: op),
                    beta: beta, c: c, ldc: try blasInt(ldc, op: op))
    }

    /// Runs `body` over the contiguous parts of `0..<count`, one part per thread (`Parallel`), and
    /// rethrows the first part's error. `cost` is one item's scalar operations.
    ///
    /// The recurrent ops cut everything this way, so OpenBLAS itself never runs threads under them:
    /// the rows of a recurrence are independent, so each thread steps its rows through every time step
    /// with its own one-thread GEMMs and no barrier between steps, and the GEMMs over all steps (input
    /// projection, weight gradients) are cut by rows of their output. OpenBLAS splitting each step's
    /// small GEMM instead costs a hand-off per step, and its idle workers spin for milliseconds after
    /// every threaded call, on the core the other part needs.
    @inlinable
    static func forEachPart(_ count: Int, cost: Int, _ body: (_ part: Range<Int>) throws -> Void) throws {
        let parts = Parallel.parts(count, cost: cost)
        if parts <= 1 { return try body(0..<count) }
        let errors = UnsafeMutablePointer<Error?>.allocate(capacity: parts)
        errors.initialize(repeating: nil, count: parts)
        defer { errors.deinitialize(count: parts); errors.deallocate() }
        Parallel.run(count, parts: parts) { part, range in
            do { try body(range) } catch { errors[part] = error }
        }
        for part in 0..<parts { if let error = errors[part] { throw error } }
    }

    /// g[j] (+)= Σ_r p[r·columns + j]: a bias gradient from the gate gradients of every row, its columns
    /// cut across threads.
    @inlinable
    static func columnSums(_ p: UnsafePointer<Scalar>, rows: Int, columns: Int, into g: UnsafeMutablePointer<Scalar>, add: Bool) {
        try? forEachPart(columns, cost: rows) { part in
            let gp = g + part.lowerBound, count = part.count
            if !add { gp.update(repeating: 0, count: count) }
            for r in 0..<rows {
                let row = p + r * columns + part.lowerBound
                for j in 0..<count { gp[j] += row[j] }
            }
        }
    }

    // MARK: Input projection

    /// Writes P = x·W_ihᵀ + b_ih + b_hh (each bias only where given; `hiddenBiasColumns` limits b_hh to its
    /// first columns, for the GRU whose b_hn stays inside r ⊙ (W_hn·h + b_hn)) into `p` [N·T, G·H]: the
    /// input projection of every time step as one GEMM, or a column gather for one-hot ids.
    @inlinable
    static func inputProjection(_ op: String, _ s: RecurrentShape, input: SequenceInput<Scalar>, weights: RecurrentWeights<Scalar>,
                                hiddenBiasColumns: Int, into p: UnsafeMutablePointer<Scalar>) throws {
        let w = s.width, rows = s.rows
        if rows == 0 || w == 0 { return }
        // The bias row once, then copied into every row: the GEMM adds onto it (beta = 1).
        let first = p
        first.update(repeating: 0, count: w)
        if let b = weights.biasIH?.value.unsafeReadPointer { for j in 0..<w { first[j] += b[j] } }
        if let b = weights.biasHH?.value.unsafeReadPointer { for j in 0..<hiddenBiasColumns { first[j] += b[j] } }
        let wih = weights.weightIH.value.unsafeReadPointer, i = s.inputs
        switch input {
        case let .dense(x):
            // Rows cut across threads (`forEachPart`); every row holds the bias before any GEMM adds onto
            // row 0.
            try forEachPart(rows, cost: w) { part in
                for r in part where r > 0 { (p + r * w).update(from: first, count: w) }
            }
            try forEachPart(rows, cost: w * i) { part in
                try stridedGEMM(op, transposeA: false, transposeB: true, m: part.count, n: w, k: i,
                                a: x.value.unsafeReadPointer + part.lowerBound * i, lda: i, b: wih, ldb: i, beta: 1,
                                c: p + part.lowerBound * w, ldc: w)
            }
        case let .oneHot(ids, _, _, _):
            // P[r, j] = bias[j] + W_ih[j, id_r]: the bias row is read before row 0 is written. Columns cut
            // across threads (each writes its own columns of P).
            try ids.withUnsafeBufferPointer { ids in
                try forEachPart(w, cost: rows) { part in
                    oneHotGather(ids, wih, inputs: i, width: w, columns: part, bias: first, into: p)
                }
            }
        }
    }

    /// P[r, j] = bias[j] + W[j, ids[r]] for the columns `columns` of P [rows, width] (bias may be P's row
    /// 0: the blocks of rows go last to first, so row 0 is written after every read of the bias).
    ///
    /// Column id of W [width, inputs] is strided (inputs apart), one cache line per element: going row
    /// by row of P touched `width` lines of W for each. Here eight rows of W (8·inputs scalars) stay in L1
    /// while a block of P's rows takes its eight columns from them as one vector store per row, and the
    /// blocks of rows keep the part of P being written in cache when P is large (an LSTM language model's
    /// 6400 × 1024). The same additions as a GEMM onto the bias, so the same numbers.
    @inlinable
    static func oneHotGather(_ ids: UnsafeBufferPointer<Int>, _ wih: UnsafePointer<Scalar>, inputs i: Int, width w: Int,
                             columns: Range<Int>, bias: UnsafePointer<Scalar>, into p: UnsafeMutablePointer<Scalar>) {
        let rows = ids.count, block = 64
        if rows == 0 { return }
        for start in stride(from: (rows - 1) / block * block, through: 0, by: -block) {
            let end = Swift.min(start + block, rows)
            var j = columns.lowerBound
            while j < columns.upperBound {
                let m = Swift.min(8, columns.upperBound - j)
                let b = lanes(bias, j, m), wj = wih + j * i
                if m == 8 {
                    let w0 = wj, w1 = w0 + i, w2 = w1 + i, w3 = w2 + i, w4 = w3 + i, w5 = w4 + i, w6 = w5 + i, w7 = w6 + i
                    for r in start..<end {
                        let id = ids[r]
                        let v = SIMD8(w0[id], w1[id], w2[id], w3[id], w4[id], w5[id], w6[id], w7[id])
                        store(b + v, p + r * w, j, 8)
                    }
                } else {
                    for r in start..<end {
                        let id = ids[r], row = p + r * w + j
                        for k in 0..<m { row[k] = b[k] + wj[k * i + id] }
                    }
                }
                j += 8
            }
        }
    }

    /// Backward of the input projection given dP [N·T, G·H] (the gradients of the pre-activations that
    /// x·W_ihᵀ + b_ih feeds): dx = dP·W_ih, dW_ih = dPᵀ·x (a scatter-add into columns for one-hot ids),
    /// db_ih = Σ_rows dP. Each only when its variable requires a gradient.
    @inlinable
    static func inputProjectionBackward(_ op: String, _ s: RecurrentShape, input: SequenceInput<Scalar>,
                                        weights: RecurrentWeights<Scalar>, gradient dp: UnsafePointer<Scalar>) throws {
        let w = s.width, rows = s.rows, i = s.inputs
        let wih = weights.weightIH
        switch input {
        case let .dense(x):
            // dx cut by its rows, dW_ih by its rows (gate columns of dP) across threads (`forEachPart`).
            if x.requiresGrad {
                try x.accumulateGrad { g, add in
                    try forEachPart(rows, cost: i * w) { part in
                        try stridedGEMM(op, transposeA: false, transposeB: false, m: part.count, n: i, k: w,
                                        a: dp + part.lowerBound * w, lda: w, b: wih.value.unsafeReadPointer, ldb: i,
                                        beta: add ? 1 : 0, c: g + part.lowerBound * i, ldc: i)
                    }
                }
            }
            if wih.requiresGrad {
                try wih.accumulateGrad { g, add in
                    try forEachPart(w, cost: rows * i) { part in
                        try stridedGEMM(op, transposeA: true, transposeB: false, m: part.count, n: i, k: rows,
                                        a: dp + part.lowerBound, lda: w, b: x.value.unsafeReadPointer, ldb: i,
                                        beta: add ? 1 : 0, c: g + part.lowerBound * i, ldc: i)
                    }
                }
            }
        case let .oneHot(ids, _, _, _):
            if wih.requiresGrad {
                try wih.accumulateGrad { g, add in
                    try ids.withUnsafeBufferPointer { ids in
                        try forEachPart(w, cost: rows) { part in
                            oneHotScatter(ids, dp, inputs: i, width: w, rows: part, add: add, into: g)
                        }
                    }
                }
            }
        }
        if let b = weights.biasIH, b.requiresGrad {
            b.accumulateGrad { g, add in columnSums(dp, rows: rows, columns: w, into: g, add: add) }
        }
    }

    /// dW[j, ids[r]] (+)= Σ_r dP[r, j] for the rows `part` of dW [width, inputs] (the transpose of
    /// `oneHotGather`): those rows zeroed first unless `add`, then every row of dP added in order, so each
    /// element sums its terms in the order a GEMM with the one-hot matrix would.
    ///
    /// Eight rows of dW (8·inputs scalars) stay in L1 while a block of dP's rows is read eight columns
    /// at a time, one vector load per row, instead of one strided column of dW (a cache line per
    /// element) per row of dP.
    @inlinable
    static func oneHotScatter(_ ids: UnsafeBufferPointer<Int>, _ dp: UnsafePointer<Scalar>, inputs i: Int, width w: Int,
                              rows part: Range<Int>, add: Bool, into g: UnsafeMutablePointer<Scalar>) {
        if !add { (g + part.lowerBound * i).update(repeating: 0, count: part.count * i) }
        let rows = ids.count, block = 64
        var start = 0
        while start < rows {
            let end = Swift.min(start + block, rows)
            var j = part.lowerBound
            while j < part.upperBound {
                let m = Swift.min(8, part.upperBound - j), gj = g + j * i
                if m == 8 {
                    // Unrolled: the eight read-modify-writes are independent, so they overlap.
                    let g0 = gj, g1 = g0 + i, g2 = g1 + i, g3 = g2 + i, g4 = g3 + i, g5 = g4 + i, g6 = g5 + i, g7 = g6 + i
                    for r in start..<end {
                        let id = ids[r], d = lanes(dp + r * w, j, 8)
                        g0[id] += d[0]; g1[id] += d[1]; g2[id] += d[2]; g3[id] += d[3]
                        g4[id] += d[4]; g5[id] += d[5]; g6[id] += d[6]; g7[id] += d[7]
                    }
                } else {
                    for r in start..<end {
                        let id = ids[r], d = lanes(dp + r * w, j, m)
                        for k in 0..<m { gj[k * i + id] += d[k] }
                    }
                }
                j += 8
            }
            start = end
        }
    }

    /// Backward of the recurrent products h_{t−1}·W_hhᵀ + b_hh over all steps at once, given dQ [N·T, G·H]
    /// (the gradients of those pre-activations) and Hprev [N·T, H] (the state entering each step):
    /// dW_hh = dQᵀ·Hprev, db_hh = Σ_rows dQ.
    @inlinable
    static func recurrentWeightBackward(_ op: String, _ s: RecurrentShape, weights: RecurrentWeights<Scalar>,
                                        gradient dq: UnsafePointer<Scalar>, previous hprev: UnsafePointer<Scalar>) throws {
        let w = s.width, rows = s.rows, h = s.hidden
        if weights.weightHH.requiresGrad {
            try weights.weightHH.accumulateGrad { g, add in
                try forEachPart(w, cost: rows * h) { part in
                    try stridedGEMM(op, transposeA: true, transposeB: false, m: part.count, n: h, k: rows,
                                    a: dq + part.lowerBound, lda: w, b: hprev, ldb: h, beta: add ? 1 : 0,
                                    c: g + part.lowerBound * h, ldc: h)
                }
            }
        }
        if let b = weights.biasHH, b.requiresGrad {
            b.accumulateGrad { g, add in columnSums(dq, rows: rows, columns: w, into: g, add: add) }
        }
    }

    /// Adds (or writes) the [N, H] buffer `d` into the gradient of an initial state.
    @inlinable
    static func accumulateState(_ state: Variable<Scalar>?, _ d: UnsafePointer<Scalar>, count: Int) {
        guard let state, state.requiresGrad else { return }
        state.accumulateGrad { g, add in
            if add { for k in 0..<count { g[k] += d[k] } } else { g.update(from: d, count: count) }
        }
    }

    /// Copies a state [N, H] (zeros when nil) into `buffer`: an empty sequence's final state is its initial one.
    @inlinable
    static func copyState(_ state: Variable<Scalar>?, into buffer: UnsafeMutablePointer<Scalar>, count: Int) {
        if let src = state?.value.unsafeReadPointer { buffer.update(from: src, count: count) } else { buffer.update(repeating: 0, count: count) }
    }

    /// Copies the initial state (zeros when nil) into the state-entering-step-`t` slot of every row of
    /// a batch-first [N, T, H] buffer.
    @inlinable
    static func writeInitialState(_ state: Variable<Scalar>?, _ s: RecurrentShape, into buffer: UnsafeMutablePointer<Scalar>, step t: Int) {
        let h = s.hidden
        for n in 0..<s.batch {
            let dst = buffer + (n * s.steps + t) * h
            if let src = state?.value.unsafeReadPointer { dst.update(from: src + n * h, count: h) } else { dst.update(repeating: 0, count: h) }
        }
    }
}

extension Variable {
    /// The tape of the first operand that has one.
    @inlinable
    static func tape(among operands: [Variable?]) -> Tape<Scalar>? {
        for case let v? in operands { if let t = v.tape { return t } }
        return nil
    }

    /// Records an op with several outputs (a sequence and its final states): one backward kernel that
    /// receives every output's gradient, nil for an output that backward never reached (a classifier
    /// reads only the final state, a language model only the sequence). Recorded once, when the op runs,
    /// so it plays after every consumer of any of the outputs.
    /// `tape` is the op's tape (nil: the first operand's, if any).
    @inlinable
    static func recordOutputs(_ values: [Tensor<Scalar>], inputs: [Variable?], tape: Tape<Scalar>?,
                              backward: @escaping (_ gradients: [Tensor<Scalar>?]) throws -> Void) -> [Variable] {
        let tape = tape ?? Variable.tape(among: inputs)
        let needs = tape != nil && inputs.contains { $0?.requiresGrad == true }
        let outputs = values.map { Variable($0, requiresGrad: needs, tape: tape) }
        if needs, let tape {
            tape.record { [outputs] in
                let gradients = outputs.map(\.grad)
                guard gradients.contains(where: { $0 != nil }) else { return }
                try backward(gradients)
            }
        }
        return outputs
    }

    /// A buffer for an op's output or scratch: from the tape's arena when there is one (reused next
    /// step), else from the heap.
    @inlinable
    static func buffer(_ shape: [Int], _ tape: Tape<Scalar>?) -> Tensor<Scalar> {
        tape?.allocate(shape) ?? Tensor.uninitialized(shape)
    }
}

/// Which time steps of a batch row count: all of them, or the first `lengths[n]` (a batch of padded
/// sequences, PyTorch's packed sequences). A step past a row's length leaves its state unchanged and
/// outputs zeros; in a reversed op the row's sequence starts at its last real step.
@usableFromInline
struct StepMask {
    @usableFromInline let lengths: [Int]?
    @usableFromInline init(_ lengths: [Int]?) { self.lengths = lengths }
    @inlinable @inline(__always)
    func isActive(row n: Int, step t: Int) -> Bool {
        guard let lengths else { return true }
        return t < lengths[n]
    }
}

// MARK: Eight lanes at a time

// The backward passes read and write six or more buffers per element, too many for LLVM to prove apart
// at run time, so a plain loop over pointers stays scalar. These helpers let a kernel be written once on
// SIMD8 values: full groups of eight load and store directly, the last group goes through a padded
// vector (its extra lanes are computed on zeros and never stored).

/// Lanes j..<j+count of `p` (count ≤ 8; the rest zero).
@inlinable @inline(__always)
func lanes<S: BLASScalar>(_ p: UnsafePointer<S>, _ j: Int, _ count: Int) -> SIMD8<S> {
    if count == 8 { return UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<S>.self) }
    var v = SIMD8<S>(repeating: 0)
    for k in 0..<count { v[k] = p[j + k] }
    return v
}

/// Stores the first `count` lanes of `v` at p[j...].
@inlinable @inline(__always)
func store<S: BLASScalar>(_ v: SIMD8<S>, _ p: UnsafeMutablePointer<S>, _ j: Int, _ count: Int) {
    if count == 8 { UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<S>.self); return }
    for k in 0..<count { p[j + k] = v[k] }
}

/// Calls `body(j, count)` for j = 0, 8, 16, … < n, with count = min(8, n − j).
@inlinable @inline(__always)
func forEachEight(_ n: Int, _ body: (_ j: Int, _ count: Int) -> Void) {
    var j = 0
    while j < n {
        body(j, Swift.min(8, n - j))
        j += 8
    }
}

import Testing
@testable import Tensor

// The recurrent ops beyond their gradients (which the catalogue checks): the properties that tie the
// modes together (reversed = forward on the flipped sequence, padded lengths = the shorter sequences
// alone, one-hot ids = a dense one-hot input, a batch of one = a row of a larger batch), the errors bad
// input gets, and that a warm training step allocates no tensor buffer.

/// The three cells through one signature: outputs [sequence, final h, (final c)].
enum Cell: String, CaseIterable, CustomTestStringConvertible {
    case rnn, lstm, gru
    var gates: Int { switch self { case .rnn: 1; case .lstm: 4; case .gru: 3 } }
    var testDescription: String { rawValue }

    func run<S: BLASScalar>(_ input: SequenceInput<S>, _ w: RecurrentWeights<S>, h0: Variable<S>? = nil, c0: Variable<S>? = nil,
                            reversed: Bool = false, lengths: [Int]? = nil) throws -> [Variable<S>] {
        switch self {
        case .rnn:
            let r = try Variable.rnn(input, weights: w, h0: h0, reversed: reversed, lengths: lengths)
            return [r.output, r.hidden]
        case .lstm:
            let r = try Variable.lstm(input, weights: w, h0: h0, c0: c0, reversed: reversed, lengths: lengths)
            return [r.output, r.hidden, r.cell]
        case .gru:
            let r = try Variable.gru(input, weights: w, h0: h0, reversed: reversed, lengths: lengths)
            return [r.output, r.hidden]
        }
    }
}

private func random(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = SeededRNG(seed: seed)
    return Tensor.randomUniform(shape, low: -1, high: 1, using: &rng)
}

/// Rows `range` of step axis 1 of a [N, T, F] tensor, for one batch row: [1, range.count, F].
private func slice(_ x: Tensor<Double>, row: Int, steps: Range<Int>, reversed: Bool = false) -> Tensor<Double> {
    let (t, f) = (x.shape[1], x.shape[2])
    let order = reversed ? Array(steps.reversed()) : Array(steps)
    return Tensor(shape: [1, steps.count, f]) { i in x[flat: (row * t + order[i / f]) * f + i % f] }
}

@Suite("Recurrent ops: modes, errors, allocation")
struct RecurrentTests {
    let n = 3, t = 4, i = 5, h = 4

    func weights(_ cell: Cell, seed: UInt64 = 1) -> RecurrentWeights<Double> {
        var rng = SeededRNG(seed: seed)
        return .random(gates: cell.gates, inputs: i, hidden: h, using: &rng)
    }

    @Test("reversed = forward over the time-flipped sequence, output flipped back", arguments: Cell.allCases)
    func reversedIsFlippedForward(cell: Cell) throws {
        let x = random([n, t, i], seed: 2), w = weights(cell)
        let h0 = Variable(random([n, h], seed: 3)), c0 = Variable(random([n, h], seed: 4))
        let back = try cell.run(.dense(Variable(x)), w, h0: h0, c0: c0, reversed: true)
        for row in 0..<n {
            let flipped = slice(x, row: row, steps: 0..<t, reversed: true)
            let rowH0 = Variable(try h0.value.rows(row..<(row + 1))), rowC0 = Variable(try c0.value.rows(row..<(row + 1)))
            let forward = try cell.run(.dense(Variable(flipped)), w, h0: rowH0, c0: rowC0)
            let expected = slice(forward[0].value, row: 0, steps: 0..<t, reversed: true)
            #expect(slice(back[0].value, row: row, steps: 0..<t).isApproximatelyEqual(to: expected, tolerance: 1e-13))
            for k in 1..<back.count {
                #expect(try back[k].value.rows(row..<(row + 1)).isApproximatelyEqual(to: forward[k].value, tolerance: 1e-13))
            }
        }
    }

    @Test("padded lengths = each sequence alone, zeros past its end", arguments: Cell.allCases, [false, true])
    func lengthsMatchShorterSequences(cell: Cell, reversed: Bool) throws {
        let x = random([n, t, i], seed: 5), w = weights(cell, seed: 6)
        let h0 = Variable(random([n, h], seed: 7)), c0 = Variable(random([n, h], seed: 8))
        let lengths = [t, 1, 0]
        let padded = try cell.run(.dense(Variable(x)), w, h0: h0, c0: c0, reversed: reversed, lengths: lengths)
        for (row, length) in lengths.enumerated() {
            let rowH0 = Variable(try h0.value.rows(row..<(row + 1))), rowC0 = Variable(try c0.value.rows(row..<(row + 1)))
            let alone = try cell.run(.dense(Variable(slice(x, row: row, steps: 0..<length))), w, h0: rowH0, c0: rowC0, reversed: reversed)
            #expect(slice(padded[0].value, row: row, steps: 0..<length).isApproximatelyEqual(to: alone[0].value, tolerance: 1e-13))
            #expect(slice(padded[0].value, row: row, steps: length..<t).scalars.allSatisfy { $0 == 0 })
            for k in 1..<padded.count {
                #expect(try padded[k].value.rows(row..<(row + 1)).isApproximatelyEqual(to: alone[k].value, tolerance: 1e-13),
                        "final state \(k) of row \(row) (length \(length))")
            }
        }
    }

    @Test("one-hot ids = a dense one-hot input, forward and backward", arguments: Cell.allCases)
    func oneHotIdsMatchDenseOneHot(cell: Cell) throws {
        let ids = (0..<(n * t)).map { ($0 * 7 + 3) % i }
        let oneHot = try Tensor<Double>.oneHot(ids, classes: i).reshaped([n, t, i])
        func run(_ makeInput: (Tape<Double>) -> SequenceInput<Double>) throws -> ([Tensor<Double>], [Tensor<Double>]) {
            let tape = Tape<Double>()
            let w = weights(cell, seed: 9), h0 = tape.variable(random([n, h], seed: 10))
            let outputs = try cell.run(makeInput(tape), w, h0: h0)
            var total = outputs[0].sum() * 0.7
            for o in outputs.dropFirst() { total = try total + (o * o).sum() }
            try tape.backward(total)
            return (outputs.map(\.value), (w.all + [h0]).map { $0.grad! })
        }
        let (yIds, gIds) = try run { .oneHot(ids: ids, batch: n, steps: t, tape: $0) }
        let (yDense, gDense) = try run { .dense($0.constant(oneHot)) }
        for (a, b) in zip(yIds, yDense) { #expect(a == b, "forward differs") }
        for (a, b) in zip(gIds, gDense) { #expect(a.isApproximatelyEqual(to: b, tolerance: 1e-13)) }
    }

    @Test("work cut across two threads = one thread, forward and every gradient", arguments: Cell.allCases, [false, true])
    func twoThreadsMatchOne(cell: Cell, oneHot: Bool) throws {
        // Large enough that every cut in Tensor+Recurrent.swift has two parts: the rows of the recurrence,
        // the input projection's rows, dW_ih's and dW_hh's rows (or the one-hot scatter's columns), the
        // bias sums' columns.
        let (n, t, i, h) = (16, 32, 20, 64)
        let ids = (0..<(n * t)).map { ($0 * 7 + 3) % i }
        let lengths = (0..<n).map { $0 % 5 == 0 ? t - $0 : t }
        func run(threads: Int) throws -> [Tensor<Double>] {
            let saved = BLAS.threads
            BLAS.threads = threads
            defer { BLAS.threads = saved }
            return try Parallel.withOwnThreads {
                #expect(Parallel.parts(n, cost: t * cell.gates * h * (2 * h + 16)) == threads)
                let tape = Tape<Double>()
                var rng = SeededRNG(seed: 21)
                let w = RecurrentWeights<Double>.random(gates: cell.gates, inputs: i, hidden: h, using: &rng)
                let x = tape.variable(random([n, t, i], seed: 22))
                let h0 = tape.variable(random([n, h], seed: 23)), c0 = tape.variable(random([n, h], seed: 24))
                let input: SequenceInput<Double> = oneHot ? .oneHot(ids: ids, batch: n, steps: t, tape: tape) : .dense(x)
                let outputs = try cell.run(input, w, h0: h0, c0: cell == .lstm ? c0 : nil, reversed: true, lengths: lengths)
                var total = try (outputs[0] * outputs[0]).sum() * 0.3
                for o in outputs.dropFirst() { total = try total + o.sum() }
                try tape.backward(total)
                let inputs = (oneHot ? [] : [x]) + [h0] + (cell == .lstm ? [c0] : [])
                return outputs.map(\.value) + (w.all + inputs).map { $0.grad! }
            }
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        #expect(one.count == two.count)
        for (k, (a, b)) in zip(one, two).enumerated() {
            #expect(a.isApproximatelyEqual(to: b, tolerance: 1e-12), "result \(k) differs")
        }
    }

    @Test("a batch of one (gemv path) = a row of a larger batch", arguments: Cell.allCases)
    func batchOfOneMatchesRows(cell: Cell) throws {
        let x = random([n, t, i], seed: 11), w = weights(cell, seed: 12)
        let batch = try cell.run(.dense(Variable(x)), w)
        for row in 0..<n {
            let one = try cell.run(.dense(Variable(slice(x, row: row, steps: 0..<t))), w)
            #expect(slice(batch[0].value, row: row, steps: 0..<t).isApproximatelyEqual(to: one[0].value, tolerance: 1e-13))
        }
    }

    @Test("Float kernels (C σ and tanh) agree with Double", arguments: Cell.allCases)
    func floatAgreesWithDouble(cell: Cell) throws {
        let x = random([n, t, i], seed: 13), w = weights(cell, seed: 14)
        let wf = RecurrentWeights<Float>(weightIH: Variable(w.weightIH.value.converted(to: Float.self)),
                                         weightHH: Variable(w.weightHH.value.converted(to: Float.self)),
                                         biasIH: Variable(w.biasIH!.value.converted(to: Float.self)),
                                         biasHH: Variable(w.biasHH!.value.converted(to: Float.self)))
        let double = try cell.run(.dense(Variable(x)), w)
        let float = try cell.run(.dense(Variable(x.converted(to: Float.self))), wf)
        for (d, f) in zip(double, float) { #expect(f.value.converted(to: Double.self).isApproximatelyEqual(to: d.value, tolerance: 1e-6)) }
    }

    /// The Float RNN with a batch of one multiplies by a transposed copy of W_hh (Tensor+RNN.swift); H = 21
    /// reaches the transpose's 8×8 blocks and its edges.
    @Test("Float RNN, batch of one (W_hh transposed): outputs and gradients agree with Double", arguments: [false, true])
    func floatBatchOfOneRNNAgreesWithDouble(reversed: Bool) throws {
        let (t, h) = (6, 21)
        var rng = SeededRNG(seed: 15)
        let w = RecurrentWeights<Double>.random(gates: 1, inputs: i, hidden: h, using: &rng)
        let x = random([1, t, i], seed: 16), h0 = random([1, h], seed: 17)
        func run<S: BLASScalar>(_: S.Type) throws -> [Tensor<Double>] {
            let ws = w.all.map { Variable($0.value.converted(to: S.self)) }
            let weights = RecurrentWeights(weightIH: ws[0], weightHH: ws[1], biasIH: ws[2], biasHH: ws[3])
            let tape = Tape<S>()
            let r = try Variable.rnn(.dense(tape.constant(x.converted(to: S.self))), weights: weights,
                                     h0: tape.variable(h0.converted(to: S.self)), reversed: reversed)
            try tape.backward(try r.output.sum() + (r.hidden * r.hidden).sum())
            return ([r.output.value, r.hidden.value] + ws.map { $0.grad! }).map { $0.converted(to: Double.self) }
        }
        for (f, d) in zip(try run(Float.self), try run(Double.self)) { #expect(f.isApproximatelyEqual(to: d, tolerance: 1e-5)) }
        // Without a tape (inference) the transposed copy is a buffer of the op's own: the same outputs.
        let ws = w.all.map { Variable($0.value.converted(to: Float.self)) }
        let weights = RecurrentWeights(weightIH: ws[0], weightHH: ws[1], biasIH: ws[2], biasHH: ws[3])
        let untaped = try Variable.rnn(.dense(Variable(x.converted(to: Float.self), requiresGrad: false)), weights: weights,
                                       h0: Variable(h0.converted(to: Float.self), requiresGrad: false), reversed: reversed)
        #expect(untaped.output.value.converted(to: Double.self).isApproximatelyEqual(to: try run(Double.self)[0], tolerance: 1e-5))
    }

    @Test func emptySequenceReturnsInitialState() throws {
        let h0 = Variable(random([2, h], seed: 15)), c0 = Variable(random([2, h], seed: 16))
        let r = try Variable.lstm(.dense(Variable(Tensor<Double>.zeros([2, 0, i]))), weights: weights(.lstm), h0: h0, c0: c0)
        #expect(r.output.value.shape == [2, 0, h])
        #expect(r.hidden.value == h0.value && r.cell.value == c0.value)
        let g = try Variable.gru(.oneHot(ids: [], batch: 2, steps: 0, tape: nil), weights: weights(.gru))
        #expect(g.hidden.value == Tensor.zeros([2, h]))
    }

    @Test func badInputIsAnErrorNamingShapesAndPositions() throws {
        let w = weights(.lstm), x = Variable(random([2, 3, i], seed: 17))
        #expect(throws: TensorError.invalidShape(op: "lstm input", shape: [6, 5], expected: "[batch, time, features]")) {
            try Variable.lstm(.dense(Variable(random([6, i], seed: 1))), weights: w)
        }
        #expect(throws: TensorError.shapeMismatch(op: "lstm input features vs weight_ih [4·H, I]", lhs: [2, 3, 2], rhs: [16, 5])) {
            try Variable.lstm(.dense(Variable(random([2, 3, 2], seed: 1))), weights: w)
        }
        #expect(throws: TensorError.shapeMismatch(op: "gru weight_hh (expected [3·H, H])", lhs: [12, 4], rhs: [16, 4])) {
            try Variable.gru(.dense(x), weights: w)
        }
        #expect(throws: TensorError.shapeMismatch(op: "lstm (reversed) h0 (expected [batch, hidden])", lhs: [2, 4], rhs: [3, 4])) {
            try x.lstm(weights: w, h0: Variable(random([3, h], seed: 1)), reversed: true)
        }
        var biasless = w
        biasless.biasHH = Variable(Tensor<Double>.zeros([4 * h + 1]))
        #expect(throws: TensorError.shapeMismatch(op: "lstm bias_hh", lhs: [16], rhs: [17])) { try x.lstm(weights: biasless) }
        #expect(throws: TensorError.indexOutOfRange(op: "rnn input id at batch 1, step 0", index: 9, bound: 5)) {
            try Variable.rnn(.oneHot(ids: [0, 1, 9, 2], batch: 2, steps: 2, tape: nil), weights: weights(.rnn))
        }
        #expect(throws: TensorError.indexOutOfRange(op: "rnn input id at batch 0, step 1", index: -1, bound: 5)) {
            try Variable.rnn(.oneHot(ids: [0, -1, 1, 2], batch: 2, steps: 2, tape: nil), weights: weights(.rnn))
        }
        #expect(throws: TensorError.countMismatch(op: "gru input ids", count: 3, shape: [2, 2])) {
            try Variable.gru(.oneHot(ids: [0, 1, 2], batch: 2, steps: 2, tape: nil), weights: weights(.gru))
        }
        #expect(throws: TensorError.indexOutOfRange(op: "gru length of batch row 1", index: 4, bound: 4)) {
            try x.gru(weights: weights(.gru), lengths: [3, 4])
        }
        #expect(throws: TensorError.shapeMismatch(op: "rnn lengths", lhs: [2], rhs: [1])) { try x.rnn(weights: weights(.rnn), lengths: [3]) }
        let table = Variable(random([4, 3], seed: 1))
        #expect(throws: TensorError.indexOutOfRange(op: "embedding id at position [1, 0]", index: 4, bound: 4)) {
            try Variable.embedding([0, 1, 4, 2], shape: [2, 2], weight: table, on: nil)
        }
        #expect(throws: TensorError.countMismatch(op: "embedding ids", count: 4, shape: [3])) {
            try Variable.embedding([0, 1, 2, 2], shape: [3], weight: table, on: nil)
        }
        #expect(throws: TensorError.indexOutOfRange(op: "embedding padding index", index: 7, bound: 4)) {
            try Variable.embedding([0], weight: table, paddingIndex: 7, on: nil)
        }
    }

    @Test func concatenationAndMeanOverTime() throws {
        let a = Variable(try Tensor<Double>([1, 2, 3, 4], shape: [1, 2, 2])), b = Variable(try Tensor<Double>([5, 6], shape: [1, 2, 1]))
        #expect(try Variable.concatenateLastAxis([a, b]).value == (try Tensor([1, 2, 5, 3, 4, 6], shape: [1, 2, 3])))
        let x = Variable(try Tensor<Double>([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], shape: [2, 3, 2]))
        #expect(try x.meanOverTime().value == (try Tensor([[3, 4], [30, 40]])))
        #expect(try x.meanOverTime(lengths: [1, 2]).value == (try Tensor([[1, 2], [20, 30]])))
        #expect(throws: TensorError.shapeMismatch(op: "concatenateLastAxis", lhs: [1, 2, 2], rhs: [2, 2, 1])) {
            try Variable.concatenateLastAxis([a, Variable(Tensor<Double>.zeros([2, 2, 1]))])
        }
        #expect(throws: TensorError.indexOutOfRange(op: "meanOverTime length of batch row 1 (expected 1...3)", index: 0, bound: 4)) {
            try x.meanOverTime(lengths: [3, 0])
        }
        #expect(throws: TensorError.invalidShape(op: "meanOverTime", shape: [6, 2], expected: "[batch, time, features]")) {
            try Variable(Tensor<Double>.zeros([6, 2])).meanOverTime()
        }
    }

    @Test func embeddingLooksUpRowsAndSkipsThePaddingRow() throws {
        let table = try Tensor<Double>([[0, 0], [1, 2], [3, 4]])
        #expect(try Tensor.embedding([2, 1, 2], weight: table) == (try Tensor([[3, 4], [1, 2], [3, 4]])))
        let tape = Tape<Double>()
        let w = Variable(table)
        let y = try Variable.embedding([2, 0, 2, 1], shape: [2, 2], weight: w, paddingIndex: 0, on: tape)
        #expect(y.value.shape == [2, 2, 2])
        try tape.backward(try (y * tape.constant(Tensor(shape: [2, 2, 2]) { Double($0 + 1) })).sum())
        // Rows: id 2 gets dy[0] + dy[2] = [1, 2] + [5, 6]; id 1 gets [7, 8]; the padding row 0 gets nothing.
        #expect(w.grad == (try Tensor([[0, 0], [7, 8], [6, 8]])))
    }

    /// An LM-shaped training step over every op of this file: one-hot ids → LSTM → GRU (reversed) → RNN,
    /// reshape, affine, softmax cross-entropy, embedding on the side, an SGD update, states carried over.
    @Test func warmStepAllocatesNoTensorBuffers() throws {
        var rng = SeededRNG(seed: 20)
        let (n, t, v, h) = (4, 6, 7, 5)
        let lstm = RecurrentWeights<Float>.random(gates: 4, inputs: v, hidden: h, using: &rng)
        let gru = RecurrentWeights<Float>.random(gates: 3, inputs: h, hidden: h, using: &rng)
        let rnn = RecurrentWeights<Float>.random(gates: 1, inputs: h + 2, hidden: h, bias: false, using: &rng)
        let table = Variable(Tensor<Float>.randomUniform([v, 2], using: &rng))
        let w = Variable(Tensor<Float>.randomUniform([h, v], using: &rng)), b = Variable(Tensor<Float>.zeros([v]))
        let parameters = lstm.all + gru.all + rnn.all + [table, w, b]
        var hidden = Tensor<Float>.zeros([n, h]), cell = Tensor<Float>.zeros([n, h])
        let ids = (0..<(n * t)).map { ($0 * 5 + 1) % v }, labels = ids.map { ($0 + 1) % v }
        let widenHidden = Tensor<Float>.ones([h, h + 2]), widenEmbedding = Tensor<Float>.ones([2, h + 2])
        let tape = Tape<Float>()
        var updated = 0
        func step() throws {
            let final: (Tensor<Float>, Tensor<Float>) = try {
                let first = try Variable.lstm(.oneHot(ids: ids, batch: n, steps: t, tape: tape), weights: lstm,
                                              h0: tape.constant(hidden), c0: tape.constant(cell))
                let second = try first.output.gru(weights: gru, reversed: true, lengths: [t, t - 1, 2, 1])
                // The RNN's input [N, T, H + 2]: the GRU's outputs and a 2-wide embedding, each widened by a
                // constant matrix, multiplied elementwise (ops that take their outputs from the arena).
                let embedded = try Variable.embedding(ids, shape: [n, t], weight: table, paddingIndex: 0, on: tape).reshaped([n * t, 2])
                let widened = try second.output.reshaped([n * t, h]).matmul(tape.constant(widenHidden))
                    * embedded.matmul(tape.constant(widenEmbedding))
                let third = try widened.reshaped([n, t, h + 2]).rnn(weights: rnn, nonlinearity: .relu)
                let loss = try third.output.reshaped([n * t, h]).affine(w, b).softmaxCrossEntropy(labels: labels)
                try tape.backward(loss)
                return (first.hidden.value, first.cell.value)
            }()
            updated = 0
            for p in parameters {
                guard let g = p.grad else { continue }
                updated += 1
                let gp = g.unsafeReadPointer
                p.value.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] -= 0.1 * gp[k] } }
                p.zeroGrad()
            }
            tape.reset()
            // Truncated BPTT: the final state becomes the next step's constant initial state, copied into
            // buffers this loop owns (the arena's buffer is reused by the next step).
            hidden.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: final.0.unsafeReadPointer, count: n * h) }
            cell.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: final.1.unsafeReadPointer, count: n * h) }
        }
        for _ in 0..<3 { try step() }
        // Other tests may allocate in parallel (the counter is process-wide): an allocation of the step
        // shows in every window, so the quietest of up to 50 short windows decides.
        var fewest = Int.max
        for _ in 0..<50 where fewest > 0 {
            let before = Tensor<Float>.buffersAllocated
            for _ in 0..<5 { try step() }
            fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
        }
        #expect(fewest == 0, "\(fewest) tensor buffers allocated in 5 warm steps")
        #expect(updated == parameters.count, "only \(updated) of \(parameters.count) parameters got a gradient")
        #expect(parameters.allSatisfy { $0.value.isFinite })
    }
}

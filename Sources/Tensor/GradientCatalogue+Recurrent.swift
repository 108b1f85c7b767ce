// The recurrent ops in the gradient-check catalogue: each entry runs an op over a few time steps and
// checks the gradients of the input, both weights, both biases and the initial states (h0, c0) against
// central differences — forward and reversed, with padded lengths, with one-hot ids, for a sequence of
// length 1 and a batch of 1.
//
// Inputs of every entry, in order: x [N, T, I] (absent with one-hot ids), W_ih, W_hh, b_ih, b_hh
// (absent for "no biases"), h0, and c0 for the LSTM. Sizes stay small (N ≤ 2, T ≤ 3, H ≤ 3): each entry
// costs four evaluations per input scalar.

extension GradientCatalogue {
    static var recurrent: [GradientCheckCase] {
        embedding + reshape + sequence + rnn + lstm + gru + stacked
    }

    /// Σ over the outputs of outputᵢ ⊙ wᵢ for fixed, distinct weights wᵢ: a scalar that depends on every
    /// output (sequence and final states) with a different slope, so a gradient sent to the wrong place
    /// or the wrong output shows.
    static func mix(_ tape: Tape<Double>, _ outputs: [Variable<Double>]) throws -> Variable<Double> {
        var total: Variable<Double>? = nil
        for (k, o) in outputs.enumerated() {
            let w = Tensor<Double>(shape: o.value.shape) { i in 0.4 + 0.1 * Double((i * 7 + k * 3) % 11) }
            let term = try (o * tape.constant(w)).sum()
            total = try total.map { try $0 + term } ?? term
        }
        return total!
    }

    /// Weights from the variables at `start` (W_ih, W_hh, then b_ih, b_hh when `bias`).
    static func weights(_ v: [Variable<Double>], from start: Int, bias: Bool = true) -> RecurrentWeights<Double> {
        RecurrentWeights(weightIH: v[start], weightHH: v[start + 1], biasIH: bias ? v[start + 2] : nil, biasHH: bias ? v[start + 3] : nil)
    }

    /// Shapes of x, W_ih, W_hh, b_ih, b_hh, and `states` initial states, for G gates.
    static func shapes(n: Int, t: Int, i: Int, h: Int, gates g: Int, states: Int, bias: Bool = true, oneHot: Bool = false) -> [[Int]] {
        (oneHot ? [] : [[n, t, i]]) + [[g * h, i], [g * h, h]] + (bias ? [[g * h], [g * h]] : [])
            + Array(repeating: [n, h], count: states)
    }

    static var embedding: [GradientCheckCase] {
        [
            GradientCheckCase("embedding (ids [2, 3], repeated)", inputs: [[5, 3]]) { _, v in
                try Variable.embedding([4, 0, 4, 2, 2, 4], shape: [2, 3], weight: v[0], on: nil)
            },
            // A padding index withholds a gradient on purpose (its row still reaches the output), so it
            // is checked in the Tensor tests rather than against central differences.
            GradientCheckCase("embedding (ids [4], one row unused)", inputs: [[4, 2]]) { _, v in
                try Variable.embedding([1, 0, 3, 0], weight: v[0], on: nil)
            },
        ]
    }

    static var reshape: [GradientCheckCase] {
        [GradientCheckCase("reshape [2, 3, 2] → [6, 2]", inputs: [[2, 3, 2]]) { _, v in try v[0].reshaped([6, 2]).tanh() }]
    }

    static var sequence: [GradientCheckCase] {
        [
            GradientCheckCase("concatenate last axis", inputs: [[2, 3, 2], [2, 3, 3]]) { _, v in
                try Variable.concatenateLastAxis([v[0], v[1]])
            },
            GradientCheckCase("mean over time", inputs: [[2, 3, 2]]) { _, v in try v[0].meanOverTime() },
            GradientCheckCase("mean over time (lengths 3 and 1)", inputs: [[2, 3, 2]]) { _, v in try v[0].meanOverTime(lengths: [3, 1]) },
        ]
    }

    static var rnn: [GradientCheckCase] {
        func entry(_ name: String, n: Int = 2, t: Int = 3, i: Int = 3, h: Int = 3, nonlinearity: RNNNonlinearity = .tanh,
                   reversed: Bool = false, lengths: [Int]? = nil) -> GradientCheckCase {
            GradientCheckCase("rnn " + name, inputs: shapes(n: n, t: t, i: i, h: h, gates: 1, states: 1)) { tape, v in
                let r = try v[0].rnn(weights: weights(v, from: 1), h0: v[5], nonlinearity: nonlinearity, reversed: reversed, lengths: lengths)
                return try mix(tape, [r.output, r.hidden])
            }
        }
        return [
            entry("(tanh)"),
            entry("(ReLU)", nonlinearity: .relu),
            entry("(reversed)", reversed: true),
            entry("(sequence of 1, batch of 1)", n: 1, t: 1),
            entry("(lengths 3 and 1)", lengths: [3, 1]),
            entry("(lengths 2 and 0, reversed)", reversed: true, lengths: [2, 0]),
            GradientCheckCase("rnn (one-hot ids)", inputs: shapes(n: 2, t: 3, i: 4, h: 3, gates: 1, states: 1, oneHot: true)) { tape, v in
                let r = try Variable.rnn(.oneHot(ids: [0, 3, 3, 2, 1, 0], batch: 2, steps: 3, tape: tape), weights: weights(v, from: 0), h0: v[4])
                return try mix(tape, [r.output, r.hidden])
            },
        ]
    }

    static var lstm: [GradientCheckCase] {
        func entry(_ name: String, n: Int = 2, t: Int = 3, i: Int = 3, h: Int = 2, reversed: Bool = false,
                   lengths: [Int]? = nil) -> GradientCheckCase {
            GradientCheckCase("lstm " + name, inputs: shapes(n: n, t: t, i: i, h: h, gates: 4, states: 2)) { tape, v in
                let r = try v[0].lstm(weights: weights(v, from: 1), h0: v[5], c0: v[6], reversed: reversed, lengths: lengths)
                return try mix(tape, [r.output, r.hidden, r.cell])
            }
        }
        return [
            entry(""),
            entry("(reversed)", reversed: true),
            entry("(sequence of 1, batch of 1)", n: 1, t: 1),
            entry("(lengths 3 and 1)", lengths: [3, 1]),
            entry("(lengths 2 and 1, reversed)", reversed: true, lengths: [2, 1]),
            GradientCheckCase("lstm (one-hot ids)", inputs: shapes(n: 2, t: 3, i: 4, h: 2, gates: 4, states: 2, oneHot: true)) { tape, v in
                let r = try Variable.lstm(.oneHot(ids: [1, 1, 3, 0, 2, 1], batch: 2, steps: 3, tape: tape), weights: weights(v, from: 0), h0: v[4], c0: v[5])
                return try mix(tape, [r.output, r.hidden, r.cell])
            },
            GradientCheckCase("lstm (no biases, output only)", inputs: shapes(n: 2, t: 3, i: 2, h: 2, gates: 4, states: 2, bias: false)) { tape, v in
                try mix(tape, [try v[0].lstm(weights: weights(v, from: 1, bias: false), h0: v[3], c0: v[4]).output])
            },
            GradientCheckCase("lstm (final cell state only)", inputs: shapes(n: 2, t: 3, i: 2, h: 2, gates: 4, states: 2)) { tape, v in
                try mix(tape, [try v[0].lstm(weights: weights(v, from: 1), h0: v[5], c0: v[6]).cell])
            },
        ]
    }

    static var gru: [GradientCheckCase] {
        func entry(_ name: String, n: Int = 2, t: Int = 3, i: Int = 3, h: Int = 2, reversed: Bool = false,
                   lengths: [Int]? = nil) -> GradientCheckCase {
            GradientCheckCase("gru " + name, inputs: shapes(n: n, t: t, i: i, h: h, gates: 3, states: 1)) { tape, v in
                let r = try v[0].gru(weights: weights(v, from: 1), h0: v[5], reversed: reversed, lengths: lengths)
                return try mix(tape, [r.output, r.hidden])
            }
        }
        return [
            entry(""),
            entry("(reversed)", reversed: true),
            entry("(sequence of 1, batch of 1)", n: 1, t: 1),
            entry("(lengths 3 and 1)", lengths: [3, 1]),
            entry("(lengths 1 and 2, reversed)", reversed: true, lengths: [1, 2]),
            GradientCheckCase("gru (one-hot ids)", inputs: shapes(n: 2, t: 3, i: 4, h: 2, gates: 3, states: 1, oneHot: true)) { tape, v in
                let r = try Variable.gru(.oneHot(ids: [2, 0, 0, 3, 1, 2], batch: 2, steps: 3, tape: tape), weights: weights(v, from: 0), h0: v[4])
                return try mix(tape, [r.output, r.hidden])
            },
            GradientCheckCase("gru (no biases, final state only)", inputs: shapes(n: 2, t: 3, i: 2, h: 2, gates: 3, states: 1, bias: false)) { tape, v in
                try mix(tape, [try v[0].gru(weights: weights(v, from: 1, bias: false), h0: v[3]).hidden])
            },
        ]
    }

    /// Two layers: the second reads the first's outputs, so its input gradient flows back into the first.
    static var stacked: [GradientCheckCase] {
        [
            GradientCheckCase("lstm → gru stack, reversed second layer",
                              inputs: shapes(n: 2, t: 3, i: 2, h: 2, gates: 4, states: 0) + [[6, 2], [6, 2], [6], [6]]) { tape, v in
                let first = try v[0].lstm(weights: weights(v, from: 1))
                let second = try first.output.gru(weights: weights(v, from: 5), reversed: true)
                return try mix(tape, [second.output, first.cell])
            },
            GradientCheckCase("bidirectional gru, directions concatenated, mean over time",
                              inputs: shapes(n: 2, t: 3, i: 2, h: 2, gates: 3, states: 0) + [[6, 2], [6, 2], [6], [6]]) { tape, v in
                let forward = try v[0].gru(weights: weights(v, from: 1), lengths: [3, 2])
                let backward = try v[0].gru(weights: weights(v, from: 5), reversed: true, lengths: [3, 2])
                let both = try Variable.concatenateLastAxis([forward.output, backward.output])
                return try mix(tape, [both, try both.meanOverTime(lengths: [3, 2])])
            },
        ]
    }
}

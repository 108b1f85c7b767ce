import Foundation
import Testing
@testable import Layers
import Tensor

/// The vanilla RNN's exactness anchor: min-char-rnn's recipe (one-hot characters, hidden 100, chunks of
/// 25, the hidden state carried across chunks, loss summed over the chunk, every gradient clipped to
/// [−5, 5], Adagrad 0.1 with ε = 1e-8 under the root) run with our ops — the RNN op, an affine map,
/// softmax cross-entropy times 25, `clipGradientValues`, `Adagrad` — from the same weights as the numpy
/// loop of scripts/min_char_rnn_reference.py, on the same text, gives the same weights after 100 updates
/// to 1e-9. The fixture holds numpy's final weights, losses and carried state; rerun the script to
/// regenerate it. The same run with the clip inside Adagrad (`clipValue: 5`, the benchmark's form) gives
/// the same weights to the last bit.
@Suite("min-char-rnn: 100 updates equal numpy's to 1e-9")
struct MinCharRNNTests {
    struct Recipe: Decodable {
        var text: String, vocabulary: String, hidden: Int, seq_length: Int, learning_rate: Double, updates: Int
    }

    /// The script's `initial_weight`: a 32-bit integer hash of (matrix seed, row-major index) mapped to
    /// [−0.001, 0.001) by one exact division and one rounded multiplication. (The gist's scale, 0.01, makes
    /// this recipe chaotic: see the script's docstring.)
    static func initialWeight(seed: UInt64, index: Int) -> Double {
        let mask: UInt64 = 0xFFFF_FFFF
        var x = (UInt64(index) * 2_654_435_761 + seed * 40503 + 12345) & mask
        x ^= x >> 16
        x = (x * 0x45D_9F3B) & mask
        x ^= x >> 16
        return (Double(x) / 4_294_967_296.0 - 0.5) * 0.002
    }

    @Test(arguments: [false, true])
    func hundredUpdatesMatchNumpy(clipInsideAdagrad: Bool) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/min-char-rnn.safetensors")
        let file = try SafeTensorsFile.read(from: url)
        let recipe = try JSONDecoder().decode(Recipe.self, from: Data(try #require(file.metadata["recipe"]).utf8))
        let vocabulary = Array(recipe.vocabulary), data = Array(recipe.text)
        let (v, h, length) = (vocabulary.count, recipe.hidden, recipe.seq_length)
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        let ids = try data.map { try #require(index[$0]) }

        // Wxh [H, V] and Whh [H, H] are already PyTorch's weight_ih / weight_hh; bh is bias_ih and there is
        // no second bias. Our affine map takes W [in, out], so it holds Whyᵀ: W[j, i] = Why[i, j].
        let wxh = Variable(Tensor<Double>(shape: [h, v]) { Self.initialWeight(seed: 1, index: $0) })
        let whh = Variable(Tensor<Double>(shape: [h, h]) { Self.initialWeight(seed: 2, index: $0) })
        let why = Variable(Tensor<Double>(shape: [h, v]) { k in Self.initialWeight(seed: 3, index: (k % v) * h + k / v) })
        let bh = Variable(Tensor<Double>.zeros([h])), by = Variable(Tensor<Double>.zeros([v]))
        let weights = RecurrentWeights(weightIH: wxh, weightHH: whh, biasIH: bh)
        let parameters = [("Wxh", wxh), ("Whh", whh), ("Why", why), ("bh", bh), ("by", by)]
            .map { Parameter(name: $0.0, variable: $0.1, isRegularized: true) }
        let adagrad = try Adagrad<Double>(learningRate: recipe.learning_rate, epsilon: 1e-8, epsilonInsideSquareRoot: true,
                                          clipValue: clipInsideAdagrad ? 5 : nil)

        let tape = Tape<Double>()
        var hprev = Tensor<Double>.zeros([1, h])
        var losses: [Double] = []
        var p = 0
        for n in 0..<recipe.updates {
            if p + length + 1 >= data.count || n == 0 {
                hprev = Tensor.zeros([1, h])
                p = 0
            }
            tape.reset()
            for parameter in parameters { parameter.variable.zeroGrad() }
            let inputs = Array(ids[p..<(p + length)]), targets = Array(ids[(p + 1)...(p + length)])
            let rnn = try Variable.rnn(.oneHot(ids: inputs, batch: 1, steps: length, tape: tape), weights: weights,
                                       h0: tape.constant(hprev))
            let scores = try rnn.output.reshaped([length, h]).affine(why, by)
            // min-char-rnn sums the loss over the chunk; ours is a mean, so times the chunk length.
            let loss = try scores.softmaxCrossEntropy(labels: targets) * Double(length)
            try tape.backward(loss)
            if !clipInsideAdagrad { try clipGradientValues(parameters, limit: 5) }
            try adagrad.step(parameters)
            losses.append(loss.value[flat: 0])
            hprev = rnn.hidden.value
            p += length
        }

        func expectClose(_ name: String, _ ours: Tensor<Double>, _ theirs: Tensor<Double>) {
            #expect(ours.count == theirs.count, "\(name): \(ours.shape) vs \(theirs.shape)")
            var worst = 0.0, at = 0
            for k in 0..<min(ours.count, theirs.count) {
                let e = abs(ours[flat: k] - theirs[flat: k]) / max(1, abs(theirs[flat: k]))
                if !(e <= worst) { worst = e.isNaN ? .infinity : e; at = k }
            }
            #expect(worst <= 1e-9, "\(name): worst relative difference \(worst) at \(at)")
        }
        func reference(_ name: String) throws -> Tensor<Double> {
            try #require(file[name]?.tensor(as: Double.self), "\(name) missing from the fixture")
        }
        expectClose("Wxh", wxh.value, try reference("Wxh"))
        expectClose("Whh", whh.value, try reference("Whh"))
        let whyReference = try reference("Why")   // [V, H]
        expectClose("Why", Tensor(shape: [v, h]) { k in why.value[flat: (k % h) * v + k / h] }, whyReference)
        expectClose("bh", bh.value, try reference("bh"))
        expectClose("by", by.value, try reference("by"))
        expectClose("hprev", hprev, try reference("hprev"))
        expectClose("losses", Tensor(losses), try reference("losses"))
        // The run learned something: the last ten chunks' mean loss is below a uniform guess (25·ln 65)
        // by more than 5% (numpy's: 93.7 against 104.4).
        #expect(losses.suffix(10).reduce(0, +) / 10 < 0.95 * Double(length) * log(Double(v)))
    }
}

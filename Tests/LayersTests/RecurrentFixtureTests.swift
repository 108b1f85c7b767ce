import Foundation
import Testing
@testable import Layers
import Tensor

// The recurrent ops against PyTorch: torch.nn.RNN, LSTM and GRU with the same weights, inputs and
// initial states give the same outputs, final states and gradients (of x, h0, c0 and every parameter,
// each under its PyTorch name) — for a two-layer stack, a bidirectional layer (our forward op beside our
// reversed op) and a bidirectional layer over packed sequences of lengths 6, 3 and 1.
// The fixtures come from scripts/make_rnn_fixtures.py (torch 2.15, float64 from float32 inputs); rerun it
// to regenerate.

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A tensor of the fixture in precision S (inputs are stored as F32, references as F64).
private func load<S: BLASScalar>(_ file: SafeTensorsFile, _ name: String, as _: S.Type) throws -> Tensor<S> {
    switch file[name] {
    case let .float(t)?: return t.converted(to: S.self)
    case let .double(t)?: return t.converted(to: S.self)
    case .int64?: throw SafeTensorsError.dtypeMismatch(file: file.fileName, tensor: name, expected: "F32 or F64", found: "I64")
    case nil: throw SafeTensorsError.missingTensor(file: file.fileName, tensor: name)
    }
}

/// Columns `range` of the last axis of a [N, T, F] tensor (one direction of a bidirectional output).
private func lastAxis<S: BLASScalar>(_ t: Tensor<S>, _ range: Range<Int>) -> Tensor<S> {
    let f = t.shape[2]
    return Tensor(shape: [t.shape[0], t.shape[1], range.count]) { k in t[flat: (k / range.count) * f + range.lowerBound + k % range.count] }
}

/// Slice k of a stacked state [L·D, N, H] as [N, H].
private func state<S: BLASScalar>(_ t: Tensor<S>, _ k: Int) throws -> Tensor<S> {
    try t.rows(k..<(k + 1)).reshaped([t.shape[1], t.shape[2]])
}

/// Worst |ours − torch| / max(1, |torch|) over the scalars, and where.
struct Comparison {
    var worst = 0.0, name = ""
    mutating func compare<S: BLASScalar>(_ name: String, _ ours: Tensor<S>?, _ reference: Tensor<Double>) {
        guard let ours else { worst = .infinity; self.name = name + " (no gradient)"; return }
        guard ours.count == reference.count else { worst = .infinity; self.name = name + " (shape \(ours.shape) vs \(reference.shape))"; return }
        for k in 0..<reference.count {
            let a = Double(ours[flat: k]), b = reference[flat: k]
            let e = abs(a - b) / max(1, abs(b))
            if !(e <= worst) { worst = e.isNaN ? .infinity : e; self.name = "\(name)[\(k)]: ours \(a), torch \(b)" }
        }
    }
}

@Suite("Recurrent ops match PyTorch (Fixtures/{rnn,lstm,gru}.safetensors)")
struct RecurrentFixtureTests {
    static let cases: [(cell: String, name: String)] = [
        ("rnn", "stack2"), ("rnn", "bidirectional"), ("rnn", "packed"), ("rnn", "relu"),
        ("lstm", "stack2"), ("lstm", "bidirectional"), ("lstm", "packed"),
        ("gru", "stack2"), ("gru", "bidirectional"), ("gru", "packed"),
    ]

    /// Runs one case in precision S and returns the worst relative difference from torch.
    func compare<S: BLASScalar>(cell: String, name: String, _: S.Type) throws -> Comparison {
        let file = try SafeTensorsFile.read(from: fixtures.appendingPathComponent(cell + ".safetensors"))
        func ref(_ key: String) throws -> Tensor<Double> { try load(file, name + "." + key, as: Double.self) }
        func value(_ key: String) throws -> Tensor<S> { try load(file, name + "." + key, as: S.self) }
        let tape = Tape<S>()
        let x = tape.variable(try value("x"))
        let h0All = try value("h0"), stateCount = h0All.shape[0]
        let h0 = try (0..<stateCount).map { tape.variable(try state(h0All, $0)) }
        let c0: [Variable<S>?] = cell == "lstm"
            ? try (0..<stateCount).map { tape.variable(try state(try value("c0"), $0)) } : Array(repeating: nil, count: stateCount)
        var parameters: [String: Variable<S>] = [:]
        func weights(_ suffix: String) throws -> RecurrentWeights<S> {
            func p(_ base: String) throws -> Variable<S> {
                let v = Variable(try value(base + suffix))
                parameters[base + suffix] = v
                return v
            }
            return RecurrentWeights(weightIH: try p("weight_ih"), weightHH: try p("weight_hh"), biasIH: try p("bias_ih"), biasHH: try p("bias_hh"))
        }
        func run(_ input: Variable<S>, _ w: RecurrentWeights<S>, _ k: Int, reversed: Bool = false,
                 lengths: [Int]? = nil) throws -> [Variable<S>] {
            switch cell {
            case "lstm":
                let r = try input.lstm(weights: w, h0: h0[k], c0: c0[k], reversed: reversed, lengths: lengths)
                return [r.output, r.hidden, r.cell]
            case "gru":
                let r = try input.gru(weights: w, h0: h0[k], reversed: reversed, lengths: lengths)
                return [r.output, r.hidden]
            default:
                let r = try input.rnn(weights: w, h0: h0[k], nonlinearity: name == "relu" ? .relu : .tanh, reversed: reversed, lengths: lengths)
                return [r.output, r.hidden]
            }
        }
        // Each output with the slice of torch's output it corresponds to: (ours, torch's name, columns or state index).
        let outputs: [[Variable<S>]]    // per layer or direction: [sequence, h, (c)]
        let bidirectional = name == "bidirectional" || name == "packed"
        if bidirectional {
            let lengths = name == "packed" ? try ref("lengths").scalars.map { Int($0) } : nil
            outputs = [try run(x, try weights("_l0"), 0, lengths: lengths), try run(x, try weights("_l0_reverse"), 1, reversed: true, lengths: lengths)]
        } else if name == "stack2" {
            let first = try run(x, try weights("_l0"), 0)
            outputs = [first, try run(first[0], try weights("_l1"), 1)]
        } else {
            outputs = [try run(x, try weights("_l0"), 0)]
        }
        let hidden = outputs[0][0].value.shape[2]
        let out = try ref("out"), wOut = try ref("w_out").converted(to: S.self)
        var comparison = Comparison()
        var loss: Variable<S>? = nil
        func add(_ term: Variable<S>) throws { loss = try loss.map { try $0 + term } ?? term }
        for (k, o) in outputs.enumerated() {
            // The sequence output: both directions side by side when bidirectional, else the last layer's.
            if bidirectional || k == outputs.count - 1 {
                let columns = bidirectional ? (k * hidden)..<((k + 1) * hidden) : 0..<hidden
                comparison.compare("out[…, \(columns)]", o[0].value, lastAxis(out, columns))
                try add((o[0] * tape.constant(lastAxis(wOut, columns))).sum())
            }
            for (s, key) in ["h", "c"].enumerated() where s + 1 < o.count {
                comparison.compare("\(key)_n[\(k)]", o[s + 1].value, try state(try ref(key + "_n"), k))
                try add((o[s + 1] * tape.constant(try state(try ref("w_" + key).converted(to: S.self), k))).sum())
            }
        }
        try tape.backward(loss!)
        comparison.compare("loss", loss!.value, try ref("loss"))
        comparison.compare("grad x", x.grad, try ref("grad.x"))
        for k in 0..<stateCount {
            comparison.compare("grad h0[\(k)]", h0[k].grad, try state(try ref("grad.h0"), k))
            if let c = c0[k] { comparison.compare("grad c0[\(k)]", c.grad, try state(try ref("grad.c0"), k)) }
        }
        let expectedParameters = file.names.filter { $0.hasPrefix(name + ".grad.weight") || $0.hasPrefix(name + ".grad.bias") }
        #expect(expectedParameters.count == parameters.count, "\(cell) \(name): torch has \(expectedParameters.count) parameters, we ran \(parameters.count)")
        for (pname, p) in parameters.sorted(by: { $0.key < $1.key }) {
            comparison.compare("grad " + pname, p.grad, try ref("grad." + pname))
        }
        return comparison
    }

    @Test("Float, to 1e-5", arguments: cases.map { "\($0.cell) \($0.name)" })
    func float(_ label: String) throws {
        let parts = label.split(separator: " ").map(String.init)
        let c = try compare(cell: parts[0], name: parts[1], Float.self)
        #expect(c.worst < 1e-5, "\(label): worst relative difference \(c.worst) at \(c.name)")
    }

    @Test("Double, to 1e-12", arguments: cases.map { "\($0.cell) \($0.name)" })
    func double(_ label: String) throws {
        let parts = label.split(separator: " ").map(String.init)
        let c = try compare(cell: parts[0], name: parts[1], Double.self)
        #expect(c.worst < 1e-12, "\(label): worst relative difference \(c.worst) at \(c.name)")
    }
}

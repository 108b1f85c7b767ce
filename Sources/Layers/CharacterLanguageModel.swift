import Foundation

/// A character-level language model (Karpathy's char-rnn): one-hot characters → a recurrent stack
/// (every step's output) → a dense layer to one score per symbol → softmax. Characters are Unicode
/// scalars; the vocabulary is the sorted set of those in the training text, stored in the model file.
///
/// Model files are safetensors with the stack's parameters under PyTorch's names prefixed `rnn.`
/// (`rnn.weight_ih_l0` … — `nn.LSTM(V, H, num_layers)` loads them with `strict=True` after removing the
/// prefix), the head as `head.weight` [V, H] and `head.bias` [V] (`nn.Linear`), and metadata
/// `circuits.format` = `char-lm-1`, `recurrent` (the stack's configuration, JSON) and `vocabulary` (a
/// JSON array of one-character strings).
public final class CharacterLanguageModel<Scalar: BLASScalar> {
    /// The symbols, in id order (each a one-scalar string).
    public let vocabulary: [String]
    public let recurrent: Recurrent<Scalar>
    public let head: Dense<Scalar>
    let index: [Unicode.Scalar: Int]

    public static var formatName: String { "char-lm-1" }

    /// A fresh model over `vocabulary` (distinct single Unicode scalars). The stack's output must be
    /// every step's state (`output: .sequence`).
    /// - Throws: `LayerError.invalidConfiguration` for a bad stack or vocabulary.
    public init(vocabulary: [String], configuration: RecurrentConfiguration, rng: inout SeededRNG) throws {
        let index = try Self.index(vocabulary)
        guard configuration.output == .sequence else {
            throw LayerError.invalidConfiguration(layer: configuration.description, reason: "a language model needs every step's output")
        }
        self.vocabulary = vocabulary
        self.index = index
        recurrent = try Recurrent<Scalar>(configuration, features: vocabulary.count, rng: &rng)
        // PyTorch's nn.Linear initialisation: uniform in ±1/√fan-in for weights and biases.
        let k = 1 / Scalar(Double(configuration.outputWidth).squareRoot())
        head = try Dense<Scalar>(weight: Tensor.randomUniform([configuration.outputWidth, vocabulary.count], low: -k, high: k, using: &rng),
                                 bias: Tensor.randomUniform([vocabulary.count], low: -k, high: k, using: &rng))
    }

    static func index(_ vocabulary: [String]) throws -> [Unicode.Scalar: Int] {
        var index: [Unicode.Scalar: Int] = [:]
        for (i, s) in vocabulary.enumerated() {
            guard s.unicodeScalars.count == 1, let u = s.unicodeScalars.first, index[u] == nil else {
                throw LayerError.invalidConfiguration(layer: "character vocabulary", reason: "entry \(i) (\(s.debugDescription)) is not a distinct single character")
            }
            index[u] = i
        }
        guard !index.isEmpty else { throw LayerError.invalidConfiguration(layer: "character vocabulary", reason: "no symbols") }
        return index
    }

    public var configuration: RecurrentConfiguration { recurrent.configuration }

    /// Every parameter: the stack's as `rnn.<PyTorch name>`, then `head.weight`, `head.bias`.
    public var parameters: [Parameter<Scalar>] {
        recurrent.parameters.map { var p = $0; p.name = "rnn." + p.name; return p }
            + head.parameters.map { var p = $0; p.name = "head." + p.name; return p }
    }

    public var isTraining: Bool {
        get { recurrent.isTraining }
        set { recurrent.isTraining = newValue; head.isTraining = newValue }
    }

    /// The id of each character of `text`.
    /// - Throws: `LanguageModelError.unknownCharacter` naming the first character the model never saw
    ///   and its position.
    public func encode(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.unicodeScalars.count)
        for (position, u) in text.unicodeScalars.enumerated() {
            guard let id = index[u] else { throw LanguageModelError.unknownCharacter(String(u), position: position) }
            ids.append(id)
        }
        return ids
    }

    /// Scores [N·T, V] for the next character after each of `ids` (N rows of T, row-major), from
    /// `initial` states (zeros when nil), recorded on `tape` (nil: inference); with the stack's final
    /// states, the next chunk's initial ones.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scores(ids: [Int], batch: Int, steps: Int, initial: RecurrentState<Scalar>?, tape: Tape<Scalar>?) throws
        -> (scores: Variable<Scalar>, final: RecurrentState<Scalar>) {
        let (y, final) = try recurrent.run(.oneHot(ids: ids, batch: batch, steps: steps, tape: tape), initial: initial)
        let rows = try y.reshaped([batch * steps, configuration.outputWidth])
        return (try head.forward(rows), final)
    }

    /// Mean cross-entropy in nats per character of predicting each character of `ids` from the ones
    /// before it, cut into `batch` contiguous streams read `steps` at a time with the state carried —
    /// as training reads its text (the first character of each stream is not predicted).
    public func evaluate(ids: [Int], batch: Int, steps: Int) throws -> Double {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        let streams = TextStreams(ids: ids, batch: batch, steps: steps)
        var state: RecurrentState<Scalar>? = nil
        var total = 0.0, count = 0
        // The recurrent ops cut their work across the threads themselves (Tensor+Recurrent.swift).
        try Parallel.withOwnThreads {
            for chunk in 0..<streams.chunks {
                let (inputs, targets, length) = streams.chunk(chunk)
                let (s, final) = try scores(ids: inputs, batch: streams.batch, steps: length, initial: state, tape: nil)
                total += try Self.summedCrossEntropy(s.value, targets: targets)
                count += targets.count
                state = final
            }
        }
        return count == 0 ? .nan : total / Double(count)
    }

    /// Σ −log softmax(scores)[target] over rows, in Double.
    static func summedCrossEntropy(_ scores: Tensor<Scalar>, targets: [Int]) throws -> Double {
        let v = scores.shape[1], p = scores.unsafeReadPointer
        var total = 0.0
        for (r, t) in targets.enumerated() {
            let row = p + r * v
            var m = -Double.infinity
            for j in 0..<v { m = max(m, Double(row[j])) }
            var z = 0.0
            for j in 0..<v { z += Foundation.exp(Double(row[j]) - m) }
            total += m + Foundation.log(z) - Double(row[t])
        }
        return total
    }

    /// Generates `length` characters after `prime` (fed first, its state carried; an empty prime starts
    /// from a zero state and a first character drawn uniformly, counted in `length`), each drawn from
    /// softmax(scores / temperature) with `rng`. The same weights, prime, temperature and
    /// generator give the same text in any process. `length` 0 gives "" (the prime is still checked).
    /// - Throws: `LanguageModelError.unknownCharacter` for a prime character the model never saw;
    ///   `LanguageModelError.invalidArgument` for a temperature ≤ 0 or a negative length.
    public func sample(prime: String, length: Int, temperature: Double, rng: inout SeededRNG) throws -> String {
        guard temperature > 0, temperature.isFinite else { throw LanguageModelError.invalidArgument("temperature \(temperature) must be positive") }
        guard length >= 0 else { throw LanguageModelError.invalidArgument("length \(length) must be ≥ 0") }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        var ids = try encode(prime)
        // `length` counts generated characters only, so 0 is none: not even the drawn first one.
        guard length > 0 else { return "" }
        if ids.isEmpty { ids = [rng.nextInt(below: vocabulary.count)] }
        var out = prime.isEmpty ? vocabulary[ids[0]] : ""
        var (s, state) = try scores(ids: ids, batch: 1, steps: ids.count, initial: nil, tape: nil)
        var last = Array(UnsafeBufferPointer(start: s.value.unsafeReadPointer + (ids.count - 1) * vocabulary.count, count: vocabulary.count))
        var probabilities = [Double](repeating: 0, count: vocabulary.count)
        let produced = prime.isEmpty ? length - 1 : length
        for _ in 0..<max(produced, 0) {
            var m = -Double.infinity
            for j in 0..<last.count { m = max(m, Double(last[j]) / temperature) }
            var z = 0.0
            for j in 0..<last.count { probabilities[j] = Foundation.exp(Double(last[j]) / temperature - m); z += probabilities[j] }
            var u = rng.nextDouble() * z, next = last.count - 1
            for j in 0..<last.count {
                u -= probabilities[j]
                if u < 0 { next = j; break }
            }
            out += vocabulary[next]
            (s, state) = try scores(ids: [next], batch: 1, steps: 1, initial: state, tape: nil)
            last = Array(UnsafeBufferPointer(start: s.value.unsafeReadPointer, count: vocabulary.count))
        }
        return out
    }

    // MARK: Files

    /// The model as a safetensors container (see the type's documentation for the layout); `extra`
    /// metadata is stored beside it.
    public func container(extra: [String: String] = [:], fileName: String = "<memory>") throws -> SafeTensorsFile {
        var tensors: [(name: String, tensor: AnyTensor)] = []
        for p in parameters {
            let value = p.isTransposedInFiles ? try p.variable.value.transposed() : p.variable.value
            tensors.append((p.name, AnyTensor(value)))
        }
        var metadata = extra
        metadata["circuits.format"] = Self.formatName
        metadata["recurrent"] = try ModelFile<Scalar>.json(configuration)
        metadata["vocabulary"] = try ModelFile<Scalar>.json(vocabulary)
        return SafeTensorsFile(tensors: tensors, metadata: metadata, fileName: fileName)
    }

    /// Writes the model atomically.
    public func write(to url: URL, extra: [String: String] = [:]) throws {
        try container(extra: extra, fileName: url.path).write(to: url)
    }

    /// Reads a model written by `write`.
    /// - Throws: `LanguageModelError.notALanguageModel` naming the file when its format is not this one
    ///   or its metadata does not decode; `SafeTensorsError` for a missing or misshapen tensor.
    public static func read(from url: URL) throws -> CharacterLanguageModel {
        try decode(try SafeTensorsFile.read(from: url))
    }

    public static func decode(_ file: SafeTensorsFile) throws -> CharacterLanguageModel {
        let name = file.fileName
        guard file.metadata["circuits.format"] == formatName else {
            throw LanguageModelError.notALanguageModel(file: name, reason: "circuits.format is \(file.metadata["circuits.format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(formatName)\"")
        }
        guard let c = file.metadata["recurrent"].flatMap({ try? JSONDecoder().decode(RecurrentConfiguration.self, from: Data($0.utf8)) }),
              let vocabulary = file.metadata["vocabulary"].flatMap({ try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }) else {
            throw LanguageModelError.notALanguageModel(file: name, reason: "the recurrent or vocabulary metadata does not decode")
        }
        // Sizes before any allocation: a few bytes of metadata must not claim terabytes of weights.
        let stored = file.tensors.reduce(0) { $0 &+ $1.tensor.shape.reduce(1, &*) }
        guard let count = c.parameterCount(features: vocabulary.count), count <= stored else {
            throw LanguageModelError.notALanguageModel(file: name, reason: "\(c.description) over \(vocabulary.count) symbols needs more parameters than the \(stored) values stored")
        }
        var rng = SeededRNG(seed: 0)
        let model = try CharacterLanguageModel(vocabulary: vocabulary, configuration: c, rng: &rng)
        for p in model.parameters {
            let shape = p.variable.value.shape
            let fileShape = p.isTransposedInFiles ? [shape[1], shape[0]] : shape
            var t = try file.require(p.name, shape: fileShape, as: Scalar.self)
            if p.isTransposedInFiles { t = try t.transposed() }
            p.variable.value.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: t.unsafeReadPointer, count: t.count) }
        }
        return model
    }
}

/// Errors of the character language model.
public enum LanguageModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownCharacter(String, position: Int)
    case invalidArgument(String)
    case notALanguageModel(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownCharacter(c, position):
            return "character \(c.debugDescription) (U+\(String(c.unicodeScalars.first!.value, radix: 16, uppercase: true))) at position \(position) is not in the model's vocabulary"
        case let .invalidArgument(reason): return reason
        case let .notALanguageModel(file, reason): return "\(file): not a character language model: \(reason)"
        }
    }
}

/// A text as `batch` contiguous streams read `steps` characters at a time (char-rnn's batching): chunk k
/// of stream s holds characters [s·L + k·steps, s·L + k·steps + steps] of the ids — inputs and the
/// targets one to the right — so the state at the end of chunk k is the right start for chunk k + 1.
public struct TextStreams {
    public let ids: [Int]
    public let batch: Int
    public let steps: Int
    /// Characters per stream (the text's tail that does not fill a stream is not read).
    public let streamLength: Int

    /// Streams over `ids`; fewer than `batch` when the text is short (at least one character of input
    /// and one of target per stream).
    public init(ids: [Int], batch: Int, steps: Int) {
        self.ids = ids
        self.steps = max(steps, 1)
        let b = max(1, min(batch, (ids.count - 1) / 2))
        self.batch = b
        streamLength = ids.count / b
    }

    /// Chunks per pass: every stream's characters but its last, `steps` at a time (the last chunk shorter).
    public var chunks: Int { streamLength < 2 ? 0 : (streamLength - 1 + steps - 1) / steps }

    /// Inputs and targets of chunk `k`, each batch × length row-major, and the chunk's length.
    public func chunk(_ k: Int) -> (inputs: [Int], targets: [Int], length: Int) {
        let start = k * steps
        let length = min(steps, streamLength - 1 - start)
        var inputs = [Int](repeating: 0, count: batch * length), targets = inputs
        for s in 0..<batch {
            let base = s * streamLength + start
            for t in 0..<length {
                inputs[s * length + t] = ids[base + t]
                targets[s * length + t] = ids[base + t + 1]
            }
        }
        return (inputs, targets, length)
    }
}

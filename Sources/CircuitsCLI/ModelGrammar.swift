import Layers

/// The `--model` language: a short text that names an architecture, turned into layer specs for the
/// data's example shape and the loss's number of outputs.
///
///     linear                     one dense layer (a linear classifier)
///     mlp:256,128                dense → relu for each width, then the output layer
///     mlp:256,128:gelu           the same with another activation (relu, leaky-relu, sigmoid, tanh,
///                                softplus, elu, gelu, silu)
///     cnn                        the convolutional preset for 28×28 images (`ModelPreset.cnn`)
///     dense:128,gelu,dropout:0.2 a list of layers:
///       dense:N                  a dense layer of N outputs
///       conv:32x3                32 filters 3×3, stride 1, `same` padding
///       conv:8x5x3/2             8 filters 5 high × 3 wide, stride 2 (`same` padding)
///       conv:16x3:valid          no padding (`:same`, `:valid`, or `:N` pixels on every side)
///       pool:2, pool:3/2         max pooling, window 2 stride 2 / window 3 stride 2 (`:N` pads)
///       avgpool:2, avgpool:3/2   average pooling
///       gap                      global average pooling ([C, H, W] → [C])
///       bn                       batch normalization (per channel of conv maps, per feature of vectors)
///       dropout:P, flatten, and the activation names
///     lstm:128,dense:10          recurrent layers on sequences [T, F] (images: rows as steps): lstm, gru,
///                                rnn, or bilstm/bigru/birnn for both directions; lstm:2x128 stacks two;
///                                options after more colons: last (default for the last recurrent
///                                layer), mean, seq (every step), sum (directions summed), dropout=P
///
/// The output layer (dense with as many outputs as the loss needs) is appended unless the list already
/// ends with a dense layer of exactly that width; a flatten layer is inserted before a dense layer whose
/// input is not a vector. `--dropout P` adds dropout after each hidden activation of an `mlp:` model.
/// A list that starts with a convolution or pooling takes the examples as images: `[C, H, W]`, with
/// `[H, W]` examples (NPY) as one channel; rows of pixels (CSV, LIBSVM) need `--image-shape`.
struct ModelGrammar: Equatable {
    /// The text as given.
    var text: String

    static let help = "linear, mlp:W1,W2,…[:ACTIVATION], cnn, or a list of layers (dense:N, conv:FxK[xK2][/S][:same|valid|P], "
        + "pool:K[/S], avgpool:K[/S], gap, bn, dropout:P, flatten, ACTIVATION, embedding:VxD, lstm:[Lx]H[:last|mean|seq][:sum], gru:…, rnn:…, bilstm:…)"

    /// One layer of a list, before shapes are known.
    enum Token: Equatable {
        case dense(Int)
        case activation(UnaryFunction)
        case dropout(Double)
        case flatten
        /// A layer whose spec needs no shape (convolution, pooling, batch norm).
        case layer(LayerSpec)
        /// A recurrent stack; `outputGiven` is false when the text named no output (resolved by position).
        case recurrent(RecurrentConfiguration, outputGiven: Bool)
    }

    /// The parsed text: an MLP (with its activation) or a list of tokens.
    enum Form: Equatable {
        case mlp(hidden: [Int], activation: UnaryFunction)
        case layers([Token])
    }

    /// The embedding the layer list starts with, if it does (its examples are token ids).
    func embedding(command: String) throws -> EmbeddingConfiguration? {
        guard case let .layers(tokens) = try form(command: command), case let .layer(spec)? = tokens.first else { return nil }
        return spec.configuration as? EmbeddingConfiguration
    }

    /// The preset the text names, if it is one.
    var preset: ModelPreset? { ModelPreset.named(text) }

    /// Parses the text. - Throws: `CLIError.usage` naming the part that is not understood.
    func form(command: String) throws -> Form {
        func bad(_ what: String) -> CLIError {
            CLIError.usage("--model \"\(text)\": \(what); expected \(Self.help)", command: command)
        }
        if text == "linear" { return .mlp(hidden: [], activation: .relu) }
        if let preset { return try ModelGrammar(text: preset.layers).form(command: command) }
        if text.hasPrefix("mlp:") {
            let parts = text.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw bad("too many ':'") }
            let widths = parts[0].split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else { throw bad("widths must be positive integers") }
            var activation = UnaryFunction.relu
            if parts.count == 2 {
                guard let f = UnaryFunction(activation: String(parts[1])) else {
                    throw bad("unknown activation \"\(parts[1])\" (\(Self.activationNames))")
                }
                activation = f
            }
            return .mlp(hidden: widths.map { $0! }, activation: activation)
        }
        var tokens: [Token] = []
        for (index, raw) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let item = raw.trimmingCharacters(in: .whitespaces)
            let fields = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            switch fields[0] {
            case "dense":
                guard fields.count == 2, let n = Int(fields[1]), n > 0 else { throw bad("\"\(item)\" needs a positive width (dense:128)") }
                tokens.append(.dense(n))
            case "dropout":
                guard fields.count == 2, let p = Double(fields[1]), p >= 0, p < 1 else { throw bad("\"\(item)\" needs a probability in [0, 1) (dropout:0.3)") }
                tokens.append(.dropout(p))
            case "flatten" where fields.count == 1:
                tokens.append(.flatten)
            case "gap" where fields.count == 1:
                tokens.append(.layer(.globalAveragePool))
            case "bn" where fields.count == 1:
                tokens.append(.layer(.batchNorm()))
            case "conv":
                guard fields.count == 2, let spec = Self.convolution(fields[1]) else {
                    throw bad("\"\(item)\" needs filters × kernel[×kernel width][/stride][:same|valid|P] (conv:32x3, conv:8x5x3/2, conv:16x3:valid)")
                }
                tokens.append(.layer(spec))
            case "pool", "avgpool":
                guard fields.count == 2, let (window, stride, padding) = Self.pooling(fields[1]) else {
                    throw bad("\"\(item)\" needs a window[/stride][:padding] (\(fields[0]):2, \(fields[0]):3/2)")
                }
                tokens.append(.layer(fields[0] == "pool" ? .maxPool2D(window, stride: stride, padding: padding)
                                                        : .avgPool2D(window, stride: stride, padding: padding)))
            case "embedding":
                // Token ids 0..<V (each example a sequence of T ids) to vectors of D.
                let sizes = fields.count == 2 ? fields[1].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) } : []
                guard sizes.count == 2, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw bad("\"\(item)\" needs the number of ids × the vector length (embedding:10000x64)")
                }
                guard index == 0 else { throw bad("\"\(item)\" must come first: it reads the examples' token ids") }
                tokens.append(.layer(LayerSpec(EmbeddingConfiguration(vocabulary: sizes[0]!, dimensions: sizes[1]!))))
            case "lstm", "gru", "rnn", "bilstm", "bigru", "birnn":
                guard fields.count == 2 else { throw bad("\"\(item)\" needs a hidden size (lstm:128, lstm:2x128)") }
                tokens.append(try Self.recurrent(kind: fields[0], rest: fields[1], item: item, bad: bad))
            default:
                if fields.count == 1, let f = UnaryFunction(activation: fields[0]) {
                    tokens.append(.activation(f))
                } else {
                    throw bad("unknown layer \"\(item)\"")
                }
            }
        }
        return .layers(tokens)
    }

    /// `32x3`, `8x5x3/2`, `16x3:valid`, `16x3/2:1`: filters, kernel height (and width), stride, padding.
    static func convolution(_ text: String) -> LayerSpec? {
        let options = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard options.count <= 2 else { return nil }
        let strideParts = options[0].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard strideParts.count <= 2 else { return nil }
        let sizes = strideParts[0].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard sizes.count == 2 || sizes.count == 3, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        let kernel = Size2D(height: sizes[1]!, width: sizes.count == 3 ? sizes[2]! : sizes[1]!)
        var stride: Size2D = 1
        if strideParts.count == 2 {
            guard let s = Int(strideParts[1]), s > 0 else { return nil }
            stride = Size2D(s)
        }
        var padding = ConvolutionPadding.same
        if options.count == 2 {
            switch options[1] {
            case "same": padding = .same
            case "valid": padding = .valid
            default:
                guard let p = Int(options[1]), p >= 0 else { return nil }
                padding = .explicit(Padding2D(p))
            }
        }
        return .conv2D(sizes[0]!, kernel: kernel, stride: stride, padding: padding)
    }

    /// `2`, `3/2`, `3/2:1`: window, stride (default the window), padding.
    static func pooling(_ text: String) -> (Size2D, Size2D?, Padding2D)? {
        let options = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard options.count <= 2 else { return nil }
        let parts = options[0].split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count <= 2, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        var padding = Padding2D.zero
        if options.count == 2 {
            guard let p = Int(options[1]), p >= 0 else { return nil }
            padding = Padding2D(p)
        }
        return (Size2D(parts[0]!), parts.count == 2 ? Size2D(parts[1]!) : nil, padding)
    }

    /// `lstm:2x128:mean:sum`, split at the first colon into the kind and the rest.
    static func recurrent(kind: String, rest: String, item: String, bad: (String) -> CLIError) throws -> Token {
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let sizes = parts[0].lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard sizes.count == 1 || sizes.count == 2, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw bad("\"\(item)\" needs a positive hidden size, or layers×size (lstm:2x128)")
        }
        let cell: RecurrentConfiguration.Cell = kind.hasSuffix("lstm") ? .lstm : kind.hasSuffix("gru") ? .gru : .rnnTanh
        var c = RecurrentConfiguration(cell: cell, hidden: sizes.last!!, layers: sizes.count == 2 ? sizes[0]! : 1,
                                       bidirectional: kind.hasPrefix("bi"), output: .last)
        var outputGiven = false
        var given: [String: String] = [:]   // option group → the option that set it: a second one contradicts
        func once(_ group: String, _ option: String) throws {
            if let first = given[group], first != option { throw bad("\"\(item)\": \"\(first)\" and \"\(option)\" contradict each other (one \(group))") }
            given[group] = option
        }
        for option in parts.dropFirst() {
            switch option {
            case "last", "mean", "seq": try once("output", option)
            case "sum" where c.bidirectional, "concat" where c.bidirectional: try once("merge of the directions", option)
            case let o where o.hasPrefix("dropout="): try once("dropout", o)
            default: break
            }
            switch option {
            case "last": c.output = .last; outputGiven = true
            case "mean": c.output = .mean; outputGiven = true
            case "seq": c.output = .sequence; outputGiven = true
            case "sum" where c.bidirectional: c.merge = .sum
            case "concat" where c.bidirectional: c.merge = .concat
            case let o where o.hasPrefix("dropout="):
                guard let p = Double(o.dropFirst(8)), p >= 0, p < 1 else { throw bad("\"\(item)\": dropout needs a probability in [0, 1)") }
                c.dropout = p
            default:
                throw bad("\"\(item)\": unknown option \"\(option)\" (last, mean, seq\(c.bidirectional ? ", sum, concat" : ""), dropout=P)")
            }
        }
        return .recurrent(c, outputGiven: outputGiven)
    }

    static var activationNames: String { UnaryFunction.activations.map(\.name).joined(separator: ", ") }

    /// The model's input shape and layers for examples of `exampleShape` and `outputs` output scores.
    /// An MLP or a list that starts with a dense layer takes examples flattened to a vector.
    /// - Throws: `CLIError.usage` for text that does not parse; `LayerError` when the layers cannot
    ///   take the data's shape.
    func architecture(exampleShape: [Int], outputs: Int, dropout: Double, command: String) throws -> Architecture {
        let flat = [exampleShape.reduce(1, *)]
        switch try form(command: command) {
        case let .mlp(hidden, activation):
            return Architecture(input: flat, layers: Sequential<Float>.mlpSpecs(hidden: hidden, outputs: outputs, activation: activation, dropout: dropout))
        case let .layers(tokens):
            var input = tokens.first.map { if case .dense = $0 { return true } else { return false } } == true ? flat : exampleShape
            // [H, W] examples (an NPY array of grayscale images) are one-channel images to a conv net.
            if input.count == 2, case let .layer(first)? = tokens.first, first.kind != BatchNormConfiguration.kind { input = [1] + input }
            var specs: [LayerSpec] = []
            var shape = input
            func add(_ spec: LayerSpec) throws {
                if spec.kind == DenseConfiguration.kind && shape.count != 1 { try add(.flatten) }
                do { shape = try spec.configuration.outputShape(for: shape) } catch let error as LayerError { throw error.at(specs.count) }
                specs.append(spec)
            }
            for (index, token) in tokens.enumerated() {
                switch token {
                case let .dense(n): try add(.dense(n))
                case let .activation(f): try add(.activation(f))
                case let .dropout(p): try add(.dropout(p))
                case .flatten: try add(.flatten)
                case let .layer(spec): try add(spec)
                case .recurrent(var c, let outputGiven):
                    // Images and other examples with rows: the rows become the time steps.
                    if shape.count > 2 { try add(.rowsAsSteps) }
                    // A recurrent layer followed by another hands it every step unless told otherwise.
                    if !outputGiven, tokens[(index + 1)...].contains(where: { if case .recurrent = $0 { return true } else { return false } }) {
                        c.output = .sequence
                    }
                    try add(.recurrent(c))
                }
            }
            if case let .dense(n)? = tokens.last, n == outputs {} else { try add(.dense(outputs)) }
            return Architecture(input: input, layers: specs)
        }
    }

    /// He for networks with hidden layers (ReLU-like), Xavier for a single dense layer.
    static func defaultInitializer(_ architecture: Architecture) -> Initializer {
        architecture.layers.filter { [DenseConfiguration.kind, Conv2DConfiguration.kind].contains($0.kind) }.count <= 1 ? .xavier : .he
    }

    /// Whether the text is an MLP (or linear) — the models `--dropout` applies to.
    func isMLP(command: String) throws -> Bool {
        if case .mlp = try form(command: command) { return true }
        return false
    }
}

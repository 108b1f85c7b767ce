// Reading model files of format 1, the first release's: the architecture was a closed list of layer
// cases, dense weights were stored in×out, and the learning-rate schedule held absolute numbers. Nothing
// writes this format any more; a committed fixture written by that release keeps the reader honest.

enum LegacyModelFile {
    /// A layer as format 1 stored it (Swift's synthesized encoding of the old enum:
    /// `{"dense":{"inputs":2,"outputs":16}}`, `{"relu":{}}`, …).
    enum Spec: Decodable {
        case dense(inputs: Int, outputs: Int)
        case relu
        case leakyRelu(slope: Double)
        case sigmoid
        case tanh
        case dropout(probability: Double)
    }

    /// The format-1 layers as today's architecture; the input shape is the first dense layer's width.
    static func architecture(_ specs: [Spec], file: String) throws -> Architecture {
        guard case let .dense(inputs, _)? = specs.first else {
            throw ModelFileError.invalidMetadata(file: file, key: "architecture", reason: "a format-1 architecture starts with a dense layer")
        }
        let layers: [LayerSpec] = specs.map { spec in
            switch spec {
            case let .dense(_, outputs): return .dense(outputs)
            case .relu: return .activation(.relu)
            case let .leakyRelu(slope): return .activation(.leakyRelu(slope: slope))
            case .sigmoid: return .activation(.sigmoid)
            case .tanh: return .activation(.tanh)
            case let .dropout(p): return .dropout(p)
            }
        }
        return Architecture(input: [inputs], layers: layers)
    }

    /// Format 1's training settings: the same fields, with a schedule that held the rate and epoch count.
    struct Configuration: Decodable {
        enum Schedule: Decodable {
            case constant
            case step(every: Int, factor: Double)
            case exponential(factor: Double)
            case cosine(epochs: Int, minimum: Double)
        }
        var epochs: Int
        var batchSize: Int
        var optimizer: OptimizerKind
        var learningRate: Double
        var momentum: Double
        var schedule: Schedule
        var regularization: Regularization
        var clipNorm: Double?
        var seed: UInt64
        var earlyStoppingPatience: Int?
        var classWeights: [Double]?
        var lbfgsIterations: Int

        var configuration: TrainingConfiguration {
            var c = TrainingConfiguration()
            c.epochs = epochs
            c.batchSize = batchSize
            c.optimizer = optimizer
            c.learningRate = learningRate
            c.momentum = momentum
            switch schedule {
            case .constant: c.schedule = .constant
            case let .step(every, factor): c.schedule = .step(every: every, factor: factor)
            case let .exponential(factor): c.schedule = .exponential(factor: factor)
            case let .cosine(_, minimum): c.schedule = .cosine(minimumFactor: learningRate > 0 ? minimum / learningRate : 0)
            }
            c.regularization = regularization
            c.clipNorm = clipNorm
            c.seed = seed
            c.earlyStoppingPatience = earlyStoppingPatience
            c.classWeights = classWeights
            c.lbfgsIterations = lbfgsIterations
            return c
        }
    }
}

/// A lookup table from token ids to vectors (PyTorch's `nn.Embedding`, parameter `weight` [V, D]): inputs
/// `[T]` of ids, held as scalars (0, 1, 2, … exactly), give sequences `[T, D]` for a recurrent layer.
/// Backward adds each step's gradient into its id's row only (sparse accumulation).
public struct EmbeddingConfiguration: LayerConfiguration, Equatable {
    public static let kind = "embedding"
    /// V, the number of distinct ids (0..<V).
    public var vocabulary: Int
    /// D, the length of each vector.
    public var dimensions: Int

    public init(vocabulary: Int, dimensions: Int) {
        self.vocabulary = vocabulary
        self.dimensions = dimensions
    }

    public var description: String { "Embedding(\(vocabulary)×\(dimensions))" }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard vocabulary > 0, dimensions > 0 else {
            throw LayerError.invalidConfiguration(layer: description, reason: "vocabulary and dimensions must be > 0")
        }
        guard input.count == 1, input[0] > 0 else {
            throw LayerError.incompatibleInput(layer: description, position: nil, input: input, expected: "a sequence of ids [steps]")
        }
        return [input[0], dimensions]
    }

    public func parameterCount(for input: [Int]) -> Int? {
        let (n, overflow) = vocabulary.multipliedReportingOverflow(by: dimensions)
        return overflow ? nil : n
    }

    public func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar> {
        _ = try outputShape(for: inputShape)
        return Embedding<Scalar>(vocabulary: vocabulary, dimensions: dimensions, rng: &context.rng)
    }

    public static var gradientChecks: [GradientCheckCase] {
        // The ids are data, not a differentiable input: the case checks the table's gradient through a
        // following tanh, with a repeated id so accumulation is exercised.
        [GradientCheckCase("layer Embedding (table gradient, repeated ids)", inputs: [[5, 3]]) { tape, v in
            let ids: [Double] = [0, 4, 2, 4, 4, 1]
            let x = tape.constant(Tensor<Double>(shape: [2, 3]) { ids[$0] })
            return try Embedding<Double>(table: v[0]).forward(x).tanh()
        }]
    }
}

/// The layer `EmbeddingConfiguration` builds.
public final class Embedding<Scalar: BLASScalar>: Layer {
    public let weight: Variable<Scalar>
    public var isTraining = true

    /// A table drawn from N(0, 1), as PyTorch draws it.
    public init(vocabulary: Int, dimensions: Int, rng: inout SeededRNG) {
        weight = Variable(Tensor.randomNormal([vocabulary, dimensions], std: 1, using: &rng))
    }

    /// A layer over the given table [V, D] (a variable, so a gradient check can perturb it).
    public init(table: Variable<Scalar>) { weight = table }

    public var vocabulary: Int { weight.value.shape[0] }
    public var dimensions: Int { weight.value.shape[1] }
    public var spec: LayerSpec { LayerSpec(EmbeddingConfiguration(vocabulary: vocabulary, dimensions: dimensions)) }
    public var parameters: [Parameter<Scalar>] { [Parameter(name: "weight", variable: weight, isRegularized: false)] }

    /// x [N, T] of ids → [N, T, D].
    /// - Throws: `TensorError.invalidArgument` naming the example and step of a value that is not an
    ///   integer in 0..<V.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Variable<Scalar>) throws -> Variable<Scalar> {
        let s = x.value.shape
        guard s.count == 2 else { throw TensorError.invalidShape(op: "embedding", shape: s, expected: "[batch, steps] of ids") }
        let p = x.value.unsafeReadPointer
        var ids = [Int](repeating: 0, count: x.value.count)
        let v = vocabulary
        for i in 0..<ids.count {
            let d = Double(p[i])
            guard d >= 0, d < Double(v), d == d.rounded() else {
                throw TensorError.invalidArgument(op: "embedding", reason: "example \(i / s[1]), step \(i % s[1]): id \(d) is not an integer in 0..<\(v)")
            }
            ids[i] = Int(d)
        }
        return try Variable.embedding(ids, shape: s, weight: weight, on: x.tape)
    }
}

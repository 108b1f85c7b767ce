// The catalogue of differentiable ops: one entry per op (or per interesting configuration of one), each a
// scalar-valued function of random inputs. `circuits gradcheck` and the gradient tests both run every
// entry, so a new op is checked in both places by adding one entry here (or, for an activation, one
// case of `UnaryFunction`, whose entries are generated).

/// One check of the catalogue: `function` maps variables of the given shapes to a variable; the check
/// multiplies its output by fixed random weights (so every output element's gradient differs), sums,
/// and compares the tape's gradients with central differences in Double (`GradientCheck`).
public struct GradientCheckCase: Sendable {
    /// Where the random inputs are drawn.
    public enum Domain: Sendable {
        /// |x| in [0.2, 1.5] with a random sign: away from 0, where ReLU, |x| and hinges have kinks.
        case signed
        /// x in [0.2, 1.5] (log, square root, division, fractional powers).
        case positive
    }

    public var name: String
    /// Shapes of the inputs, in order.
    public var inputs: [[Int]]
    public var domain: Domain
    public var function: @Sendable (Tape<Double>, [Variable<Double>]) throws -> Variable<Double>

    public init(_ name: String, inputs: [[Int]], domain: Domain = .signed,
                _ function: @escaping @Sendable (Tape<Double>, [Variable<Double>]) throws -> Variable<Double>) {
        self.name = name
        self.inputs = inputs
        self.domain = domain
        self.function = function
    }

    /// Draws inputs and output weights from `seed` and runs `GradientCheck.check`.
    public func check(seed: UInt64, h: Double = 1e-4, floor: Double = 1e-3) throws -> GradientCheck.Result {
        var rng = SeededRNG(seed: seed)
        let values = inputs.map { shape in
            Tensor<Double>(shape: shape) { _ in
                let m = rng.uniform(0.2, 1.5)
                return domain == .positive || rng.nextDouble() < 0.5 ? m : -m
            }
        }
        // One evaluation without gradients gives the output's shape for the weights.
        let probe = Tape<Double>()
        let shape = try function(probe, values.map { probe.variable($0, requiresGrad: false) }).value.shape
        let weights = Tensor<Double>(shape: shape) { _ in rng.uniform(0.5, 1.5) }
        let f = function
        return try GradientCheck.check(values, h: h, floor: floor) { tape, v in
            try (f(tape, v) * tape.constant(weights)).sum()
        }
    }
}

/// Every op of the `Tensor` module, for the gradient tests and `circuits gradcheck`. `Layers` adds its
/// layers and losses (`GradientCatalogue.all` there).
public enum GradientCatalogue {
    public static var tensorOps: [GradientCheckCase] {
        unary + arithmetic + products + reductions + losses + convolution + recurrent
    }

    /// Every `UnaryFunction` of `UnaryFunction.catalogue`, on a 3×4 input.
    static var unary: [GradientCheckCase] {
        UnaryFunction.catalogue.map { f in
            GradientCheckCase(f.description, inputs: [[3, 4]], domain: f.needsPositiveInput ? .positive : .signed) { _, v in
                v[0].apply(f)
            }
        }
    }

    static var arithmetic: [GradientCheckCase] {
        [
            GradientCheckCase("add", inputs: [[3, 4], [3, 4]]) { _, v in try v[0] + v[1] },
            GradientCheckCase("add (row broadcast)", inputs: [[3, 4], [4]]) { _, v in try v[0] + v[1] },
            GradientCheckCase("add (column broadcast)", inputs: [[3, 4], [3, 1]]) { _, v in try v[0] + v[1] },
            GradientCheckCase("subtract", inputs: [[3, 4], [3, 4]]) { _, v in try v[0] - v[1] },
            GradientCheckCase("subtract (scalar broadcast)", inputs: [[3, 4], [1]]) { _, v in try v[1] - v[0] },
            GradientCheckCase("multiply", inputs: [[3, 4], [3, 4]]) { _, v in try v[0] * v[1] },
            GradientCheckCase("multiply (column broadcast)", inputs: [[3, 4], [3, 1]]) { _, v in try v[0] * v[1] },
            GradientCheckCase("divide", inputs: [[3, 4], [3, 4]], domain: .positive) { _, v in try v[0] / v[1] },
            GradientCheckCase("divide (row broadcast)", inputs: [[3, 4], [4]], domain: .positive) { _, v in try v[0] / v[1] },
            GradientCheckCase("scale, shift, negate", inputs: [[3, 4]]) { _, v in -(v[0] * 1.7 + 0.3) },
            GradientCheckCase("branching wire", inputs: [[2, 3]]) { _, v in try v[0] * v[0] + v[0].tanh() * v[0] },
        ]
    }

    static var products: [GradientCheckCase] {
        [
            GradientCheckCase("matmul", inputs: [[3, 4], [4, 5]]) { _, v in try v[0].matmul(v[1]) },
            GradientCheckCase("matmul (Aᵀ·B)", inputs: [[4, 3], [4, 5]]) { _, v in try v[0].matmul(v[1], transposeLeft: true) },
            GradientCheckCase("matmul (A·Bᵀ)", inputs: [[3, 4], [5, 4]]) { _, v in try v[0].matmul(v[1], transposeRight: true) },
            GradientCheckCase("matmul (Aᵀ·Bᵀ)", inputs: [[4, 3], [5, 4]]) { _, v in
                try v[0].matmul(v[1], transposeLeft: true, transposeRight: true)
            },
            GradientCheckCase("matmul 1×1", inputs: [[1, 1], [1, 1]]) { _, v in try v[0].matmul(v[1]) },
            GradientCheckCase("affine", inputs: [[3, 4], [4, 5], [5]]) { _, v in try v[0].affine(v[1], v[2]) },
            GradientCheckCase("affine (batch of 1)", inputs: [[1, 4], [4, 2], [2]]) { _, v in try v[0].affine(v[1], v[2]) },
        ]
    }

    static var reductions: [GradientCheckCase] {
        [
            GradientCheckCase("sum", inputs: [[3, 4]]) { _, v in v[0].sum() },
            GradientCheckCase("mean", inputs: [[3, 4]]) { _, v in v[0].mean() },
            GradientCheckCase("sum (axis 0)", inputs: [[3, 4]]) { _, v in try v[0].sum(axis: 0) },
            GradientCheckCase("sum (axis 1)", inputs: [[3, 4]]) { _, v in try v[0].sum(axis: 1) },
            GradientCheckCase("logsumexp (axis 1)", inputs: [[3, 4]]) { _, v in try v[0].logSumExp(axis: 1) },
            GradientCheckCase("logsumexp (axis 0)", inputs: [[3, 4]]) { _, v in try v[0].logSumExp(axis: 0) },
            GradientCheckCase("gather rows", inputs: [[5, 3]]) { _, v in try v[0].gatherRows([4, 0, 4, 2]) },
            GradientCheckCase("reshape", inputs: [[2, 3, 4]]) { _, v in try v[0].reshaped([2, 12]) },
        ]
    }

    static var losses: [GradientCheckCase] {
        let labels = [0, 2, 1, 2], weights = [0.5, 2, 1, 1.5]
        let signs = try! Tensor<Double>([1, -1, 1, -1], shape: [4, 1])
        let targets = try! Tensor<Double>([0.3, -1.2, 2.0, 0.1], shape: [4, 1])
        return [
            GradientCheckCase("softmax cross-entropy", inputs: [[4, 3]]) { _, v in try v[0].softmaxCrossEntropy(labels: labels) },
            GradientCheckCase("softmax cross-entropy (weighted)", inputs: [[4, 3]]) { _, v in
                try v[0].softmaxCrossEntropy(labels: labels, weights: weights)
            },
            GradientCheckCase("multiclass hinge", inputs: [[4, 3]]) { _, v in try v[0].multiclassHinge(labels: labels) },
            GradientCheckCase("binary hinge", inputs: [[4, 1]]) { _, v in try v[0].hinge(targets: signs) },
            GradientCheckCase("squared hinge", inputs: [[4, 1]]) { _, v in try v[0].squaredHinge(targets: signs, weights: weights) },
            GradientCheckCase("logistic", inputs: [[4, 1]]) { _, v in try v[0].logistic(targets: signs) },
            GradientCheckCase("mean squared error", inputs: [[4, 1]]) { _, v in try v[0].meanSquaredError(targets: targets, weights: weights) },
            GradientCheckCase("huber", inputs: [[4, 1]]) { _, v in try v[0].huber(targets: targets, delta: 1) },
        ]
    }
}

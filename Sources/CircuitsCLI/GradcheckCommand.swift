import Foundation
import Layers
import Tensor

/// `circuits gradcheck`: compares every op's and layer's analytic gradient (the hand-written backward
/// kernels, run on the tape) with `GradientCheck`'s central differences, in Double, and prints the worst relative errors.
enum GradcheckCommand: Command {
    static let name = "gradcheck"
    static let summary = "check every op's and layer's gradient against central differences"
    static let options: [OptionSpec] = [
        OptionSpec("tolerance", value: "X", help: "largest relative error that passes", default: "1e-5"),
        OptionSpec("seed", value: "N", help: "seed of the random test points", default: "7"),
        OptionSpec("all", help: "print every check, not just the ten worst"),
    ]

    typealias V = Variable<Double>
    typealias Check = (name: String, inputs: [[Int]], positive: Bool, f: (Tape<Double>, [V]) throws -> V)

    /// Every op and layer, each as a scalar-valued function of random inputs of the given shapes.
    /// Inputs stay away from the kinks (ReLU at 0, |x| at 0) where central differences are meaningless.
    static var checks: [Check] {
        let labels = [0, 2, 1, 2], signs = try! Tensor<Double>([1, -1, 1, -1], shape: [4, 1])
        let targets = try! Tensor<Double>([0.3, -1.2, 2.0, 0.1], shape: [4, 1])
        return [
            ("add", [[3, 4], [3, 4]], false, { _, v in try v[0] + v[1] }),
            ("add (row broadcast)", [[3, 4], [1, 4]], false, { _, v in try v[0] + v[1] }),
            ("subtract", [[3, 4], [3, 4]], false, { _, v in try v[0] - v[1] }),
            ("multiply", [[3, 4], [3, 4]], false, { _, v in try v[0] * v[1] }),
            ("divide", [[3, 4], [3, 4]], true, { _, v in try v[0] / v[1] }),
            ("scale and shift", [[3, 4]], false, { _, v in v[0] * 1.7 + 0.3 }),
            ("matmul", [[3, 4], [4, 5]], false, { _, v in try v[0].matmul(v[1]) }),
            ("matmul (Aᵀ·B)", [[4, 3], [4, 5]], false, { _, v in try v[0].matmul(v[1], transposeLeft: true) }),
            ("matmul (A·Bᵀ)", [[3, 4], [5, 4]], false, { _, v in try v[0].matmul(v[1], transposeRight: true) }),
            ("affine", [[3, 4], [4, 5], [5]], false, { _, v in try v[0].affine(v[1], v[2]) }),
            ("relu", [[3, 4]], false, { _, v in v[0].relu() }),
            ("leaky relu", [[3, 4]], false, { _, v in v[0].leakyRelu(slope: 0.1) }),
            ("sigmoid", [[3, 4]], false, { _, v in v[0].sigmoid() }),
            ("tanh", [[3, 4]], false, { _, v in v[0].tanh() }),
            ("exp", [[3, 4]], false, { _, v in v[0].exp() }),
            ("log", [[3, 4]], true, { _, v in v[0].log() }),
            ("abs", [[3, 4]], false, { _, v in v[0].abs() }),
            ("sqrt", [[3, 4]], true, { _, v in v[0].sqrt() }),
            ("pow", [[3, 4]], true, { _, v in v[0].pow(2.5) }),
            ("maximum", [[3, 4]], false, { _, v in v[0].maximum(0.05) }),
            ("sum", [[3, 4]], false, { _, v in v[0].sum() }),
            ("mean", [[3, 4]], false, { _, v in v[0].mean() }),
            ("sum (axis 0)", [[3, 4]], false, { _, v in try (v[0].sum(axis: 0) * v[0].sum(axis: 0)) }),
            ("sum (axis 1)", [[3, 4]], false, { _, v in try (v[0].sum(axis: 1) * v[0].sum(axis: 1)) }),
            ("logsumexp", [[3, 4]], false, { _, v in try v[0].logSumExp(axis: 1) }),
            ("gather rows", [[5, 3]], false, { _, v in try v[0].gatherRows([4, 0, 4, 2]) * 1.5 }),
            ("softmax cross-entropy", [[4, 3]], false, { _, v in try v[0].softmaxCrossEntropy(labels: labels) }),
            ("multiclass hinge", [[4, 3]], false, { _, v in try v[0].multiclassHinge(labels: labels) }),
            ("binary hinge", [[4, 1]], false, { _, v in try v[0].hinge(targets: signs) }),
            ("squared hinge", [[4, 1]], false, { _, v in try v[0].squaredHinge(targets: signs) }),
            ("logistic", [[4, 1]], false, { _, v in try v[0].logistic(targets: signs) }),
            ("mean squared error", [[4, 1]], false, { _, v in try v[0].meanSquaredError(targets: targets) }),
            ("huber", [[4, 1]], false, { _, v in try v[0].huber(targets: targets, delta: 1) }),
            ("layer Dense", [[3, 4]], false, { _, v in try layer(Dense<Double>(weight: fixed([4, 5]), bias: fixed([5]))).forward(v[0]) }),
            ("layer ReLU", [[3, 4]], false, { _, v in try ReLU<Double>().forward(v[0]) }),
            ("layer LeakyReLU", [[3, 4]], false, { _, v in try LeakyReLU<Double>(slope: 0.2).forward(v[0]) }),
            ("layer Sigmoid", [[3, 4]], false, { _, v in try Sigmoid<Double>().forward(v[0]) }),
            ("layer Tanh", [[3, 4]], false, { _, v in try Tanh<Double>().forward(v[0]) }),
            // A fresh layer with a fixed seed per evaluation: every evaluation draws the same mask.
            ("layer Dropout", [[3, 4]], false, { _, v in try Dropout<Double>(probability: 0.3, seed: 11).forward(v[0]) }),
            ("model mlp:6,5 + softmax", [[4, 3]], false, { _, v in
                var rng = SeededRNG(seed: 3)
                let model = try Sequential<Double>.mlp(inputs: 3, hidden: [6, 5], outputs: 3, rng: &rng)
                model.isTraining = true
                return try model.forward(v[0]).softmaxCrossEntropy(labels: labels)
            }),
        ]
    }

    static func layer(_ l: Dense<Double>) -> Dense<Double> { l }

    /// Deterministic weights for the layer checks (the check is on the input's gradient; `affine`
    /// checks the weight and bias gradients).
    static func fixed(_ shape: [Int]) -> Tensor<Double> {
        var rng = SeededRNG(seed: 99)
        return Tensor.randomNormal(shape, std: 0.7, using: &rng)
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let tolerance = try arguments.double("tolerance", in: 0...1) ?? 1e-5
        var seed: UInt64 = 7
        if let s = arguments.string("seed") {
            guard let v = UInt64(s) else { throw CLIError.usage("--seed expects a non-negative integer, got \"\(s)\"", command: name) }
            seed = v
        }
        var rng = SeededRNG(seed: seed)
        var results: [(String, GradientCheck.Result)] = []
        for check in checks {
            let inputs = check.inputs.map { shape -> Tensor<Double> in
                // |x| in [0.2, 1.5] with a random sign: away from 0, where ReLU and |x| have kinks.
                Tensor(shape: shape) { _ in
                    let m = rng.uniform(0.2, 1.5)
                    return check.positive || rng.nextDouble() < 0.5 ? m : -m
                }
            }
            results.append((check.name, try GradientCheck.check(inputs, check.f)))
        }
        let ranked = results.sorted { $0.1.worstRelativeError > $1.1.worstRelativeError }
        let failed = ranked.filter { !($0.1.worstRelativeError <= tolerance) }
        let console = context.console
        console.print("gradient check: \(results.count) ops and layers in Double, fourth-order central differences (GradientCheck defaults: h = 1e-4, floor 1e-3)")
        console.print("worst relative errors:")
        let width = results.map(\.0.count).max()!
        for (name, r) in arguments.has("all") ? ranked : Array(ranked.prefix(10)) {
            let mark = r.worstRelativeError <= tolerance ? "ok  " : "FAIL"
            console.print("  \(mark) \(name)" + String(repeating: " ", count: width - name.count)
                          + String(format: "  %.2e  (input %d[%d]: analytic %.6g, numerical %.6g)", r.worstRelativeError, r.worstInput, r.worstIndex, r.analytic, r.numerical))
        }
        if failed.isEmpty {
            console.print("all \(results.count) checks pass (tolerance \(tolerance))")
            return .success
        }
        console.print("\(failed.count) of \(results.count) checks exceed tolerance \(tolerance): \(failed.map(\.0).joined(separator: ", "))")
        return .failure
    }
}

extension GradientCatalogue {
    /// Every op of `Tensor` and every layer kind, and a whole model: what `circuits gradcheck` and the
    /// gradient tests run.
    public static var all: [GradientCheckCase] { tensorOps + layers }

    /// The checks each registered layer kind declares (`LayerConfiguration.gradientChecks`), and a model.
    static var layers: [GradientCheckCase] {
        LayerRegistry.builtIn.flatMap { $0.gradientChecks } + [
            // tanh, not ReLU: random inputs can put a hidden unit within h of ReLU's kink, where central
            // differences are meaningless (LayerGradientTests checks ReLU models with inputs held away from it).
            GradientCheckCase("model mlp:6,5:tanh + softmax", inputs: [[4, 3]]) { _, v in
                var rng = SeededRNG(seed: 3)
                let model = try Sequential<Double>.mlp(inputs: 3, hidden: [6, 5], outputs: 3, activation: .tanh, rng: &rng)
                model.isTraining = true
                return try model.forward(v[0]).softmaxCrossEntropy(labels: [0, 2, 1, 2])
            },
        ]
    }

    /// Deterministic weights for the layer checks (the check is on the layer's input; the ops' own
    /// entries check weight gradients).
    static func fixedWeights(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
        var rng = SeededRNG(seed: seed)
        return Tensor.randomNormal(shape, std: 0.7, using: &rng)
    }
}

extension GradientCatalogue {
    /// Every op of `Tensor` and every layer kind, and a whole model: what `circuits gradcheck` and the
    /// gradient tests run.
    public static var all: [GradientCheckCase] { tensorOps + layers }

    /// Each layer kind checked through its forward (the gradient with respect to the layer's input), with
    /// fixed weights; the ops' own entries check the weight gradients.
    static var layers: [GradientCheckCase] {
        var cases = [
            GradientCheckCase("layer Dense", inputs: [[3, 4]]) { _, v in
                try Dense<Double>(weight: fixedWeights([4, 5], seed: 99), bias: fixedWeights([5], seed: 98)).forward(v[0])
            },
            GradientCheckCase("layer Flatten", inputs: [[2, 3, 2, 2]]) { _, v in try Flatten<Double>().forward(v[0]) },
            // A fresh layer with a fixed seed per evaluation: every evaluation draws the same mask.
            GradientCheckCase("layer Dropout", inputs: [[3, 4]]) { _, v in try Dropout<Double>(probability: 0.3, seed: 11).forward(v[0]) },
            GradientCheckCase("layer Dropout (feature maps)", inputs: [[2, 3, 2, 2]]) { _, v in
                try Dropout<Double>(probability: 0.3, seed: 12).forward(v[0])
            },
            // tanh, not ReLU: random inputs can put a hidden unit within h of ReLU's kink, where central
            // differences are meaningless (LayerGradientTests checks ReLU models with inputs held away from it).
            GradientCheckCase("model mlp:6,5:tanh + softmax", inputs: [[4, 3]]) { _, v in
                var rng = SeededRNG(seed: 3)
                let model = try Sequential<Double>.mlp(inputs: 3, hidden: [6, 5], outputs: 3, activation: .tanh, rng: &rng)
                model.isTraining = true
                return try model.forward(v[0]).softmaxCrossEntropy(labels: [0, 2, 1, 2])
            },
        ]
        for (name, f) in UnaryFunction.activations {
            cases.append(GradientCheckCase("layer Activation \(name)", inputs: [[3, 4]]) { _, v in try Activation<Double>(f).forward(v[0]) })
        }
        return cases
    }

    /// Deterministic weights for the layer checks.
    static func fixedWeights(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
        var rng = SeededRNG(seed: seed)
        return Tensor.randomNormal(shape, std: 0.7, using: &rng)
    }
}

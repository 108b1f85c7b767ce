// Catalogue entries of the convolutional ops: convolution, pooling, batch normalization and dropout on
// conv maps, on deliberately odd geometries (non-square images and kernels, stride 2 with padding 1,
// dilation, 1×1 kernels, asymmetric padding, a batch of 1) so an index slip in im2col, col2im or a
// pooling window shows up as a wrong gradient.

extension GradientCatalogue {
    static var convolution: [GradientCheckCase] {
        [
            GradientCheckCase("conv2D 3×2 kernel on 5×7, 2→3 channels", inputs: [[2, 2, 5, 7], [3, 2, 3, 2], [3]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2])
            },
            GradientCheckCase("conv2D 3×3 stride 2 padding 1 on 6×5", inputs: [[2, 2, 6, 5], [3, 2, 3, 3], [3]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2], stride: 2, padding: 1)
            },
            GradientCheckCase("conv2D 3×2 dilation 2 padding (2, 1) on 7×6", inputs: [[1, 2, 7, 6], [2, 2, 3, 2], [2]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2], padding: Padding2D(height: 2, width: 1), dilation: 2)
            },
            GradientCheckCase("conv2D 1×1 (pointwise: no im2col)", inputs: [[2, 3, 4, 5], [4, 3, 1, 1], [4]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2])
            },
            GradientCheckCase("conv2D 1×1 stride 2 padding 1", inputs: [[1, 2, 4, 5], [3, 2, 1, 1], [3]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2], stride: 2, padding: 1)
            },
            GradientCheckCase("conv2D batch of 1, no bias, 3×3 padding 1", inputs: [[1, 3, 5, 4], [2, 3, 3, 3]]) { _, v in
                try v[0].conv2D(weight: v[1], padding: 1)
            },
            GradientCheckCase("conv2D asymmetric padding, stride (2, 1)", inputs: [[2, 1, 5, 6], [2, 1, 2, 3], [2]]) { _, v in
                try v[0].conv2D(weight: v[1], bias: v[2], stride: Size2D(height: 2, width: 1),
                                padding: Padding2D(top: 1, bottom: 0, left: 2, right: 1))
            },
            GradientCheckCase("conv2D first layer (input needs no gradient)", inputs: [[4, 1, 3, 3], [4]]) { tape, v in
                var rng = SeededRNG(seed: 11)
                let images = tape.constant(Tensor<Double>.randomUniform([2, 1, 6, 5], low: -1, high: 1, using: &rng))
                return try images.conv2D(weight: v[0], bias: v[1], padding: 1)
            },
            GradientCheckCase("conv2D used twice (gradients add)", inputs: [[2, 2, 4, 5], [2, 2, 2, 2], [2]]) { _, v in
                let a = try v[0].conv2D(weight: v[1], bias: v[2], padding: 1)
                return try a * v[0].conv2D(weight: v[1], bias: v[2], padding: 1).tanh()
            },
            GradientCheckCase("maxPool2D 3×3 stride 2 padding 1 (overlapping windows)", inputs: [[2, 2, 7, 6]]) { tape, v in
                try withoutTies(tape, v[0]) { try $0.maxPool2D(kernel: 3, stride: 2, padding: 1) }
            },
            GradientCheckCase("maxPool2D 2×2 on 4×6", inputs: [[2, 3, 4, 6]]) { tape, v in
                try withoutTies(tape, v[0]) { try $0.maxPool2D(kernel: 2) }
            },
            GradientCheckCase("maxPool2D 2×3 stride (1, 2) dilation (2, 1) on 7×7", inputs: [[1, 2, 7, 7]]) { tape, v in
                try withoutTies(tape, v[0]) {
                    try $0.maxPool2D(kernel: Size2D(height: 2, width: 3), stride: Size2D(height: 1, width: 2), dilation: Size2D(height: 2, width: 1))
                }
            },
            GradientCheckCase("avgPool2D 3×3 stride 2 padding 1 (count_include_pad)", inputs: [[2, 2, 7, 6]]) { _, v in
                try v[0].avgPool2D(kernel: 3, stride: 2, padding: 1)
            },
            GradientCheckCase("avgPool2D 2×3 on 4×6", inputs: [[2, 2, 4, 6]]) { _, v in
                try v[0].avgPool2D(kernel: Size2D(height: 2, width: 3))
            },
            GradientCheckCase("globalAveragePool", inputs: [[2, 3, 4, 5]]) { _, v in try v[0].globalAveragePool() },
            GradientCheckCase("batchNorm training [N, C, H, W]", inputs: [[3, 2, 3, 4], [2], [2]]) { _, v in
                var statistics = BatchNormStatistics<Double>(channels: 2)
                return try v[0].batchNorm(scale: v[1], shift: v[2], statistics: &statistics, training: true)
            },
            GradientCheckCase("batchNorm training [N, F]", inputs: [[5, 4], [4], [4]]) { _, v in
                var statistics = BatchNormStatistics<Double>(channels: 4)
                return try v[0].batchNorm(scale: v[1], shift: v[2], statistics: &statistics, training: true)
            },
            GradientCheckCase("batchNorm training, batch of 1", inputs: [[1, 2, 3, 3], [2], [2]]) { _, v in
                var statistics = BatchNormStatistics<Double>(channels: 2)
                return try v[0].batchNorm(scale: v[1], shift: v[2], statistics: &statistics, training: true)
            },
            GradientCheckCase("batchNorm evaluation [N, C, H, W]", inputs: [[2, 3, 2, 3], [3], [3]]) { _, v in
                var statistics = try BatchNormStatistics<Double>(runningMean: Tensor([0.3, -0.2, 0.5]),
                                                                 runningVariance: Tensor([0.8, 1.7, 0.4]))
                return try v[0].batchNorm(scale: v[1], shift: v[2], statistics: &statistics, training: false)
            },
            GradientCheckCase("dropout mask on a 4-D conv map", inputs: [[2, 3, 4, 5]]) { tape, v in
                // Inverted dropout is x ⊙ mask with mask ∈ {0, 1/(1 − p)}: the elementwise product, any shape.
                var rng = SeededRNG(seed: 5)
                let mask = Tensor<Double>(shape: [2, 3, 4, 5]) { _ in rng.nextDouble() < 0.7 ? 1 / 0.7 : 0 }
                return try v[0] * tape.constant(mask)
            },
            GradientCheckCase("conv → batchNorm → tanh → maxPool → globalAveragePool", inputs: [[2, 1, 6, 6], [3, 1, 3, 3], [3], [3], [3]]) { tape, v in
                var statistics = BatchNormStatistics<Double>(channels: 3)
                let c = try v[0].conv2D(weight: v[1], bias: v[2], padding: 1)
                let b = try c.batchNorm(scale: v[3], shift: v[4], statistics: &statistics, training: true).tanh()
                return try withoutTies(tape, b) { try $0.maxPool2D(kernel: 2) }.globalAveragePool()
            },
        ]
    }

    /// pool(x + c) − pool(c) for constants c = 4·(a random permutation of 0..<H·W) in every plane: added to inputs in
    /// [−1.5, 1.5], c keeps every two values at least 1 apart, so the argmax of every window is the one
    /// of c and no perturbation of x within 2h can swap a maximum (random inputs alone have near ties).
    /// Subtracting pool(c), the same picks of c, leaves x at the argmax: values of order 1, so the
    /// offsets cost the central differences no precision.
    static func withoutTies(_ tape: Tape<Double>, _ x: Variable<Double>,
                            _ pool: (Variable<Double>) throws -> Variable<Double>) throws -> Variable<Double> {
        var rng = SeededRNG(seed: 17)
        // Per plane (windows never cross planes), so the offsets stay small: fewer bits of x are lost.
        let plane = x.value.shape.dropFirst(2).reduce(1, *)
        let order = rng.permutation(plane)
        let c = tape.constant(Tensor(shape: x.value.shape) { 4 * Double(order[$0 % plane]) })
        return try pool(x + c) - tape.constant(pool(c).value)
    }
}

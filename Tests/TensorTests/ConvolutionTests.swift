import Testing
@testable import Tensor

/// Worked examples, errors and the allocation rule of the convolutional ops (their gradients are in the
/// catalogue, their agreement with PyTorch in LayersTests/ConvolutionReferenceTests).
@Suite("Convolution, pooling, batch norm: examples, errors, allocations", .serialized)
struct ConvolutionTests {
    /// A 1×1×3×4 image 1…12.
    let image = try! Tensor<Double>((1...12).map(Double.init), shape: [1, 1, 3, 4])

    @Test("conv2D: a 2×2 kernel by hand, with zero padding and stride")
    func convolutionByHand() throws {
        let w = try Tensor<Double>([1, 0, 0, -1], shape: [1, 1, 2, 2])   // x[i][j] − x[i+1][j+1]
        let y = try Tensor.conv2D(image, weight: w, bias: Tensor([0.5]))
        #expect(y.shape == [1, 1, 2, 3])
        #expect(y.scalars == [Double](repeating: -4.5, count: 6))
        // Padding 1, stride 2: windows start at (−1, −1), (−1, 1), (1, −1), (1, 1); the output is 2×3.
        let p = try Tensor.conv2D(image, weight: w, stride: 2, padding: 1)
        #expect(p.shape == [1, 1, 2, 3])
        // y[i][j] = x[2i−1][2j−1] − x[2i][2j], zero outside: row 0 sees only −x[0][2j] (x[0][4] is padding),
        // row 1 is x[1][2j−1] − x[2][2j].
        let expected: [Double] = [-1, -3, 0, -9, -5, 8]
        #expect(p.scalars == expected)
    }

    @Test("conv2D: two channels sum, output channels are separate kernels")
    func channels() throws {
        let x = try Tensor<Double>([1, 2, 3, 4, 10, 20, 30, 40], shape: [1, 2, 2, 2])
        let w = try Tensor<Double>([1, 1, 0, 0, 0, 0, 0, 0,     // out 0: top row of channel 0
                                    0, 0, 0, 0, 0, 0, 0, 1], shape: [2, 2, 2, 2])   // out 1: bottom right of channel 1
        let y = try Tensor.conv2D(x, weight: w)
        #expect(y.shape == [1, 2, 1, 1] && y.scalars == [3, 40])
    }

    @Test("maxPool2D, avgPool2D (count_include_pad) and global average by hand")
    func poolingByHand() throws {
        #expect(try Tensor.maxPool2D(image, kernel: 2).scalars == [6, 8])
        // 3×3 windows, stride 2, padding 1 on 3×4: windows centred on (0,0), (0,2), (2,0), (2,2).
        #expect(try Tensor.maxPool2D(image, kernel: 3, stride: 2, padding: 1).scalars == [6, 8, 10, 12])
        // Average over the 3×3 window including the padding's zeros: (1+2+5+6)/9 at (0,0).
        let a = try Tensor.avgPool2D(image, kernel: 3, stride: 2, padding: 1)
        #expect(Swift.abs(a[flat: 0] - 14.0 / 9) < 1e-15)
        let lastWindow: Double = 6 + 7 + 8 + 10 + 11 + 12
        #expect(Swift.abs(a[flat: 3] - lastWindow / 9) < 1e-15)
        #expect(try image.globalAveragePool().scalars == [6.5])
    }

    @Test("maxPool2D propagates NaN and keeps the first of equal values")
    func maxPoolNaNAndTies() throws {
        let x = try Tensor<Float>([1, .nan, 3, 4, 7, 7, 7, 7], shape: [1, 1, 2, 4])
        let y = try Tensor.maxPool2D(x, kernel: 2)
        #expect(y[flat: 0].isNaN && y[flat: 1] == 7)
        let tape = Tape<Float>()
        let v = tape.variable(try Tensor<Float>([5, 5, 5, 5], shape: [1, 1, 2, 2]))
        try tape.backward(try v.maxPool2D(kernel: 2))
        #expect(v.grad?.scalars == [1, 0, 0, 0])
    }

    @Test("batchNorm: zero mean and unit variance per channel, running statistics as PyTorch")
    func batchNormByHand() throws {
        // Channel 0 holds 1…4 (mean 2.5, biased variance 1.25), channel 1 holds 10 everywhere.
        let x = try Tensor<Double>([1, 2, 10, 10, 3, 4, 10, 10], shape: [2, 2, 1, 2])
        var statistics = BatchNormStatistics<Double>(channels: 2)
        let tape = Tape<Double>()
        let y = try tape.variable(x).batchNorm(scale: Variable(Tensor([1, 2])), shift: Variable(Tensor([0, 3])),
                                               statistics: &statistics, training: true)
        let s = 1 / (1.25 + 1e-5).squareRoot()
        let expected: [Double] = [-1.5 * s, -0.5 * s, 3, 3, 0.5 * s, 1.5 * s, 3, 3]
        for (a, b) in zip(y.value.scalars, expected) { #expect(Swift.abs(a - b) < 1e-12) }
        // Running mean 0.9·0 + 0.1·2.5; running variance 0.9·1 + 0.1·(unbiased 5/3).
        #expect(Swift.abs(statistics.runningMean[flat: 0] - 0.25) < 1e-15)
        #expect(Swift.abs(statistics.runningMean[flat: 1] - 1.0) < 1e-15)
        #expect(Swift.abs(statistics.runningVariance[flat: 0] - (0.9 + 0.1 * 5.0 / 3)) < 1e-15)
        #expect(Swift.abs(statistics.runningVariance[flat: 1] - 0.9) < 1e-15)
        // Evaluation leaves the statistics alone and uses them.
        let before = statistics.runningMean
        let e = try tape.constant(x).batchNorm(scale: Variable(Tensor([1, 1])), shift: Variable(Tensor([0, 0])),
                                               statistics: &statistics, training: false)
        #expect(statistics.runningMean == before)
        #expect(Swift.abs(e.value[flat: 0] - (1 - 0.25) / (statistics.runningVariance[flat: 0] + 1e-5).squareRoot()) < 1e-12)
    }

    @Test("Bad geometry is a clear error naming both shapes, never a trap")
    func errors() throws {
        let x = Tensor<Float>(zeros: [2, 3, 5, 4])
        let w = Tensor<Float>(zeros: [4, 3, 3, 3])
        // Kernel larger than the padded input.
        #expect(throws: TensorError.shapeMismatch(op: "conv2D: window 7×7 (kernel 7, dilation 1) larger than the padded input", lhs: [5, 4], rhs: [7, 7])) {
            try Tensor.conv2D(x, weight: Tensor(zeros: [4, 3, 7, 7]))
        }
        // Channels.
        #expect(throws: TensorError.shapeMismatch(op: "conv2D input channels (x [N, C, H, W] against weight [Cout, C, kh, kw])",
                                                  lhs: [2, 3, 5, 4], rhs: [4, 2, 3, 3])) {
            try Tensor.conv2D(x, weight: Tensor(zeros: [4, 2, 3, 3]))
        }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, bias: Tensor(zeros: [3])) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, stride: 0) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, stride: Size2D(height: 1, width: -2)) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, padding: -1) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, dilation: 0) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, dilation: 3) }          // extent 7 > 5
        #expect(throws: TensorError.self) { try Tensor.conv2D(Tensor<Float>(zeros: [3, 5, 4]), weight: w) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: Tensor(zeros: [4, 27])) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, stride: Size2D(Int.max)) }
        #expect(throws: TensorError.self) { try Tensor.conv2D(x, weight: w, padding: Padding2D(Int.max / 2)) }
        // Pooling.
        #expect(throws: TensorError.self) { try Tensor.maxPool2D(x, kernel: 2, padding: 2) }          // more than half the window
        #expect(throws: TensorError.self) { try Tensor.maxPool2D(x, kernel: 6) }
        #expect(throws: TensorError.self) { try Tensor.avgPool2D(x, kernel: 2, stride: 0) }
        #expect(throws: TensorError.self) { try Tensor<Float>(zeros: [2, 3]).globalAveragePool() }
        #expect(throws: TensorError.self) { try Tensor<Float>(zeros: [2, 3, 0, 4]).globalAveragePool() }
        // Batch norm.
        var statistics = BatchNormStatistics<Float>(channels: 3)
        let gamma = Variable(Tensor<Float>.ones([3])), beta = Variable(Tensor<Float>(zeros: [3]))
        #expect(throws: TensorError.self) {
            try Variable(Tensor<Float>(zeros: [1, 3])).batchNorm(scale: gamma, shift: beta, statistics: &statistics, training: true)
        }
        #expect(throws: TensorError.self) {
            try Variable(Tensor<Float>(zeros: [4, 2])).batchNorm(scale: gamma, shift: beta, statistics: &statistics, training: true)
        }
        #expect(throws: TensorError.self) { try BatchNormStatistics(runningMean: Tensor<Float>(zeros: [3]), runningVariance: Tensor(zeros: [2])) }
        #expect(throws: TensorError.self) { try BatchNormStatistics(runningMean: Tensor<Float>(zeros: [1]), runningVariance: Tensor([-1])) }
    }

    @Test("Empty batches give empty outputs and zero gradients")
    func emptyBatch() throws {
        let tape = Tape<Float>()
        let x = tape.variable(Tensor<Float>(zeros: [0, 2, 5, 5]))
        let w = Variable(Tensor<Float>.ones([3, 2, 3, 3])), b = Variable(Tensor<Float>.ones([3]))
        let y = try x.conv2D(weight: w, bias: b, padding: 1)
        #expect(y.value.shape == [0, 3, 5, 5])
        try tape.backward(try y.maxPool2D(kernel: 2))
        #expect(w.grad == Tensor(zeros: [3, 2, 3, 3]) && b.grad == Tensor(zeros: [3]))
    }

    @Test("A warm training step of conv, pooling and batch norm allocates no tensor buffer")
    func warmStepsAllocateNothing() throws {
        var rng = SeededRNG(seed: 4)
        let x = Tensor<Float>.randomNormal([8, 1, 12, 10], using: &rng)
        let w1 = Variable(Tensor<Float>.randomNormal([4, 1, 3, 3], using: &rng)), b1 = Variable(Tensor<Float>(zeros: [4]))
        let w2 = Variable(Tensor<Float>.randomNormal([6, 4, 3, 2], using: &rng)), b2 = Variable(Tensor<Float>(zeros: [6]))
        let g1 = Variable(Tensor<Float>.ones([4])), s1 = Variable(Tensor<Float>(zeros: [4]))
        let g2 = Variable(Tensor<Float>.ones([6])), s2 = Variable(Tensor<Float>(zeros: [6]))
        var conv = BatchNormStatistics<Float>(channels: 4), dense = BatchNormStatistics<Float>(channels: 6)
        var mask = Tensor<Float>(zeros: [8, 4, 6, 5])
        mask.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = i % 3 == 0 ? 0 : 1.5 } }
        let seed = Tensor<Float>.ones([8, 6])
        let tape = Tape<Float>()
        func step() throws {
            tape.reset()
            for p in [w1, b1, w2, b2, g1, s1, g2, s2] { p.zeroGrad() }
            let h = try tape.constant(x).conv2D(weight: w1, bias: b1, padding: 1)
                .batchNorm(scale: g1, shift: s1, statistics: &conv, training: true).relu()
                .maxPool2D(kernel: 2)
            let d = try h * tape.constant(mask)                                // dropout on the conv map
            let k = try d.conv2D(weight: w2, bias: b2, stride: Size2D(height: 2, width: 1), padding: 1)
                .avgPool2D(kernel: 3, stride: 2, padding: 1).maxPool2D(kernel: 3, stride: 1, padding: 1)
            let f = try k.globalAveragePool().batchNorm(scale: g2, shift: s2, statistics: &dense, training: true)
            try tape.backward(f, seed: seed)
        }
        for _ in 0..<3 { try step() }
        // The counter is process-wide; with the suite serialized and the smallest of three windows taken,
        // other tests running at the same time cannot make an allocation appear.
        var fewest = Int.max
        for _ in 0..<3 where fewest > 0 {
            let before = Tensor<Float>.buffersAllocated
            for _ in 0..<5 { try step() }
            fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
        }
        #expect(fewest == 0, "\(fewest) buffers in 5 warm steps")
        #expect(w1.grad != nil && w2.grad != nil && g1.grad != nil && s2.grad != nil)
    }
}

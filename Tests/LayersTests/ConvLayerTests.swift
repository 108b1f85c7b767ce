import Foundation
import Testing
@testable import Layers

/// The convolutional layers as parts of models: shapes and parameter counts, build-time errors that
/// name the layer and the shapes, batch norm's running statistics in model files (PyTorch's names) and
/// checkpoints, the ReLU fused into max pooling, and seeded image augmentation.
@Suite("Layers: convolutional networks")
struct ConvLayerTests {
    /// The small CNN of issue #14 (and of the benchmark).
    static let smallCNN: [LayerSpec] = [.conv2D(32, kernel: 3), .relu, .maxPool2D(2), .conv2D(64, kernel: 3), .relu, .maxPool2D(2),
                                        .flatten, .dense(128), .relu, .dense(10)]

    @Test("the small CNN: shapes, 421,642 parameters (as torch counts them), PyTorch names, a summary with channels")
    func smallCNNShapes() throws {
        var rng = SeededRNG(seed: 1)
        let model = try Sequential<Float>(inputShape: [1, 28, 28], specs: Self.smallCNN, rng: &rng)
        #expect(model.shapes == [[32, 28, 28], [32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 14, 14], [64, 7, 7], [3136], [128], [128], [10]])
        #expect(model.parameters.map { $0.variable.value.count }.reduce(0, +) == 421_642)
        #expect(model.parameters.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"])
        #expect(model.parameters[2].variable.value.shape == [64, 32, 3, 3])
        // The configurations count the same parameters before anything is built (model-file checks).
        var shape = [1, 28, 28], counted = 0
        for spec in Self.smallCNN {
            counted += try #require(spec.configuration.parameterCount(for: shape))
            shape = try spec.configuration.outputShape(for: shape)
        }
        #expect(counted == 421_642)
        #expect(model.summary.hasPrefix("Conv2D(1→32, 3×3, same) → ReLU → MaxPool2D(2×2) → Conv2D(32→64, 3×3, same)"))
        #expect(Conv2DConfiguration(filters: 1 << 40, kernel: Size2D(height: 1 << 20, width: 1 << 20)).parameterCount(for: [1 << 20, 2, 2]) == nil)
    }

    @Test("geometry: same padding keeps ⌈size / stride⌉, valid shrinks, rectangular kernels and overlapping pools")
    func geometry() throws {
        func out(_ spec: LayerSpec, _ input: [Int]) throws -> [Int] { try spec.configuration.outputShape(for: input) }
        #expect(try out(.conv2D(8, kernel: Size2D(height: 5, width: 3), stride: 2), [1, 28, 28]) == [8, 14, 14])
        #expect(try out(.conv2D(8, kernel: Size2D(height: 5, width: 3), stride: 2), [1, 27, 9]) == [8, 14, 5])
        #expect(try out(.conv2D(4, kernel: 3, padding: .valid), [2, 7, 6]) == [4, 5, 4])
        #expect(try out(.conv2D(4, kernel: 3, padding: .valid, dilation: 2), [2, 7, 6]) == [4, 3, 2])
        #expect(try out(.conv2D(4, kernel: 2), [2, 5, 5]) == [4, 5, 5])            // even kernel: 0 top, 1 bottom
        #expect(ConvolutionPadding.same.resolved(kernel: 2, dilation: 1) == Padding2D(top: 0, bottom: 1, left: 0, right: 1))
        #expect(try out(.maxPool2D(3, stride: 2), [3, 7, 7]) == [3, 3, 3])
        #expect(try out(.maxPool2D(3, stride: 2, padding: 1), [3, 28, 28]) == [3, 14, 14])
        #expect(try out(.avgPool2D(2), [3, 5, 5]) == [3, 2, 2])
        #expect(try out(.globalAveragePool, [5, 3, 4]) == [5])
        #expect(try out(.batchNorm(), [5, 3, 4]) == [5, 3, 4] && out(.batchNorm(), [7]) == [7])
        // Padding and model files: "same", "valid" or the four sides.
        let specs: [LayerSpec] = [.conv2D(3, kernel: 3), .conv2D(3, kernel: 2, padding: .valid, bias: false),
                                  .conv2D(3, kernel: Size2D(height: 3, width: 1), stride: 2, padding: .explicit(Padding2D(top: 1, bottom: 0, left: 0, right: 2))),
                                  .maxPool2D(3, stride: 2, padding: 1), .avgPool2D(2), .globalAveragePool, .batchNorm(momentum: 0.2)]
        #expect(try JSONDecoder().decode([LayerSpec].self, from: try JSONEncoder().encode(specs)) == specs)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LayerSpec.self, from: Data(#"{"kind":"conv2d","config":{"filters":2,"kernel":{"height":3,"width":3},"stride":{"height":1,"width":1},"padding":"full","dilation":{"height":1,"width":1},"bias":true}}"#.utf8))
        }
    }

    @Test("bad geometry fails the build, naming the layer, its position and the shapes")
    func buildErrors() throws {
        var rng = SeededRNG(seed: 1)
        // A kernel larger than the padded input.
        do {
            _ = try Sequential<Float>(inputShape: [1, 4, 4], specs: [.conv2D(2, kernel: 3), .relu, .conv2D(2, kernel: 5, padding: .valid)], rng: &rng)
            Issue.record("a 5×5 valid kernel on a 4×4 map was accepted")
        } catch let error as LayerError {
            guard case let .incompatibleInput(layer, position, input, expected) = error else { Issue.record("\(error)"); return }
            #expect(layer == "Conv2D(2, 5×5, valid)" && position == 2 && input == [2, 4, 4])
            #expect(expected.contains("5×5") && expected.contains("4×4"), "\(expected)")
            #expect(error.description.contains("layer 2") && error.description.contains("[2, 4, 4]"))
        }
        #expect(throws: LayerError.self) { try Sequential<Float>(inputShape: [1, 2, 9], specs: [.maxPool2D(3)], rng: &rng) }
        // Stride 0, filters 0, kernel 0: invalid configurations named as such.
        for spec in [LayerSpec.conv2D(2, kernel: 3, stride: Size2D(height: 0, width: 1)), .conv2D(0, kernel: 3),
                     .conv2D(2, kernel: Size2D(height: 0, width: 3)), .maxPool2D(2, stride: 0), .avgPool2D(0)] {
            do {
                _ = try Sequential<Float>(inputShape: [1, 8, 8], specs: [spec], rng: &rng)
                Issue.record("\(spec) was accepted")
            } catch let error as LayerError {
                guard case .invalidConfiguration = error else { Issue.record("\(spec): \(error)"); continue }
                #expect(error.description.contains(spec.description) || error.description.contains("Pool"), "\(error)")
            }
        }
        // Pooling padding beyond half the window (PyTorch's rule), a conv on vectors, a batch norm on nothing.
        #expect(throws: LayerError.self) { try Sequential<Float>(inputShape: [1, 8, 8], specs: [.maxPool2D(2, padding: 2)], rng: &rng) }
        do {
            _ = try Sequential<Float>(inputShape: [784], specs: [.conv2D(4, kernel: 3)], rng: &rng)
            Issue.record("a convolution on vectors was accepted")
        } catch let error as LayerError {
            #expect(error.description.contains("[784]") && error.description.contains("--image-shape"), "\(error)")
        }
    }

    @Test("batch norm: running statistics follow training batches, evaluation uses them, model files hold PyTorch's names")
    func batchNormState() throws {
        var rng = SeededRNG(seed: 3)
        let model = try Sequential<Float>(inputShape: [2, 5, 5], specs: [.conv2D(3, kernel: 3), .batchNorm(), .relu, .globalAveragePool, .dense(4), .batchNorm(), .dense(2)],
                                          rng: &rng)
        var c = TrainingConfiguration()
        c.optimizer = .adam; c.learningRate = 0.01; c.epochs = 2; c.batchSize = 8; c.seed = 3
        let x = Tensor<Float>.randomNormal([40, 50], std: 2, using: &rng)
        let data = try TrainingData(features: x, labels: (0..<40).map { x[$0, 0] > 0 ? 1 : 0 }, exampleShape: [2, 5, 5])
        let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c)
        try trainer.fit(data)
        let bn = try #require(model.layers[1] as? BatchNorm<Float>)
        #expect(bn.batchesTracked == 10)                      // 5 batches × 2 epochs
        #expect(bn.statistics.runningMean.scalars.contains { $0 != 0 } && bn.statistics.runningVariance.scalars.contains { $0 != 1 })
        // Evaluation normalizes with the running statistics: one example's scores do not depend on the batch.
        let alone = try model.predict(try x.rows(0..<1).reshaped([1, 2, 5, 5]))
        let inBatch = try model.predict(try x.rows(0..<7).reshaped([7, 2, 5, 5]))
        for j in 0..<2 { #expect(abs(alone[0, j] - inBatch[0, j]) < 1e-5) }
        // Saved: weight, bias, running_mean, running_var (F32) and num_batches_tracked (I64, shape []).
        let container = try ModelFile(model: model, loss: .softmaxCrossEntropy, classNames: ["a", "b"]).container()
        #expect(Set(container.names).isSuperset(of: ["1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                                                     "5.running_mean", "5.num_batches_tracked"]))
        #expect(container["1.num_batches_tracked"] == .int64(IntegerTensor(scalar: 10)))
        #expect(container["1.running_var"]?.shape == [3] && container["5.running_mean"]?.shape == [4])
        let loaded = try ModelFile<Float>.decode(try SafeTensorsFile.decode(try container.encode()))
        #expect(try loaded.model.predict(try x.reshaped([40, 2, 5, 5])) == model.predict(try x.reshaped([40, 2, 5, 5])))
        #expect((loaded.model.layers[1] as? BatchNorm<Float>)?.batchesTracked == 10)
        // A counter stored as a float, or negative, is refused naming the tensor.
        var wrong = container
        wrong.tensors = wrong.tensors.map { $0.name == "1.num_batches_tracked" ? ($0.name, .float(Tensor([10]))) : $0 }
        #expect(throws: SafeTensorsError.dtypeMismatch(file: wrong.fileName, tensor: "1.num_batches_tracked", expected: "I64", found: "F32")) {
            try ModelFile<Float>.decode(wrong)
        }
        wrong.tensors = wrong.tensors.map { $0.name == "1.num_batches_tracked" ? ($0.name, .int64(IntegerTensor(scalar: -1))) : $0 }
        #expect(throws: SafeTensorsError.self) { try ModelFile<Float>.decode(wrong) }
    }

    /// A conv net with batch norm, dropout on conv maps and augmentation, on 6×6 images.
    func imageTrainer(epochs: Int, seed: UInt64 = 5) throws -> (Trainer<Float>, TrainingData<Float>) {
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>(inputShape: [1, 6, 6], specs: [.conv2D(4, kernel: 3), .batchNorm(), .relu, .maxPool2D(2), .dropout(0.2),
                                                                         .conv2D(4, kernel: Size2D(height: 2, width: 3), padding: .valid), .relu,
                                                                         .flatten, .dense(3)], rng: &rng)
        var c = TrainingConfiguration()
        c.optimizer = .adam; c.learningRate = 0.01; c.epochs = epochs; c.batchSize = 10; c.seed = seed
        c.schedule = .cosine(minimumFactor: 0.05)
        c.augmentation = ImageAugmentation(shift: 1, flip: true)
        let x = Tensor<Float>.randomNormal([60, 36], using: &rng)
        let labels = (0..<60).map { i in x[i, 7] > 0.5 ? 0 : (x[i, 14] > 0 ? 1 : 2) }
        return (try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: c),
                try TrainingData(features: x, labels: labels, exampleShape: [1, 6, 6]))
    }

    @Test("a conv checkpoint (batch norm statistics, augmentation and dropout generators) resumes bit for bit")
    func checkpointResume() throws {
        let (straight, data) = try imageTrainer(epochs: 4)
        try straight.fit(data)
        let (first, _) = try imageTrainer(epochs: 4)
        _ = try first.fit(data) { event in
            if case let .epoch(r) = event, r.epoch == 2 { return .stop }
            return .proceed
        }
        let bytes = try Checkpoint(file: ModelFile(model: first.model, loss: first.loss, classNames: ["a", "b", "c"]),
                                   state: first.state, fingerprint: "conv").encode()
        let decoded = try Checkpoint<Float>.decode(bytes)
        #expect(decoded.state.augmentation == first.augmentationRNG)
        let (resumed, _) = try imageTrainer(epochs: 4, seed: 5)
        resumed.augmentationRNG = SeededRNG(seed: 999)   // must come back from the checkpoint
        try resumed.restore(decoded.state)
        try resumed.fit(data)
        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.variable.value.scalars.map(\.bitPattern) == b.variable.value.scalars.map(\.bitPattern), "\(a.name)")
        }
        let (s, r) = (straight.model.layers[1] as? BatchNorm<Float>, resumed.model.layers[1] as? BatchNorm<Float>)
        #expect(s?.statistics.runningMean == r?.statistics.runningMean && s?.batchesTracked == r?.batchesTracked)
        // Without augmentation's generator restored the run differs: the draws matter.
        let (other, _) = try imageTrainer(epochs: 4, seed: 5)
        try other.restore(decoded.state)
        other.augmentationRNG = SeededRNG(seed: 999)
        try other.fit(data)
        #expect(other.model.parameters[0].variable.value != straight.model.parameters[0].variable.value)
    }

    @Test("a ReLU before max pooling runs inside the pooling kernel with the same values and gradients")
    func fusedReLUPooling() throws {
        var rng = SeededRNG(seed: 8)
        let specs: [LayerSpec] = [.conv2D(3, kernel: 3), .relu, .maxPool2D(2), .relu, .maxPool2D(3, stride: 2, padding: 1), .flatten, .dense(2)]
        let model = try Sequential<Double>(inputShape: [2, 9, 8], specs: specs, rng: &rng)
        #expect(model.fusedWithPrevious == [false, false, true, false, true, false, false])
        let x = Tensor<Double>.randomNormal([3, 2, 9, 8], using: &rng)
        // Layer by layer, unfused, on a tape of its own.
        func run(fused: Bool) throws -> ([Double], [[Double]]) {
            for p in model.parameters { p.variable.zeroGrad() }
            let tape = Tape<Double>()
            let input = tape.variable(x)
            var h = input
            if fused {
                h = try model.forward(input)
            } else {
                for layer in model.layers { h = try layer.forward(h) }
            }
            try tape.backward(try h.softmaxCrossEntropy(labels: [0, 1, 1]))
            // Copies of the scalars: gradient buffers are reused by the next backward.
            return (h.value.scalars, [input.grad?.scalars ?? []] + model.parameters.map { $0.variable.grad?.scalars ?? [] })
        }
        let (yf, gf) = try run(fused: true), (yu, gu) = try run(fused: false)
        #expect(yf == yu)
        #expect(gf.count == 5 && gf.allSatisfy { !$0.isEmpty })
        for (a, b) in zip(gf, gu) { #expect(a == b) }
        // Prediction through a fused pair cut in the middle (activations up to the ReLU) stays unfused.
        let conv = try #require(model.layers[0] as? Conv2D<Double>)
        let expected = try Tensor.conv2D(x, weight: conv.weight.value, bias: conv.bias?.value, padding: 1).apply(.relu)
        #expect(try model.activations(x, throughLayer: 2) == expected)
    }

    @Test("augmentation: shifts fill zeros, flips mirror, the draws come from the seed and cover the whole global batch")
    func augmentation() throws {
        let image: [Float] = (0..<12).map { Float($0 + 1) }   // 1 channel, 3 × 4
        let augmenter = try ImageAugmenter<Float>(ImageAugmentation(shift: 1, flip: true), exampleShape: [1, 3, 4])
        var seen = Set<[Float]>()
        var rng = SeededRNG(seed: 11)
        for _ in 0..<200 {
            var batch = image
            batch.withUnsafeMutableBufferPointer { augmenter.apply($0.baseAddress!, count: 1, globalCount: 1, offset: 0, rng: &rng) }
            seen.insert(batch)
            // Every output pixel is 0 or the value of a pixel at most one row and column away (mirrored or not).
            for i in 0..<3 {
                for j in 0..<4 {
                    let v = batch[i * 4 + j]
                    guard v != 0 else { continue }
                    let (r, col) = (Int(v - 1) / 4, Int(v - 1) % 4)
                    #expect(abs(r - i) <= 1 && (abs(col - j) <= 1 || abs((3 - col) - j) <= 1), "\(batch)")
                }
            }
        }
        #expect(seen.contains(image))                                             // (0, 0), no flip
        #expect(seen.contains([4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9]))          // flipped in place
        #expect(seen.contains([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]))             // moved down one row
        #expect(seen.contains([2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0]))          // moved left one column
        #expect(seen.count == 18)                                                 // 3 × 3 shifts × 2 flips
        // A rank's part of a global batch gets the draws of its own examples.
        var whole = image + image.map { $0 + 100 }, a = SeededRNG(seed: 4), b = SeededRNG(seed: 4)
        whole.withUnsafeMutableBufferPointer { augmenter.apply($0.baseAddress!, count: 2, globalCount: 2, offset: 0, rng: &a) }
        var second = image.map { $0 + 100 }
        second.withUnsafeMutableBufferPointer { augmenter.apply($0.baseAddress!, count: 1, globalCount: 2, offset: 1, rng: &b) }
        #expect(Array(whole[12...]) == second && a == b)
        // Not images, or a shift as large as the image: errors, not traps.
        #expect(throws: TrainingError.self) { try ImageAugmenter<Float>(ImageAugmentation(shift: 1), exampleShape: [12]) }
        #expect(throws: TrainingError.self) { try ImageAugmenter<Float>(ImageAugmentation(shift: 3), exampleShape: [1, 3, 4]) }
        #expect(ImageAugmentation(shift: 2, flip: true).description == "shift:2,flip")
    }
}

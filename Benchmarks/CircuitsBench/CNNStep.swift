import Foundation
import Datasets
import Layers
import Tensor

// The small CNN of issue #14 — conv3x3-32, relu, maxpool2, conv3x3-64, relu, maxpool2, dense128, relu,
// dense10 (421,642 parameters) — as one Adam training step at batch 64 on Fashion-MNIST images, the
// same recipe as Benchmarks/peers/cnn_step_torch.py.

/// The small CNN's layers in the `--model` language (padding 1 = `same` for 3×3).
let smallCNNLayers: [LayerSpec] = [
    .conv2D(32, kernel: 3), .relu, .maxPool2D(2),
    .conv2D(64, kernel: 3), .relu, .maxPool2D(2),
    .flatten, .dense(128), .relu, .dense(10),
]

/// FLOPs of one training step per example, counted as the issue counts them: 2·Cout·Hout·Wout·Cin·kh·kw
/// forward per conv layer, twice that backward (once for the first layer, whose input needs no
/// gradient), and the dense layers' GEMMs (forward, dW, dX except for the first layer's input).
let smallCNNFLOPsPerExample: Double = {
    let conv1 = 2.0 * 32 * 28 * 28 * 1 * 9, conv2 = 2.0 * 64 * 14 * 14 * 32 * 9
    let dense1 = 2.0 * 3136 * 128, dense2 = 2.0 * 128 * 10
    return conv1 * 2 + conv2 * 3 + dense1 * 3 + dense2 * 3
}()

/// One small-CNN trainer stepping through pre-cut batches of the first 4096 training images (row views,
/// cut before timing and cycled, as the torch peer does).
final class CNNStepBench {
    let batch: Int
    let trainer: Trainer<Float>
    private var batches: [(x: Tensor<Float>, y: [Int])] = []
    private var cursor = 0

    init(batch: Int, data: FashionMNIST, seed: UInt64 = 1, layers: [LayerSpec] = smallCNNLayers) throws {
        self.batch = batch
        var rng = SeededRNG(seed: seed)
        let model = try Sequential<Float>(inputShape: [1, 28, 28], specs: layers, rng: &rng)
        var config = TrainingConfiguration()
        config.optimizer = .adam
        config.learningRate = 1e-3
        config.batchSize = batch
        config.seed = seed
        trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: config)
        let pool = min(max(batch * 8, 4096), data.trainFeatures.rows)
        for start in stride(from: 0, through: pool - batch, by: batch) {
            batches.append((try data.trainFeatures.rows(start..<(start + batch)), Array(data.trainLabels[start..<(start + batch)])))
        }
    }

    func run(steps: Int) throws {
        for _ in 0..<steps {
            let (x, y) = batches[cursor]
            cursor = (cursor + 1) % batches.count
            try trainer.step(x, .classes(y))
        }
    }

    /// Examples/s of each of `repetitions` samples of `steps` steps.
    func samples(steps: Int, repetitions: Int) throws -> [Double] {
        try (0..<repetitions).map { _ in Double(batch * steps) / (try seconds { try run(steps: steps) }) }
    }

    /// Median milliseconds of forward + loss, backward, and the rest (update, checks) over `steps` steps.
    func phases(steps: Int) throws -> (forward: Double, backward: Double, update: Double) {
        var forward: [Double] = [], backward: [Double] = [], update: [Double] = []
        var scored: UInt64 = 0, backwardDone: UInt64 = 0
        trainer.gradientHook = { _ in backwardDone = DispatchTime.now().uptimeNanoseconds }
        defer { trainer.gradientHook = nil }
        for _ in 0..<steps {
            let (x, y) = batches[cursor]
            cursor = (cursor + 1) % batches.count
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.step(x, .classes(y), scores: { _ in scored = DispatchTime.now().uptimeNanoseconds })
            let end = DispatchTime.now().uptimeNanoseconds
            forward.append(Double(scored - start) / 1e6)
            backward.append(Double(backwardDone - scored) / 1e6)
            update.append(Double(end - backwardDone) / 1e6)
        }
        return (median(forward), median(backward), median(update))
    }
}

/// `CircuitsBench --worker cnn-step --threads N [--repetitions R] [--steps S] [--seconds T]`: our side of
/// the CNN step in a process of its own (the suite alternates such processes with the torch peer's).
/// Prints one JSON line like a peer script: examples/s (median of R samples of S steps), the phase split,
/// allocations over the timed steps. `--seconds T` instead steps for T seconds (for `perf record`).
func cnnStepWorker(_ arguments: [String]) throws {
    var threads = 1, repetitions = 5, steps = 40, secondsToRun: Double? = nil, batch = 64
    var rest = arguments[...]
    while let a = rest.popFirst() {
        guard let v = rest.popFirst() else { throw BenchOptions.UsageError(description: "\(a) needs a value") }
        switch a {
        case "--threads": threads = Int(v) ?? 1
        case "--repetitions": repetitions = Int(v) ?? 5
        case "--steps": steps = Int(v) ?? 40
        case "--seconds": secondsToRun = Double(v)
        case "--batch": batch = Int(v) ?? 64
        default: throw BenchOptions.UsageError(description: "unknown worker option \(a)")
        }
    }
    BLAS.threads = threads
    let directory = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist"
    let (train, test) = try IDXReader.readDirectory(directory)
    let data = FashionMNIST(directory: directory, trainFeatures: train.features, trainLabels: train.labels,
                            testFeatures: test.features, testLabels: test.labels)
    let bench = try CNNStepBench(batch: batch, data: data)
    try bench.run(steps: 20)   // warm-up: arena, gradient and Adam buffers, threads
    if let secondsToRun {
        let start = DispatchTime.now().uptimeNanoseconds
        var n = 0
        while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < secondsToRun { try bench.run(steps: 1); n += 1 }
        let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "{\"peer\":\"circuits\",\"name\":\"cnn_step\",\"value\":%.1f,\"unit\":\"examples/s\",\"threads\":%d,\"steps\":%d}",
                     Double(n * batch) / s, threads, n))
        return
    }
    let before = Tensor<Float>.buffersAllocated
    let samples = try bench.samples(steps: steps, repetitions: repetitions)
    let allocated = Tensor<Float>.buffersAllocated - before
    let phase = try bench.phases(steps: steps)
    print(String(format: "{\"peer\":\"circuits\",\"name\":\"cnn_step\",\"value\":%.1f,\"unit\":\"examples/s\",\"threads\":%d,\"batch\":%d,"
                 + "\"samples\":[%@],\"forward_ms\":%.3f,\"backward_ms\":%.3f,\"update_ms\":%.3f,\"buffers_allocated\":%d}",
                 median(samples), threads, batch, samples.map { String(format: "%.1f", $0) }.joined(separator: ","),
                 phase.forward, phase.backward, phase.update, allocated))
}

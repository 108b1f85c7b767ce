import Datasets
import Foundation
import Layers
import Tensor

// Workers: `CircuitsBench --worker NAME …` measures one configuration of our side in a fresh process and
// prints JSON lines in the peer scripts' format, then exits. The suites run workers as subprocesses,
// exactly as they run the Python peers, so both sides of a comparison start cold in a process of their
// own, with the same warm-up and timing rules: symmetric by construction (issue 19). A figure then no
// longer depends on what ran before it in the suite's process (thread-count switches, other suites'
// buffers, page placement).

/// The options every worker takes, named as the peer scripts name them.
struct WorkerOptions {
    var threads = 1
    var batches = [32, 128, 512]
    var optimizer: OptimizerKind = .momentum
    var repetitions = 3
    var examplesPerRepetition = 16384
    var quick = false
    var seed: UInt64 = 0
    /// Worker-specific options, by name.
    var extra: [String: String] = [:]

    static func parse(_ arguments: [String]) throws -> WorkerOptions {
        var o = WorkerOptions()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchOptions.UsageError(description: "\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func int(_ text: String, _ name: String) throws -> Int {
            guard let v = Int(text), v > 0 else { throw BenchOptions.UsageError(description: "\(name) needs a positive integer, got '\(text)'") }
            return v
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--threads": o.threads = try int(try value(), a)
            case "--batch": o.batches = try value().split(separator: ",").map { try int(String($0), a) }
            case "--optimizer":
                let name = try value()
                guard let k = OptimizerKind(rawValue: name) else { throw BenchOptions.UsageError(description: "--optimizer: unknown '\(name)'") }
                o.optimizer = k
            case "--repetitions": o.repetitions = try int(try value(), a)
            case "--examples-per-rep": o.examplesPerRepetition = try int(try value(), a)
            case "--quick": o.quick = true
            case "--seed":
                let text = try value()
                guard let s = UInt64(text) else { throw BenchOptions.UsageError(description: "--seed needs a non-negative integer") }
                o.seed = s
            default:
                guard a.hasPrefix("--") else { throw BenchOptions.UsageError(description: "unexpected argument '\(a)'") }
                o.extra[String(a.dropFirst(2))] = try value()
            }
            i += 1
        }
        return o
    }
}

/// One JSON line on stdout, in the peer scripts' shape (`peer`, `name`, `value`, `unit`, context).
func emitRecord(_ fields: [String: Any]) {
    var record = fields
    record["peer"] = record["peer"] ?? "circuits"
    guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Runs worker `name` and returns the process's exit status.
func runWorker(_ name: String, _ arguments: [String]) -> Int32 {
    do {
        let options = try WorkerOptions.parse(arguments)
        BLAS.threads = options.threads
        switch name {
        case "mlp-step": try mlpStepWorker(options)
        case "conv-layers": try convLayersWorker(options)
        case "lstm-lm-step": try lstmLanguageModelStepWorker(options)
        case "min-char-rnn": try minCharRNNWorker(options)
        default:
            FileHandle.standardError.write(Data("CircuitsBench: unknown worker '\(name)' (known: \(knownWorkers.joined(separator: ", ")))\n".utf8))
            return 2
        }
        return 0
    } catch let error as BenchOptions.UsageError {
        FileHandle.standardError.write(Data("CircuitsBench --worker \(name): \(error.description)\n".utf8))
        return 2
    } catch {
        FileHandle.standardError.write(Data("CircuitsBench --worker \(name): \(error)\n".utf8))
        return 1
    }
}

let knownWorkers = ["mlp-step", "conv-layers", "lstm-lm-step", "min-char-rnn"]

/// The 784-256-10 training step, timed as `Benchmarks/peers/mlp_step_torch.py` times torch's: batches
/// cut before timing and cycled, 50 warm-up steps (20 with --quick), then `repetitions` timings of
/// max(10, examples-per-rep / batch) steps; the figure is batch × steps / median time. The record also
/// carries the step's phases, the allocations of 100 warm steps, and the GEMM-only limit: the same
/// process timing the step's five GEMMs alone, the rate the step would reach if nothing else took time.
func mlpStepWorker(_ o: WorkerOptions) throws {
    let data = try loadFashionMNISTForWorker()
    for batch in o.batches {
        let bench = try MLPStepBench(batch: batch, data: data, seed: o.seed &+ 1, optimizer: o.optimizer)
        try bench.run(steps: o.quick ? 20 : 50)
        let steps = max(10, o.examplesPerRepetition / batch)
        var times: [Double] = []
        for _ in 0..<o.repetitions { times.append(try seconds { try bench.run(steps: steps) }) }
        times.sort()
        let value = Double(batch * steps) / median(times)
        let phase = try bench.phases(steps: steps)
        let before = Tensor<Float>.buffersAllocated
        try bench.run(steps: 100)
        let allocations = Tensor<Float>.buffersAllocated - before
        let limit = try mlpGEMMLimit(batch: batch, repetitions: o.repetitions, quick: o.quick)
        emitRecord(["name": "mlp_step_784_256_10", "value": value, "unit": "examples/s", "batch": batch, "threads": o.threads,
                    "optimizer": o.optimizer.rawValue, "steps": steps, "repetitions": o.repetitions,
                    "step_ms": median(times) / Double(steps) * 1e3, "min_s": times.first!, "max_s": times.last!,
                    "samples": times.map { Double(batch * steps) / $0 },
                    "forward_ms": phase.forward, "backward_ms": phase.backward, "update_ms": phase.update,
                    "allocations_per_100_steps": allocations, "gemm_limit": limit, "version": "circuits"])
    }
}

/// Examples/s if a step of the 784-256-10 net were its GEMMs alone: forward X·W1 and H·W2, backward
/// dW2 = Hᵀ·dY, dH = dY·W2ᵀ and dW1 = Xᵀ·dH, with the step's shapes and transpose flags, timed in this
/// process (median of `repetitions` samples of at least 20 ms).
func mlpGEMMLimit(batch b: Int, repetitions: Int, quick: Bool) throws -> Double {
    var rng = SeededRNG(seed: 5)
    let x = Tensor<Float>.randomUniform([b, 784], using: &rng), w1 = Tensor<Float>.randomNormal([784, 256], std: 0.05, using: &rng)
    let h = Tensor<Float>.randomUniform([b, 256], using: &rng), w2 = Tensor<Float>.randomNormal([256, 10], std: 0.05, using: &rng)
    let dy = Tensor<Float>.randomNormal([b, 10], using: &rng)
    let out1 = Tensor<Float>(zeros: [b, 256]), out2 = Tensor<Float>(zeros: [b, 10])
    let dw1 = Tensor<Float>(zeros: [784, 256]), dw2 = Tensor<Float>(zeros: [256, 10]), dh = Tensor<Float>(zeros: [b, 256])
    func once() throws {
        try Tensor.gemmKernel(x, w1, transposeLeft: false, transposeRight: false, m: b, n: 256, k: 784, alpha: 1, beta: 1, c: out1.unsafeWritePointer)
        try Tensor.gemmKernel(h, w2, transposeLeft: false, transposeRight: false, m: b, n: 10, k: 256, alpha: 1, beta: 1, c: out2.unsafeWritePointer)
        try Tensor.gemmKernel(h, dy, transposeLeft: true, transposeRight: false, m: 256, n: 10, k: b, alpha: 1, beta: 0, c: dw2.unsafeWritePointer)
        try Tensor.gemmKernel(dy, w2, transposeLeft: false, transposeRight: true, m: b, n: 256, k: 10, alpha: 1, beta: 0, c: dh.unsafeWritePointer)
        try Tensor.gemmKernel(x, dh, transposeLeft: true, transposeRight: false, m: 784, n: 256, k: b, alpha: 1, beta: 0, c: dw1.unsafeWritePointer)
    }
    for _ in 0..<20 { try once() }
    let perSample = max(10, (quick ? 2048 : 16384) / b)
    var rates: [Double] = []
    for _ in 0..<max(repetitions, 3) {
        var calls = 0
        let t = try seconds { repeat { for _ in 0..<perSample { try once() }; calls += perSample } while calls < perSample * 2 }
        rates.append(Double(b * calls) / t)
    }
    return median(rates)
}

/// Fashion-MNIST's training images for a worker (an error, not a skip: the suite checked it can read them).
func loadFashionMNISTForWorker() throws -> FashionMNIST {
    let dir = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist"
    let (train, test) = try IDXReader.readDirectory(dir)
    return FashionMNIST(directory: dir, trainFeatures: train.features, trainLabels: train.labels,
                        testFeatures: test.features, testLabels: test.labels)
}

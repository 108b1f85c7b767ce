import Foundation
import Layers
import Datasets

if let b = ProcessInfo.processInfo.environment["STEP"] {
    let batch = Int(b)!, steps = Int(ProcessInfo.processInfo.environment["N"] ?? "300")!
    BLAS.threads = Int(ProcessInfo.processInfo.environment["T"] ?? "1")!
    var rng = SeededRNG(seed: 1)
    let x = Tensor<Float>.randomUniform([batch * 8, 784], using: &rng)
    let y = (0..<batch * 8).map { $0 % 10 }
    let model = try Sequential<Float>.mlp(inputs: 784, hidden: [256], outputs: 10, rng: &rng)
    var cfg = TrainingConfiguration(); cfg.batchSize = batch
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, configuration: cfg)
    let xs = (0..<8).map { try! x.rows($0 * batch..<($0 + 1) * batch) }
    let ys = (0..<8).map { Array(y[$0 * batch..<($0 + 1) * batch]) }
    for i in 0..<20 { try trainer.step(xs[i % 8], .classes(ys[i % 8])) }
    let a0 = Tensor<Float>.buffersAllocated
    let t0 = DispatchTime.now().uptimeNanoseconds
    for i in 0..<steps { try trainer.step(xs[i % 8], .classes(ys[i % 8])) }
    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    print("batch \(batch) threads \(BLAS.threads): \(Int(Double(steps * batch) / dt)) ex/s, allocations \(Tensor<Float>.buffersAllocated - a0)")
    exit(0)
}
func loadIDX(_ path: String) -> [UInt8] {
    let p = Process(); p.executableURL = URL(fileURLWithPath: "/bin/gzip"); p.arguments = ["-dc", path]
    let pipe = Pipe(); p.standardOutput = pipe; try! p.run()
    let d = pipe.fileHandleForReading.readDataToEndOfFile(); p.waitUntilExit(); return [UInt8](d)
}
let dir = "/usr/share/datasets/fashion-mnist/"
func images(_ name: String) -> Tensor<Float> {
    let b = loadIDX(dir + name); let n = (b.count - 16) / 784
    return try! Tensor(b[16...].map { Float($0) / 255 }, shape: [n, 784])
}
func labels(_ name: String) -> [Int] { loadIDX(dir + name)[8...].map { Int($0) } }
let (trd, ted) = try Datasets.IDXReader.readDirectory(dir)
var xtr = trd.features, ytr = trd.labels
var xte = ted.features, yte = ted.labels
let env = ProcessInfo.processInfo.environment
let hidden = (env["H"] ?? "256").split(separator: ",").compactMap { Int($0) }
var cfg = TrainingConfiguration()
cfg.epochs = Int(env["E"] ?? "10")!
cfg.optimizer = OptimizerKind(rawValue: env["O"] ?? "momentum")!
cfg.learningRate = Double(env["LR"] ?? "0.05")!
cfg.batchSize = Int(env["B"] ?? "128")!
cfg.regularization = .l2(Double(env["L2"] ?? "0")!)
if let c = env["COS"] { cfg.schedule = .cosine(epochs: cfg.epochs, minimum: Double(c)!) }
if env["STD"] != nil {
    let mean = try xtr.mean(axis: 0), sd = try ((xtr - mean).pow(2).mean(axis: 0)).sqrt() + 1e-3
    xtr = try (xtr - mean) / sd; xte = try (xte - mean) / sd
}
BLAS.threads = Int(env["T"] ?? "2")!
var rng = SeededRNG(seed: UInt64(env["SEED"] ?? "1")!)
let loss = LossFunction(name: env["LOSS"] ?? "softmax")!
let model = try Sequential<Float>.mlp(inputs: 784, hidden: hidden, outputs: 10, dropout: Double(env["DROP"] ?? "0")!, rng: &rng)
let trainer = try Trainer(model: model, loss: loss, configuration: cfg)
let train = try TrainingData(features: xtr, labels: ytr, classes: 10)
let test = try TrainingData(features: xte, labels: yte, classes: 10)
let h = try trainer.fit(train, validation: test) { ev in
    if case let .epoch(r) = ev { print(r.epoch, String(format: "%.4f %.4f %.4f", r.trainLoss, r.trainAccuracy!, r.validationAccuracy!), Int(r.examplesPerSecond), String(format: "%.2f", r.seconds)) }
    return .proceed
}
print("total", h.seconds)

// circuits-mpi: data-parallel training over MPI with the core options of `circuits train`, plus what the
// distributed tests and the scaling measurements need (Double precision, synthetic data, parameter dumps,
// per-step all-reduce figures, fault injection).
//
//   mpirun -np 4 circuits-mpi --distributed --data /usr/share/datasets/fashion-mnist --model mlp:256,128
//
// Without --distributed it trains in one process exactly as `Trainer` does (no MPI calls at all).
import Datasets
import Distributed
import Foundation
import Layers

struct Options {
    var data = "/usr/share/datasets/fashion-mnist"
    var hidden: [Int] = [256, 128]
    var loss: LossFunction = .softmaxCrossEntropy
    var configuration = TrainingConfiguration()
    var double = false
    var threads: Int? = nil
    var distributed = false
    var out: String? = nil
    var parametersOut: String? = nil
    var checkpoint: String? = nil
    var checkpointEvery: Int? = nil
    var resume = false
    var statsJSON = false
    var limit: Int? = nil
    var timeout: Double? = nil
    /// Fault injection for the tests: this rank kills itself (SIGKILL) before the all-reduce of this step.
    var dieRank: Int? = nil
    var dieStep = 1
    /// With --die-rank: "kill" (SIGKILL, a crashed rank) or "stop" (SIGSTOP, a stalled rank).
    var dieSignal = "kill"
    /// Fault injection: this rank adds this to its seed (a mismatched configuration).
    /// Measurement: time this many all-reduces of the model's gradient buffer alone, then exit.
    var allReduceOnly: Int? = nil

    static let usage = """
    usage: circuits-mpi [--distributed] [--data DIR|FILE|synthetic:N:D:K] [--model linear|mlp:W1,W2,…]
                        [--loss L] [--optimizer sgd|momentum|nesterov|adam] [--lr X] [--momentum X] [--l2 X]
                        [--epochs N] [--batch-size B] [--seed S] [--double] [--threads N] [--limit N]
                        [--out MODEL.safetensors] [--parameters-out FILE] [--checkpoint FILE]
                        [--checkpoint-every N] [--resume] [--stats-json] [--timeout SECONDS]
    """

    init(_ args: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw Failure("\(args[i - 1]) needs a value\n\(Self.usage)") }
            return args[i]
        }
        func number<T: LosslessStringConvertible>(_ t: T.Type) throws -> T {
            let name = args[i], text = try value()
            guard let v = T(text) else { throw Failure("\(name) expects a number, got \"\(text)\"") }
            return v
        }
        configuration.optimizer = .momentum
        while i < args.count {
            switch args[i] {
            case "--distributed": distributed = true
            case "--data": data = try value()
            case "--model":
                let m = try value()
                if m == "linear" { hidden = [] } else if m.hasPrefix("mlp:"), case let w = m.dropFirst(4).split(separator: ",").compactMap({ Int($0) }), !w.isEmpty, w.allSatisfy({ $0 > 0 }) {
                    hidden = w
                } else { throw Failure("--model expects linear or mlp:W1,W2,…, got \"\(m)\"") }
            case "--loss":
                let l = try value()
                guard let f = LossFunction(name: l) else { throw Failure("--loss: unknown loss \"\(l)\"") }
                loss = f
            case "--optimizer":
                let o = try value()
                guard let k = OptimizerKind(rawValue: o) else { throw Failure("--optimizer: unknown optimizer \"\(o)\"") }
                configuration.optimizer = k
            case "--lr": configuration.learningRate = try number(Double.self)
            case "--momentum": configuration.momentum = try number(Double.self)
            case "--l2": configuration.regularization.l2 = try number(Double.self)
            case "--epochs": configuration.epochs = try number(Int.self)
            case "--batch-size": configuration.batchSize = try number(Int.self)
            case "--seed": configuration.seed = try number(UInt64.self)
            case "--double": double = true
            case "--threads": threads = try number(Int.self)
            case "--limit": limit = try number(Int.self)
            case "--out": out = try value()
            case "--parameters-out": parametersOut = try value()
            case "--checkpoint": checkpoint = try value()
            case "--checkpoint-every": checkpointEvery = try number(Int.self)
            case "--resume": resume = true
            case "--stats-json": statsJSON = true
            case "--timeout": timeout = try number(Double.self)
            case "--die-rank": dieRank = try number(Int.self)
            case "--die-step": dieStep = try number(Int.self)
            case "--die-signal": dieSignal = try value()
            case "--allreduce-only": allReduceOnly = try number(Int.self)
            case "--help", "-h": print(Self.usage); exit(0)
            default: throw Failure("unknown option \(args[i])\n\(Self.usage)")
            }
            i += 1
        }
        if resume && checkpoint == nil { throw Failure("--resume needs --checkpoint FILE") }
        if checkpointEvery != nil && checkpoint == nil { throw Failure("--checkpoint-every needs --checkpoint FILE") }
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Training and test sets in `Scalar`.
func loadData<Scalar: BLASScalar>(_ o: Options, as _: Scalar.Type) throws -> (TrainingData<Scalar>, TrainingData<Scalar>?) {
    if o.data.hasPrefix("synthetic:") {
        let p = o.data.split(separator: ":").dropFirst().compactMap { Int($0) }
        guard p.count == 3 else { throw Failure("--data synthetic:N:D:K (examples, features, classes), got \"\(o.data)\"") }
        return (try SyntheticData.classification(count: p[0], features: p[1], classes: p[2], seed: 7, as: Scalar.self), nil)
    }
    let loaded = try DataLoader.load(path: o.data)
    func convert(_ d: Dataset) throws -> TrainingData<Scalar> {
        var d = d
        if let limit = o.limit, limit < d.count { d = try d.subset(Array(0..<limit)) }
        return try TrainingData(features: d.features.converted(to: Scalar.self), labels: d.labels, classes: d.classCount)
    }
    return (try convert(loaded.train), try loaded.test.map(convert))
}

/// The run's figures, printed as one JSON object by rank 0 with --stats-json.
struct Stats: Encodable {
    var ranks: Int
    var examples: Int
    var epochs: Int
    var seconds: Double
    var examplesPerSecond: Double
    var steps: Int
    var allReduceMillisecondsPerStep: Double
    /// Rank 0's time per step outside the all-reduce (forward, backward, optimizer, batching).
    var otherMillisecondsPerStep: Double
    var allReduceBufferBytes: Int
    var ringBytesSentPerRankPerStep: Int
    var parameters: Int
    var finalTrainLoss: Double
    /// Tensor buffers allocated during the last epoch (a warm data-parallel step should allocate none).
    var tensorBuffersAllocatedInLastEpoch: Int?
    var testAccuracy: Double?
}

func run<Scalar: BLASScalar>(_ o: Options, as _: Scalar.Type) throws -> Int32 {
    guard o.distributed else { return try train(o, mpi: nil, as: Scalar.self) }
    return try MPIContext.runJob(timeout: o.timeout ?? MPIContext.defaultTimeout) { try train(o, mpi: $0, as: Scalar.self) }
}

func train<Scalar: BLASScalar>(_ o: Options, mpi: MPIContext?, as _: Scalar.Type) throws -> Int32 {
    let rank = mpi?.rank ?? 0
    if let t = o.threads { BLAS.threads = t }
    let configuration = o.configuration
    let (train, test) = try loadData(o, as: Scalar.self)
    var rng = SeededRNG(seed: configuration.seed)
    let model = try Sequential<Scalar>.mlp(inputs: train.features.columns, hidden: o.hidden,
                                           outputs: o.loss.outputs(classes: train.classes), rng: &rng)
    let trainer = try Trainer(model: model, loss: o.loss, configuration: configuration)
    if o.resume, rank == 0, let path = o.checkpoint { try restoreCheckpoint(trainer, from: path) }
    var parallel: DataParallelTrainer<Scalar>? = nil
    if let mpi {
        let p = try DataParallelTrainer(trainer, mpi: mpi)
        var fingerprint = ConfigurationFingerprint()
        fingerprint.add("data file", o.data.hasPrefix("synthetic:") ? o.data : ConfigurationFingerprint.file(at: o.data))
        try p.start(fingerprint: fingerprint, data: train)
        if let die = o.dieRank, die == rank {
            var steps = 0
            let allReduce = trainer.allReduceHook
            trainer.allReduceHook = { params, share in
                steps += 1
                if steps == o.dieStep { kill(getpid(), o.dieSignal == "stop" ? SIGSTOP : SIGKILL) }
                try allReduce?(params, share)
            }
        }
        parallel = p
        if let n = o.allReduceOnly {
            // The wire cost alone: no compute, so no rank waits for a slower one's backward pass.
            let parameters = model.parameters
            try p.reducer.allReduceGradients(parameters, localCount: 1, globalCount: mpi.size)   // warm-up
            p.reducer.resetStatistics()
            for _ in 0..<n { try p.reducer.allReduceGradients(parameters, localCount: 1, globalCount: mpi.size) }
            let s = p.reducer.statistics
            if rank == 0 {
                print(String(format: "all-reduce only: %d ranks, %d bytes, %.3f ms per all-reduce (%d calls), ring estimate %d bytes sent per rank",
                             mpi.size, s.bufferBytes, s.millisecondsPerCall, s.calls, s.ringBytesSentPerRank))
            }
            return 0
        }
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let epochsBefore = trainer.completedEpochs
    var lastLoss = Double.nan
    var buffersAtEpochEnd: [Int] = []
    let callback: (TrainingEvent) -> TrainingControl = { event in
        guard case let .epoch(report) = event else { return .proceed }
        lastLoss = report.trainLoss
        buffersAtEpochEnd.append(Tensor<Scalar>.buffersAllocated)
        if rank == 0 && !o.statsJSON {
            print(String(format: "epoch %d  loss %.4f  accuracy %.2f%%  %.0f examples/s", report.epoch, report.trainLoss,
                         100 * (report.trainAccuracy ?? 0), report.examplesPerSecond))
        }
        if rank == 0, let every = o.checkpointEvery, let path = o.checkpoint, trainer.completedEpochs % every == 0 {
            // A failed checkpoint write aborts the job (the other ranks cannot know about it).
            do { try writeCheckpoint(trainer, to: path) } catch {
                if let mpi { mpi.abort("checkpoint \(path): \(error)") }
                FileHandle.standardError.write(Data("circuits-mpi: checkpoint \(path): \(error)\n".utf8))
                exit(1)
            }
        }
        return .proceed
    }
    if let parallel { try parallel.fit(train, callback: callback) } else { try trainer.fit(train, callback: callback) }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    guard rank == 0 else { return 0 }
    // Rank 0 alone evaluates and writes: every rank holds the same parameters.
    var accuracy: Double? = nil
    if let test { accuracy = try trainer.evaluate(test).accuracy }
    if let path = o.parametersOut { try writeParameters(model, to: path) }
    if let path = o.out { try SafeTensorsFile(tensors: model.parameters.map { ($0.name, AnyTensor($0.variable.value)) }).write(to: URL(fileURLWithPath: path)) }
    let epochs = trainer.completedEpochs - epochsBefore
    let statistics = parallel?.reducer.statistics
    let stats = Stats(ranks: mpi?.size ?? 1, examples: train.count, epochs: epochs, seconds: seconds,
                      examplesPerSecond: Double(train.count * epochs) / max(seconds, 1e-9),
                      steps: statistics?.calls ?? 0, allReduceMillisecondsPerStep: statistics?.millisecondsPerCall ?? 0,
                      otherMillisecondsPerStep: (seconds - (statistics?.seconds ?? 0)) * 1e3 / Double(max(statistics?.calls ?? epochs * ((train.count + configuration.batchSize - 1) / configuration.batchSize), 1)),
                      allReduceBufferBytes: statistics?.bufferBytes ?? 0, ringBytesSentPerRankPerStep: statistics?.ringBytesSentPerRank ?? 0,
                      parameters: model.parameterCount, finalTrainLoss: lastLoss,
                      tensorBuffersAllocatedInLastEpoch: buffersAtEpochEnd.count >= 2 ? buffersAtEpochEnd[buffersAtEpochEnd.count - 1] - buffersAtEpochEnd[buffersAtEpochEnd.count - 2] : nil,
                      testAccuracy: accuracy)
    if o.statsJSON {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        print(String(decoding: try encoder.encode(stats), as: UTF8.self))
    } else {
        print(String(format: "%d rank(s): %d epochs in %.2f s, %.0f examples/s", stats.ranks, epochs, seconds, stats.examplesPerSecond)
              + (statistics.map { String(format: "; all-reduce %.3f ms/step, %d-byte buffer", $0.millisecondsPerCall, $0.bufferBytes) } ?? "")
              + (accuracy.map { String(format: "; test accuracy %.2f%%", 100 * $0) } ?? ""))
    }
    return 0
}

/// All parameters, in order, as text: one `name count` line, then one value per line with full
/// precision (%.17g survives a round trip for Double and Float alike).
func writeParameters<Scalar: BLASScalar>(_ model: Sequential<Scalar>, to path: String) throws {
    var text = ""
    for p in model.parameters {
        text += "\(p.name) \(p.variable.value.count)\n"
        for v in p.variable.value.scalars { text += String(format: "%.17g\n", Double(v)) }
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// A checkpoint: parameters, optimizer buffers (`optimizer.<key>.<i>`), and in the metadata the epochs
/// completed, the optimizer's step count and the shuffling generator. Written atomically by rank 0.
func writeCheckpoint<Scalar: BLASScalar>(_ trainer: Trainer<Scalar>, to path: String) throws {
    var tensors = trainer.model.parameters.map { (name: $0.name, tensor: AnyTensor($0.variable.value)) }
    var metadata = ["epoch": "\(trainer.completedEpochs)"]
    if let state = trainer.optimizer?.state {
        for (key, buffers) in state.buffers.sorted(by: { $0.key < $1.key }) {
            for (i, b) in buffers.enumerated() { tensors.append((name: "optimizer.\(key).\(i)", tensor: AnyTensor(b))) }
            metadata["optimizer.\(key)"] = "\(buffers.count)"
        }
        metadata["optimizer.steps"] = "\(state.steps)"
    }
    metadata["rng"] = String(decoding: try JSONEncoder().encode(trainer.rng), as: UTF8.self)
    try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: URL(fileURLWithPath: path))
}

func restoreCheckpoint<Scalar: BLASScalar>(_ trainer: Trainer<Scalar>, from path: String) throws {
    let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: path))
    for p in trainer.model.parameters {
        p.variable.value = try file.require(p.name, shape: p.variable.value.shape, as: Scalar.self)
    }
    var buffers: [String: [Tensor<Scalar>]] = [:]
    for (key, value) in file.metadata where key.hasPrefix("optimizer.") && key != "optimizer.steps" {
        let name = String(key.dropFirst("optimizer.".count))
        buffers[name] = try (0..<(Int(value) ?? 0)).map { i in
            guard let t = file["optimizer.\(name).\(i)"]?.tensor(as: Scalar.self) else { throw Failure("\(path): lacks optimizer.\(name).\(i)") }
            return t
        }
    }
    try trainer.optimizer?.restore(OptimizerState(buffers: buffers, steps: Int(file.metadata["optimizer.steps"] ?? "0") ?? 0))
    guard let epoch = file.metadata["epoch"].flatMap(Int.init), let rng = file.metadata["rng"] else { throw Failure("\(path): not a circuits-mpi checkpoint") }
    trainer.rng = try JSONDecoder().decode(SeededRNG.self, from: Data(rng.utf8))
    trainer.completedEpochs = epoch
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    exit(options.double ? try run(options, as: Double.self) : try run(options, as: Float.self))
} catch {
    FileHandle.standardError.write(Data("circuits-mpi: \(error)\n".utf8))
    exit(1)
}

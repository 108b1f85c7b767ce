import Datasets
import Distributed
import Foundation
import Layers
import Tensor

/// `circuits train`: reads data, holds out a stratified validation split, fits preprocessing on the
/// training split only, trains, evaluates on the test set, writes the model and (optionally) the report.
///
/// The defaults are the Fashion-MNIST settings of `make run`: an MLP 784→256→128→10 with ReLU, softmax
/// cross-entropy, Adam at 1e-3 with cosine decay, batches of 128, 20 epochs, seed 42 (89.8% test accuracy).
enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train a classifier (or regressor) and save it as safetensors"
    static var options: [OptionSpec] { TrainOptions.specs }
    static let details = """
    Examples:
      circuits train --data /usr/share/datasets/fashion-mnist --out model.safetensors --report report.html
      circuits train --data iris.csv --label-column species --model mlp:16 --standardize --epochs 200
      circuits train --data toy:spirals --model mlp:32,32 --lr 0.01 --epochs 300 --report spirals.html
    Ctrl-C stops after the current batch; the model and report are still written for what was trained.
    With --checkpoint-every N a checkpoint is written atomically every N epochs; rerun with --resume to
    continue (the resumed run ends with the same weights as an uninterrupted one).
    With --distributed, under mpirun, the ranks train one model data-parallel (each on its part of every
    batch, gradients all-reduced); rank 0 prints, evaluates and writes the model, report and checkpoints:
      mpirun -np 4 circuits train --distributed --data /usr/share/datasets/fashion-mnist --out model.safetensors
    """

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let options = try TrainOptions.parse(arguments)
        guard options.distributed else { return try train(arguments, options: options, context: context, mpi: nil) }
        // Every rank runs the command; runJob decides how a failure on one rank ends the whole job.
        return try MPIContext.runJob { try train(arguments, options: options, context: context, mpi: $0) }
    }

    static func train(_ arguments: ParsedArguments, options: TrainOptions, context: CommandContext, mpi: MPIContext?) throws -> ExitCode {
        let rank = mpi?.rank ?? 0
        // Only rank 0 speaks; the other ranks' progress would repeat it.
        let console = rank == 0 ? context.console : Console.capturing()
        if let t = options.threads { BLAS.threads = t }
        let progress = ProgressReporter(console: console, json: options.json, totalEpochs: options.configuration.epochs)
        let wallStart = DispatchTime.now().uptimeNanoseconds

        // Data.
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let loaded = try DataInput.load(arguments)
        var testSet = loaded.test
        var testName = arguments.string("data") ?? ""
        if arguments.has("test") {
            testSet = try DataInput.load(arguments, path: "test", labels: "test-labels").train
            testName = arguments.string("test")!
        }
        let all = loaded.train
        _ = consume loaded   // the training set is held once from here on
        guard all.count > 0 else { throw CLIError.failure("\(arguments.string("data")!): no examples") }
        let loss = options.loss
        if loss.isRegression && all.targets == nil {
            throw CLIError.failure("\(arguments.string("data")!): \(loss) needs numeric labels (regression targets)")
        }
        if loss.isBinary && all.classCount != 2 {
            throw CLIError.failure("\(loss) is a binary loss, but the data has \(all.classCount) classes; use softmax or multiclass-hinge")
        }
        let classNames = loss.isRegression ? [] : all.classNames
        let featureCount = all.featureCount, featureNames = all.featureNames
        var trainSet = consume all, validationSet: Dataset? = nil
        if options.validationSplit > 0 {
            // In place: the validation rows move to the end and both parts are views of one buffer, so
            // the training set is never copied (peak memory stays near one copy of the data).
            let parts = try (consume trainSet).partitioned(validation: options.validationSplit, stratified: !loss.isRegression, seed: options.configuration.seed)
            if parts.validation.count > 0 && parts.train.count > 0 {
                trainSet = parts.train
                validationSet = parts.validation
            } else {
                trainSet = parts.train.count > 0 ? parts.train : parts.validation   // too few rows to hold any out
            }
        }
        let preprocessor = try Preprocessor.fit(options.preprocessing, on: trainSet.features, pcaComponents: options.pcaComponents)
        func trainingData(_ d: Dataset, file: String) throws -> TrainingData<Float> {
            let x = try preprocessor.transform(d.features)
            if loss.isRegression {
                guard let t = d.targets else { throw CLIError.failure("\(file): needs numeric labels for \(loss)") }
                return try TrainingData(features: x, values: Tensor(t))
            }
            return try TrainingData(features: x, labels: try DataInput.align(d, to: classNames, file: file), classes: classNames.count)
        }
        let dataName = arguments.string("data")!
        let train = try trainingData(trainSet, file: dataName)
        let validation = try validationSet.map { try trainingData($0, file: dataName) }
        let test = try testSet.map { try trainingData($0, file: testName) }
        let loadSeconds = seconds(since: loadStart)
        progress.note("data: \(trainSet.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test examples; "
                      + "\(featureCount) features\(preprocessor.outputDimension != featureCount ? " → \(preprocessor.outputDimension)" : "")"
                      + (loss.isRegression ? "" : ", \(classNames.count) classes") + String(format: " (%.1fs)", loadSeconds))

        // Model and trainer.
        var rng = SeededRNG(seed: options.configuration.seed)
        let outputs = loss.isRegression ? 1 : loss.outputs(classes: classNames.count)
        let model = try Sequential<Float>.mlp(inputs: preprocessor.outputDimension, hidden: options.hidden, outputs: outputs,
                                              dropout: options.dropout, initializer: options.initializer, rng: &rng)
        let trainer = try Trainer(model: model, loss: loss, configuration: options.configuration)
        var extra = ["preprocessing": try Checkpoint.json(preprocessor), "data": dataName,
                     "initializer": (options.initializer ?? Sequential<Float>.defaultInitializer(hidden: options.hidden)).rawValue]
        if let names = featureNames { extra["features"] = try Checkpoint.json(names) }
        func modelFile() -> ModelFile {
            ModelFile(model: model, loss: loss, classNames: classNames, configuration: options.configuration, extra: extra)
        }
        var history: [EpochReport] = []
        let checkpointURL = URL(fileURLWithPath: options.resolvedCheckpointPath)
        if options.resume && rank == 0 {   // rank 0's state reaches the other ranks through DataParallelTrainer.start
            try DataInput.requireReadable(checkpointURL.path)
            let (checkpoint, saved) = try Checkpoint.read(from: checkpointURL)
            guard checkpoint.fingerprint == options.fingerprint else {
                throw CLIError.failure("\(checkpointURL.path): written with other settings (\(checkpoint.fingerprint)); resume with the same options")
            }
            try checkpoint.restore(into: trainer, weights: saved.model)
            history = checkpoint.history
            progress.note("resuming from \(checkpointURL.path) after epoch \(checkpoint.completedEpochs)")
        }
        let parallel = try mpi.map { mpi in
            let p = try DataParallelTrainer(trainer, mpi: mpi)
            var fingerprint = ConfigurationFingerprint()
            fingerprint.add("data file", ConfigurationFingerprint.file(at: dataName))
            // What the trainer's own fields (model, seed, batch size, optimizer, data digest) do not cover.
            fingerprint.add("preprocessing", "\(options.preprocessing.rawValue) \(options.pcaComponents ?? 0)")
            fingerprint.add("validation split", "\(options.validationSplit)")
            fingerprint.add("dropout", "\(options.dropout)")
            try p.start(fingerprint: fingerprint, data: train)
            return p
        }
        if let mpi { progress.note("distributed: \(mpi.size) ranks, each on its part of every batch of \(options.configuration.batchSize)") }
        progress.note("model: \(options.modelName) \(model.specs.map(\.description).joined(separator: " → ")), "
                      + "\(model.parameterCount) parameters; \(loss) loss, \(options.configuration.optimizer.rawValue) lr \(options.configuration.learningRate), "
                      + "batch \(options.configuration.batchSize), \(options.configuration.epochs) epochs, \(BLAS.threads) BLAS threads")

        // Training, with Ctrl-C and checkpoints.
        let interrupt = InterruptSignal()
        // Under mpirun, Ctrl-C goes to mpirun, which ends every rank; resume from a checkpoint.
        if context.handlesSignals && mpi == nil { interrupt.install(console: console) }
        defer { if context.handlesSignals && mpi == nil { interrupt.uninstall() } }
        var checkpointError: Error? = nil
        let trainStart = DispatchTime.now().uptimeNanoseconds
        let batchSize = options.configuration.batchSize
        let result: TrainingHistory
        do {
            result = try trainer.fit(train, validation: validation) { event in
                switch event {
                case let .batch(epoch, batch, batches, batchLoss, rate):
                    progress.batch(epoch: epoch, batch: batch, batches: batches, loss: batchLoss, examplesPerSecond: rate, batchSize: batchSize)
                    if context.interruptAfter?(epoch, batch) == true { interrupt.request() }
                    return interrupt.isRequested ? .stop : .proceed
                case let .epoch(report):
                    history.append(report)
                    progress.epoch(report)
                    if rank == 0, let every = options.checkpointEvery, trainer.completedEpochs % every == 0 {
                        do {
                            try Checkpoint(trainer: trainer, fingerprint: options.fingerprint, history: history)
                                .write(to: checkpointURL, model: modelFile())
                        } catch {
                            // The other ranks cannot know: end the job rather than leave them waiting.
                            if let mpi { mpi.abort("checkpoint \(checkpointURL.path): \(oneLine(error))") }
                            checkpointError = error
                            return .stop
                        }
                    }
                    return interrupt.isRequested ? .stop : .proceed
                }
            }
        }
        if let checkpointError { throw CLIError.failure("checkpoint \(checkpointURL.path): \(oneLine(checkpointError))") }
        try parallel?.checkParametersAgree(epoch: trainer.completedEpochs)
        guard rank == 0 else { return .success }   // every rank holds rank 0's parameters: it alone evaluates and writes
        let interrupted = result.interrupted
        if interrupted, let partial = result.epochs.last, partial.epoch > (history.last?.epoch ?? 0) {
            // The epoch cut short by Ctrl-C is reported too, marked as partial by its smaller example count.
            history.append(partial)
        }
        let trainSeconds = seconds(since: trainStart)

        // Evaluation.
        var testMetrics: ClassificationMetrics? = nil
        var regression: RegressionMetrics? = nil
        if let test {
            if loss.isRegression, case let .values(t) = test.targets {
                regression = try RegressionMetrics(predictions: try model.predict(test.features), targets: t)
            } else if !loss.isRegression {
                testMetrics = try ClassificationMetrics(predictions: try model.predictClasses(test.features), labels: test.labels, classes: classNames.count)
            }
        }
        var heldOut = testMetrics, heldOutName = "test set"
        if heldOut == nil, let validation, !loss.isRegression {
            heldOut = try ClassificationMetrics(predictions: try model.predictClasses(validation.features), labels: validation.labels, classes: classNames.count)
            heldOutName = "validation split"
        }

        // Outputs.
        let outURL = URL(fileURLWithPath: options.out)
        try modelFile().write(to: outURL)
        let examples = history.reduce(0.0) { $0 + $1.examplesPerSecond * $1.seconds }
        let throughput = examples / max(history.reduce(0.0) { $0 + $1.seconds }, 1e-9)
        if let reportPath = options.report {
            var settings: [(String, String)] = [("data", dataName), ("model", options.modelName), ("layers", model.specs.map(\.description).joined(separator: " → ")),
                            ("parameters", "\(model.parameterCount)"), ("loss", "\(loss)"), ("optimizer", options.configuration.optimizer.rawValue),
                            ("learning rate", "\(options.configuration.learningRate)"), ("batch size", "\(options.configuration.batchSize)"),
                            ("epochs", "\(trainer.completedEpochs) of \(options.configuration.epochs)"),
                            ("L2 / L1", "\(options.configuration.regularization.l2) / \(options.configuration.regularization.l1)"),
                            ("dropout", "\(options.dropout)"), ("validation split", "\(options.validationSplit)"),
                            ("preprocessing", options.preprocessing == .pca ? "pca \(options.pcaComponents ?? 0)" : options.preprocessing.rawValue),
                            ("seed", "\(options.configuration.seed)"), ("BLAS", "\(BLAS.coreName), \(BLAS.threads) threads")]
            settings.append(("examples", "\(trainSet.count) train / \(validationSet?.count ?? 0) validation / \(testSet?.count ?? 0) test"))
            let timings: [(String, String)] = [("loading", String(format: "%.2f s", loadSeconds)), ("training", String(format: "%.2f s", trainSeconds)),
                                               ("throughput", "\(ProgressReporter.rate(throughput)) examples/s"),
                                               ("total", String(format: "%.2f s", seconds(since: wallStart)))]
            var report = Report(title: "circuits train — \(URL(fileURLWithPath: dataName).lastPathComponent)", settings: settings, timings: timings,
                                history: history, classNames: classNames, metrics: heldOut, metricsSource: heldOutName)
            if interrupted { report.notes.append("Interrupted: the run was stopped with Ctrl-C during epoch \(trainer.completedEpochs + 1); the figures show what was trained.") }
            if featureCount == 2 && !loss.isRegression {
                // Every point of the data file: the training part and the held-out part (2-D, so small).
                var points = trainSet
                if let v = validationSet {
                    points = try Dataset(features: try Tensor.concatenate([trainSet.features, v.features]), labels: trainSet.labels + v.labels,
                                         classNames: trainSet.classNames, featureNames: trainSet.featureNames)
                }
                report.regions = try decisionRegions(points, model: model, preprocessor: preprocessor, labels: try DataInput.align(points, to: classNames, file: dataName))
            }
            do {
                try Data(report.html.utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
            } catch {
                throw CLIError.failure("\(reportPath): cannot write the report: \(error.localizedDescription)")
            }
        }

        // Summary.
        let summary = Summary(interrupted: interrupted, epochs: trainer.completedEpochs, trainSeconds: trainSeconds,
                              examplesPerSecond: throughput, testAccuracy: testMetrics?.accuracy,
                              testExamples: testMetrics?.total, validationAccuracy: history.last?.validationAccuracy,
                              testRMSE: regression?.rmse, testR2: regression?.r2, model: options.out, report: options.report)
        if options.json {
            console.print(ProgressReporter.json(summary))
        } else {
            if let m = testMetrics {
                console.print("test accuracy \(ProgressReporter.percent(m.accuracy)) (\(m.correct)/\(m.total))")
            } else if let va = summary.validationAccuracy {
                console.print("validation accuracy \(ProgressReporter.percent(va))")
            }
            if let regression { console.print(String(format: "test RMSE %.4g  R² %.4f", regression.rmse, regression.r2)) }
            console.print("training: \(trainer.completedEpochs) epochs in " + String(format: "%.1f s", trainSeconds) + ", \(ProgressReporter.rate(throughput)) examples/s")
            console.print("model: \(options.out)" + (options.report.map { "  report: \($0)" } ?? ""))
        }
        if interrupted {
            console.printError("circuits train: interrupted after \(trainer.completedEpochs) complete epochs; model and report written for what was trained")
            return .failure
        }
        return .success
    }

    /// The final JSON object of `--json`.
    struct Summary: Encodable {
        var event = "summary"
        var interrupted: Bool
        var epochs: Int
        var trainSeconds: Double
        var examplesPerSecond: Double
        var testAccuracy: Double?
        var testExamples: Int?
        var validationAccuracy: Double?
        var testRMSE: Double?
        var testR2: Double?
        var model: String
        var report: String?
    }

    /// The model's class over a grid spanning the data (with a margin), and up to 1500 of the points.
    static func decisionRegions(_ data: Dataset, model: Sequential<Float>, preprocessor: Preprocessor, labels: [Int]) throws -> DecisionRegions {
        let xs = (0..<data.count).map { Double(data.features[$0, 0]) }, ys = (0..<data.count).map { Double(data.features[$0, 1]) }
        func range(_ v: [Double]) -> ClosedRange<Double> {
            let lo = v.min() ?? 0, hi = v.max() ?? 1
            let pad = max((hi - lo) * 0.08, 1e-3)
            return (lo - pad)...(hi + pad)
        }
        let xr = range(xs), yr = range(ys), n = 90
        let grid = Tensor<Float>(shape: [n * n, 2]) { k in
            let cell = k / 2, i = cell % n, j = cell / n
            return k % 2 == 0 ? Float(xr.lowerBound + (Double(i) + 0.5) / Double(n) * (xr.upperBound - xr.lowerBound))
                              : Float(yr.lowerBound + (Double(j) + 0.5) / Double(n) * (yr.upperBound - yr.lowerBound))
        }
        let classes = try model.predictClasses(try preprocessor.transform(grid))
        let stride = max(1, data.count / 1500)
        let points = Swift.stride(from: 0, to: data.count, by: stride).map { (x: xs[$0], y: ys[$0], label: labels[$0]) }
        return DecisionRegions(xRange: xr, yRange: yr, resolution: n, classes: classes, points: points)
    }
}

func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

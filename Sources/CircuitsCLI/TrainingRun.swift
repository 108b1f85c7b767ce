import Datasets
import Distributed
import Foundation
import Layers
import Tensor

/// One run of `circuits train`, in named stages: data, model, resume, distributed start, training,
/// evaluation, outputs, summary. `Scalar` is `Float` (or `Double` with the hidden `--double`); every rank
/// of an MPI job runs the same stages, and only rank 0 speaks, evaluates and writes.
final class TrainingRun<Scalar: BLASScalar> {
    let arguments: ParsedArguments
    let options: TrainOptions
    let context: CommandContext
    let mpi: MPIContext?
    let console: Console
    let progress: ProgressReporter
    let wallStart = DispatchTime.now().uptimeNanoseconds
    var rank: Int { mpi?.rank ?? 0 }

    /// The data after the split and preprocessing.
    struct PreparedData {
        var name: String
        var testName: String
        var train: TrainingData<Scalar>
        var validation: TrainingData<Scalar>?
        var test: TrainingData<Scalar>?
        /// The sets as read (after the split), for counts and the report's 2-D plot.
        var trainSet: Dataset
        var validationSet: Dataset?
        var testCount: Int
        var classNames: [String]
        var preprocessor: Preprocessor
        var featureCount: Int
        var featureNames: [String]?
        /// The label column's name in the training file, when it had a header.
        var labelName: String?
        var loadSeconds: Double
    }

    init(_ arguments: ParsedArguments, options: TrainOptions, context: CommandContext, mpi: MPIContext?) {
        self.arguments = arguments
        self.options = options
        self.context = context
        self.mpi = mpi
        // Only rank 0 speaks; the other ranks' progress would repeat it.
        console = (mpi?.rank ?? 0) == 0 ? context.console : Console.capturing()
        // L-BFGS reports one full-batch optimization, not `epochs` passes.
        progress = ProgressReporter(console: console, json: options.json,
                                    totalEpochs: options.configuration.optimizer == .lbfgs ? 1 : options.configuration.epochs)
    }

    /// Every stage in order.
    func run() throws -> ExitCode {
        if let t = options.threads { BLAS.threads = t }
        let data = try prepareData()
        let (model, trainer) = try buildModel(data)
        try resumeIfAsked(trainer)
        let parallel = try startDistributed(trainer, data: data)
        if options.diagnostics.allReduceOnly != nil, let parallel { try measureAllReduceOnly(parallel); return .success }
        let c = options.configuration
        let schedule = c.optimizer == .lbfgs ? "lbfgs, full batch, at most \(c.lbfgsIterations) iterations"
                                             : "\(c.optimizer.rawValue) lr \(c.learningRate), batch \(c.batchSize), \(c.epochs) epochs"
        progress.note("model: \(options.modelName) \(model.summary), \(model.parameterCount) parameters; \(options.loss) loss, "
                      + "\(schedule), \(BLAS.threads) BLAS threads")
        let outcome = try train(trainer, data: data)
        try parallel?.checkParametersAgree(epoch: trainer.completedEpochs)
        guard rank == 0 else { return .success }   // every rank holds rank 0's parameters: it alone evaluates and writes
        let evaluation = try evaluate(model, data: data)
        try writeOutputs(trainer, data: data, outcome: outcome, evaluation: evaluation)
        try printSummary(trainer, outcome: outcome, evaluation: evaluation, parallel: parallel, data: data)
        if outcome.interrupted {
            let written = "model" + (options.report == nil ? "" : " and report")
            console.printError("circuits train: interrupted after \(trainer.completedEpochs) complete epoch\(trainer.completedEpochs == 1 ? "" : "s"); \(written) written for what was trained")
            return .failure
        }
        return .success
    }

    // MARK: Data

    /// Reads the data, checks it against the task and the options, splits off validation, fits
    /// preprocessing on the training part and converts every part to `TrainingData`.
    ///
    /// Every check that can fail runs here, before the model is built: a test file with no examples or
    /// another width, one class, a continuous label column, `--pca` beyond what the training split spans.
    func prepareData() throws -> PreparedData {
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let dataName = arguments.string("data") ?? ""
        let loaded = try DataInput.load(arguments)
        DataInput.report(loaded.warnings, console: console)
        var testSet = loaded.test
        var testName = dataName
        var all = loaded.train
        _ = consume loaded   // the training set is held once from here on
        if let test = arguments.string("test") {
            // Read as a model of this training set would read it: columns by name, LIBSVM at this width.
            let expected = ExpectedColumns(featureCount: all.featureCount, featureNames: all.featureNames, labelName: all.labelName)
            let read = try DataInput.load(arguments, path: "test", labels: "test-labels", expected: expected)
            DataInput.report(read.warnings, console: console)
            testSet = read.train
            testName = test
        }
        if let limit = options.diagnostics.limit, limit < all.count { all = try all.subset(Array(0..<limit)) }
        guard all.count > 0 else { throw CLIError.failure("\(dataName): no examples") }
        let loss = options.loss
        if loss.isRegression && all.targets == nil {
            throw CLIError.failure("\(dataName): \(loss) needs numeric labels (regression targets)")
        }
        if !loss.isRegression { try DataChecks.requireClassification(all, name: dataName) }
        let embedding = try options.model.embedding(command: arguments.command)
        try DataChecks.checkTokenIDs(all.features, embedding: embedding, name: dataName)
        if let testSet { try DataChecks.checkTokenIDs(testSet.features, embedding: embedding, name: testName) }
        if loss.isBinary && all.classCount != 2 {
            throw CLIError.failure("\(loss) is a binary loss, but the data has \(all.classCount) classes; use softmax or multiclass-hinge")
        }
        if let testSet, testSet.featureCount != all.featureCount {
            throw CLIError.failure("\(testName): has \(testSet.featureCount) features per example; the training data \(dataName) has \(all.featureCount)")
        }
        let classNames = loss.isRegression ? [] : all.classNames
        let featureCount = all.featureCount, featureNames = all.featureNames, labelName = all.labelName
        // Counts only: holding a second reference to the features would make the in-place split copy them.
        let wholeCounts = loss.isRegression ? nil : all.classCounts
        var trainSet = consume all, validationSet: Dataset? = nil
        if options.validationSplit > 0 {
            // In place: the validation rows move to the end and both parts are views of one buffer, so
            // the training set is never copied (peak memory stays near one copy of the data).
            let parts = try (consume trainSet).partitioned(validation: options.validationSplit, stratified: !loss.isRegression,
                                                           seed: options.configuration.seed)
            if parts.validation.count > 0 && parts.train.count > 0 {
                trainSet = parts.train
                validationSet = parts.validation
            } else {
                trainSet = parts.train.count > 0 ? parts.train : parts.validation   // too few rows to hold any out
                console.printError("warning: \(dataName): \(trainSet.count) examples are too few to hold out \(options.validationSplit) for validation; training on all of them")
            }
        }
        if let wholeCounts {
            for w in DataChecks.splitWarnings(classNames: classNames, counts: wholeCounts, train: trainSet, validation: validationSet, name: dataName) {
                console.printError("warning: \(w)")
            }
        }
        if options.preprocessing == .pca, let k = options.pcaComponents {
            try DataChecks.checkPCA(k, trainCount: trainSet.count, features: featureCount)
        }
        if options.preprocessing == .standardize {
            let constant = Standardizer.constantColumns(of: trainSet.features)
            if !constant.isEmpty && constant.count < featureCount {
                let shown = constant.prefix(5).map { j in featureNames.map { "\"\($0[j])\"" } ?? "column \(j)" }.joined(separator: ", ")
                console.printError("note: --standardize: \(constant.count) of \(featureCount) features are constant in the training split and are only centred (\(shown)\(constant.count > 5 ? ", …" : ""))")
            } else if constant.count == featureCount {
                console.printError("warning: \(dataName): every feature is constant in the training split; the model can only learn the class frequencies")
            }
        }
        let preprocessor = try Preprocessor.fit(options.preprocessing, on: trainSet.features, pcaComponents: options.pcaComponents)
        func trainingData(_ d: Dataset, file: String) throws -> TrainingData<Scalar> {
            let x = try d.transformed(by: preprocessor)
            let features = x.features.converted(to: Scalar.self)
            if loss.isRegression {
                guard let t = d.targets else { throw CLIError.failure("\(file): needs numeric labels for \(loss)") }
                return try TrainingData(features: features, values: Tensor(t).converted(to: Scalar.self), exampleShape: x.exampleShape)
            }
            guard !d.labels.isEmpty else { throw CLIError.failure("\(file): has no labels to train or evaluate with") }
            return try TrainingData(features: features, labels: try DataInput.align(d, to: classNames, file: file),
                                    classes: classNames.count, exampleShape: x.exampleShape)
        }
        let train = try trainingData(trainSet, file: dataName)
        let validation = try validationSet.map { try trainingData($0, file: dataName) }
        let test = try testSet.map { try trainingData($0, file: testName) }
        let loadSeconds = seconds(since: loadStart)
        progress.note("data: \(trainSet.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test examples; "
                      + "\(featureCount) features\(preprocessor.outputDimension != featureCount ? " → \(preprocessor.outputDimension)" : "")"
                      + (loss.isRegression ? "" : ", \(classNames.count) classes") + String(format: " (%.1fs)", loadSeconds))
        return PreparedData(name: dataName, testName: testName, train: train, validation: validation, test: test, trainSet: trainSet,
                            validationSet: validationSet, testCount: testSet?.count ?? 0, classNames: classNames,
                            preprocessor: preprocessor, featureCount: featureCount, featureNames: featureNames, labelName: labelName,
                            loadSeconds: loadSeconds)
    }

    // MARK: Model

    /// The architecture `--model` names for this data, built with the seed's generator.
    func buildModel(_ data: PreparedData) throws -> (Sequential<Scalar>, Trainer<Scalar>) {
        let outputs = options.loss.isRegression ? 1 : options.loss.outputs(classes: data.classNames.count)
        let architecture = try options.model.architecture(exampleShape: data.train.exampleShape, outputs: outputs,
                                                          dropout: options.dropout, command: arguments.command)
        try ModelFileCheck.check(architecture, name: "--model \(options.modelName)", stored: nil)   // sizes before any allocation
        var rng = SeededRNG(seed: options.configuration.seed)
        let model = try Sequential<Scalar>(inputShape: architecture.input, specs: architecture.layers,
                                           initializer: initializer(architecture), rng: &rng)
        return (model, try Trainer(model: model, loss: options.loss, configuration: options.configuration))
    }

    func initializer(_ architecture: Architecture) -> Initializer { options.initializer ?? ModelGrammar.defaultInitializer(architecture) }

    /// The model file this run writes (and its checkpoints extend).
    func modelFile(_ model: Sequential<Scalar>, data: PreparedData) throws -> ModelFile<Scalar> {
        var extra = ["preprocessing": try ModelFile<Scalar>.json(data.preprocessor), "data": data.name,
                     "initializer": initializer(Architecture(input: model.inputShape, layers: model.specs)).rawValue]
        if let names = data.featureNames { extra["features"] = try ModelFile<Scalar>.json(names) }
        if let label = data.labelName { extra["label"] = label }
        return ModelFile(model: model, loss: options.loss, classNames: data.classNames, configuration: options.configuration, extra: extra)
    }

    var checkpointURL: URL { URL(fileURLWithPath: options.resolvedCheckpointPath) }

    /// `--resume`: rank 0 restores the checkpoint (the other ranks receive it in `startDistributed`).
    func resumeIfAsked(_ trainer: Trainer<Scalar>) throws {
        guard options.resume && rank == 0 else { return }
        try DataInput.requireReadable(checkpointURL.path)
        let checkpoint = try Checkpoint<Scalar>.decode(try ModelFileCheck.read(checkpointURL))
        guard checkpoint.fingerprint == options.fingerprint else {
            let changes = TrainOptions.fingerprintDifferences(saved: checkpoint.fingerprint, current: options.fingerprint)
            throw CLIError.failure("\(checkpointURL.path): written with other settings — "
                                   + (changes.isEmpty ? checkpoint.fingerprint : changes.joined(separator: ", "))
                                   + "; resume with the checkpoint's options (a finished run cannot be extended by resuming it)")
        }
        guard checkpoint.file.model.specs == trainer.model.specs, checkpoint.file.model.inputShape == trainer.model.inputShape else {
            throw CLIError.failure("\(checkpointURL.path): holds another architecture (\(checkpoint.file.model.summary)); resume with the same options")
        }
        try trainer.restore(checkpoint.state)
        progress.note("resuming from \(checkpointURL.path) after epoch \(checkpoint.state.completedEpochs)")
    }

    // MARK: Distributed

    /// With `--distributed`: checks that every rank was started alike and gives them rank 0's state.
    func startDistributed(_ trainer: Trainer<Scalar>, data: PreparedData) throws -> DataParallelTrainer<Scalar>? {
        guard let mpi else { return nil }
        let parallel = try DataParallelTrainer(trainer, mpi: mpi)
        var fingerprint = ConfigurationFingerprint()
        let source = data.name
        fingerprint.add("data file", source.hasPrefix("toy:") || source.hasPrefix("synthetic:") ? source : ConfigurationFingerprint.file(at: source))
        // What the trainer's own fields (model, seed, batch size, optimizer, data digest) do not cover.
        fingerprint.add("preprocessing", "\(options.preprocessing.rawValue) \(options.pcaComponents ?? 0)")
        fingerprint.add("validation split", "\(options.validationSplit)")
        fingerprint.add("dropout", "\(options.dropout)")
        try parallel.start(fingerprint: fingerprint, data: data.train)
        if let die = options.diagnostics.dieRank, die == mpi.rank {
            var steps = 0
            let dieStep = options.diagnostics.dieStep, signal = options.diagnostics.dieSignal == "stop" ? SIGSTOP : SIGKILL
            parallel.synchronizer.beforeAllReduce = {
                steps += 1
                if steps == dieStep { kill(getpid(), signal) }
            }
        }
        progress.note("distributed: \(mpi.size) ranks, each on its part of every batch of \(options.configuration.batchSize)")
        return parallel
    }

    /// `--allreduce-only N`: the wire cost alone (no compute, so no rank waits for a slower backward).
    func measureAllReduceOnly(_ parallel: DataParallelTrainer<Scalar>) throws {
        guard let n = options.diagnostics.allReduceOnly, let mpi else { return }
        let parameters = parallel.trainer.model.parameters
        try parallel.reducer.allReduceGradients(parameters, localCount: 1, globalCount: mpi.size)   // warm-up
        parallel.reducer.resetStatistics()
        for _ in 0..<n { try parallel.reducer.allReduceGradients(parameters, localCount: 1, globalCount: mpi.size) }
        let s = parallel.reducer.statistics
        if rank == 0 {
            console.print(String(format: "all-reduce only: %d ranks, %d bytes, %.3f ms per all-reduce (%d calls), ring estimate %d bytes sent per rank",
                                 mpi.size, s.bufferBytes, s.millisecondsPerCall, s.calls, s.ringBytesSentPerRank))
        }
    }

    // MARK: Training

    struct Outcome {
        var interrupted: Bool
        var seconds: Double
        var epochsThisRun: Int
        /// Tensor buffers allocated at the end of each epoch of this run (a warm epoch allocates none).
        var buffersAtEpochEnd: [Int]
        /// How an L-BFGS run ended: iterations against the budget, and why.
        var lbfgs: LBFGSOutcome? = nil
    }

    /// Trains with progress, Ctrl-C and checkpoints.
    func train(_ trainer: Trainer<Scalar>, data: PreparedData) throws -> Outcome {
        let interrupt = InterruptSignal()
        // Under mpirun, Ctrl-C goes to mpirun, which ends every rank; resume from a checkpoint.
        if context.handlesSignals && mpi == nil { interrupt.install(console: console) }
        defer { if context.handlesSignals && mpi == nil { interrupt.uninstall() } }
        var checkpointError: Error? = nil
        var buffers: [Int] = []
        let start = DispatchTime.now().uptimeNanoseconds
        let epochsBefore = trainer.completedEpochs
        let batchSize = options.configuration.batchSize
        let file = try modelFile(trainer.model, data: data)
        let result = try trainer.fit(data.train, validation: data.validation) { event in
            switch event {
            case let .batch(epoch, batch, batches, batchLoss, rate):
                self.progress.batch(epoch: epoch, batch: batch, batches: batches, loss: batchLoss, examplesPerSecond: rate, batchSize: batchSize)
                if self.context.interruptAfter?(epoch, batch) == true { interrupt.request() }
                return interrupt.isRequested ? .stop : .proceed
            case let .epoch(report):
                buffers.append(Tensor<Scalar>.buffersAllocated)
                self.progress.epoch(report)
                if self.rank == 0, let every = self.options.checkpointEvery, trainer.completedEpochs % every == 0 {
                    do {
                        try Checkpoint(file: file, state: trainer.state, fingerprint: self.options.fingerprint).write(to: self.checkpointURL)
                    } catch {
                        // The other ranks cannot know: end the job rather than leave them waiting.
                        if let mpi = self.mpi { mpi.abort("checkpoint \(self.checkpointURL.path): \(oneLine(error))") }
                        checkpointError = error
                        return .stop
                    }
                }
                return interrupt.isRequested ? .stop : .proceed
            }
        }
        if let checkpointError { throw CLIError.failure("checkpoint \(checkpointURL.path): \(oneLine(checkpointError))") }
        if result.interrupted, let partial = result.epochs.last, partial.epoch > (trainer.history.last?.epoch ?? 0) {
            // The epoch cut short by Ctrl-C is reported too, marked as partial by its smaller example count.
            trainer.history.append(partial)
        }
        return Outcome(interrupted: result.interrupted, seconds: seconds(since: start),
                       epochsThisRun: trainer.completedEpochs - epochsBefore, buffersAtEpochEnd: buffers, lbfgs: result.lbfgs)
    }

    // MARK: Evaluation

    struct Evaluation {
        var test: ClassificationMetrics?
        var regression: RegressionMetrics?
        /// The test metrics, or the validation split's when there is no test set.
        var heldOut: ClassificationMetrics?
        var heldOutName: String
        /// The held-out set's predicted classes (for the report's misclassified images).
        var heldOutPredictions: [Int]? = nil
    }

    func evaluate(_ model: Sequential<Scalar>, data: PreparedData) throws -> Evaluation {
        var e = Evaluation(test: nil, regression: nil, heldOut: nil, heldOutName: "test set")
        let classes = data.classNames.count
        if let test = data.test {
            if options.loss.isRegression, case let .values(t) = test.targets {
                e.regression = try RegressionMetrics(predictions: try model.predict(test.features), targets: t)
            } else if !options.loss.isRegression {
                let predictions = try model.predictClasses(test.features)
                e.test = try ClassificationMetrics(predictions: predictions, labels: test.labels, classes: classes)
                e.heldOutPredictions = predictions
            }
        }
        e.heldOut = e.test
        if e.heldOut == nil, let validation = data.validation, !options.loss.isRegression {
            let predictions = try model.predictClasses(validation.features)
            e.heldOut = try ClassificationMetrics(predictions: predictions, labels: validation.labels, classes: classes)
            e.heldOutName = "validation split"
            e.heldOutPredictions = predictions
        }
        return e
    }

    // MARK: Outputs

    /// The model file, `--parameters-out`, and the report.
    func writeOutputs(_ trainer: Trainer<Scalar>, data: PreparedData, outcome: Outcome, evaluation: Evaluation) throws {
        try modelFile(trainer.model, data: data).write(to: URL(fileURLWithPath: options.out))
        if let path = options.diagnostics.parametersOut { try writeParameters(trainer.model, to: path) }
        guard let reportPath = options.report else { return }
        let model = trainer.model, c = options.configuration, history = trainer.history
        var settings: [(String, String)] = [
            ("data", data.name), ("model", options.modelName), ("layers", model.summary), ("parameters", "\(model.parameterCount)"),
            ("loss", "\(options.loss)"), ("optimizer", c.optimizer.rawValue), ("learning rate", "\(c.learningRate)"),
            ("batch size", c.optimizer == .lbfgs ? "full batch" : "\(c.batchSize)"),
            outcome.lbfgs.map { ("iterations", "\($0.iterations) of at most \($0.maxIterations) (\($0.stopReason.rawValue))") }
                ?? ("epochs", "\(trainer.completedEpochs) of \(c.epochs)"),
            ("L2 / L1", "\(c.regularization.l2) / \(c.regularization.l1)"), ("dropout", "\(options.dropout)"),
            ("validation split", "\(options.validationSplit)"),
            ("preprocessing", options.preprocessing == .pca ? "pca \(options.pcaComponents ?? 0)" : options.preprocessing.rawValue),
            ("seed", "\(c.seed)"), ("BLAS", "\(BLAS.coreName), \(BLAS.threads) threads"),
        ]
        settings.append(("examples", "\(data.trainSet.count) train / \(data.validationSet?.count ?? 0) validation / \(data.testCount) test"))
        let timings: [(String, String)] = [("loading", String(format: "%.2f s", data.loadSeconds)), ("training", String(format: "%.2f s", outcome.seconds)),
                                           ("throughput", "\(ProgressReporter.rate(throughput(history))) examples/s"),
                                           ("total", String(format: "%.2f s", seconds(since: wallStart)))]
        var report = Report(title: "circuits train — \(URL(fileURLWithPath: data.name).lastPathComponent)", settings: settings, timings: timings,
                            history: history, classNames: data.classNames, metrics: evaluation.heldOut, metricsSource: evaluation.heldOutName)
        if outcome.interrupted {
            report.notes.append("Interrupted: the run was stopped with Ctrl-C during epoch \(trainer.completedEpochs + 1); the figures show what was trained.")
        }
        if data.featureCount == 2 && !options.loss.isRegression {
            // Every point of the data file: the training part and the held-out part (2-D, so small).
            var points = data.trainSet
            if let v = data.validationSet {
                points = try Dataset(features: try Tensor.concatenate([data.trainSet.features, v.features]), labels: data.trainSet.labels + v.labels,
                                     classNames: data.trainSet.classNames, featureNames: data.trainSet.featureNames)
            }
            report.regions = try decisionRegions(points, model: model, preprocessor: data.preprocessor,
                                                 labels: try DataInput.align(points, to: data.classNames, file: data.name))
        }
        if let conv = model.layers.lazy.compactMap({ $0 as? Conv2D<Scalar> }).first {
            let w = conv.weight.value
            report.pictures.append(("First-layer filters", ReportImages.filters(w),
                                    "The \(w.shape[0]) kernels of the first convolution (\(w.shape[2])×\(w.shape[3])\(w.shape[1] == 3 ? ", RGB" : w.shape[1] > 1 ? ", channel 0 of \(w.shape[1])" : "")): gray is 0, white and black the largest weight's ±."))
        }
        if let predictions = evaluation.heldOutPredictions, let set = evaluation.heldOutName == "test set" ? data.test : data.validation,
           [2, 3].contains(set.exampleShape.count) {
            let (html, count) = ReportImages.misclassified(set.features, exampleShape: set.exampleShape, labels: set.labels, predictions: predictions,
                                                           classNames: data.classNames)
            if count > 0 {
                report.pictures.append(("Misclassified (\(evaluation.heldOutName))", html,
                                        "\(min(count, 48)) of the \(count) misclassified images, in data order, captioned true → predicted class; each image scaled to its own range."))
            }
        }
        do {
            try Data(report.html.utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        } catch {
            throw CLIError.failure("\(reportPath): cannot write the report: \(error.localizedDescription)")
        }
    }

    /// Examples per second over the run's epochs.
    func throughput(_ history: [EpochReport]) -> Double {
        let examples = history.reduce(0.0) { $0 + $1.examplesPerSecond * $1.seconds }
        return examples / max(history.reduce(0.0) { $0 + $1.seconds }, 1e-9)
    }

    /// The model's class over a grid spanning the data (with a margin), and up to 1500 of the points.
    func decisionRegions(_ data: Dataset, model: Sequential<Scalar>, preprocessor: Preprocessor, labels: [Int]) throws -> DecisionRegions {
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
        let classes = try model.predictClasses(try preprocessor.transform(grid).converted(to: Scalar.self))
        let stride = max(1, data.count / 1500)
        let points = Swift.stride(from: 0, to: data.count, by: stride).map { (x: xs[$0], y: ys[$0], label: labels[$0]) }
        return DecisionRegions(xRange: xr, yRange: yr, resolution: n, classes: classes, points: points)
    }

    /// All parameters, in order, as text: one `name count` line, then one value per line with full
    /// precision (%.17g survives a round trip for Double and Float alike). For the distributed tests.
    func writeParameters(_ model: Sequential<Scalar>, to path: String) throws {
        var text = ""
        for p in model.parameters {
            text += "\(p.name) \(p.variable.value.count)\n"
            for v in p.variable.value.scalars { text += String(format: "%.17g\n", Double(v)) }
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError.failure("\(path): cannot write the parameters: \(error.localizedDescription)")
        }
    }

    // MARK: Summary

    func printSummary(_ trainer: Trainer<Scalar>, outcome: Outcome, evaluation: Evaluation, parallel: DataParallelTrainer<Scalar>?,
                      data: PreparedData) throws {
        let rate = throughput(trainer.history)
        if options.diagnostics.statsJSON { printStats(trainer, outcome: outcome, evaluation: evaluation, parallel: parallel, data: data) }
        let summary = TrainCommand.Summary(interrupted: outcome.interrupted, epochs: trainer.completedEpochs, trainSeconds: outcome.seconds,
                                           examplesPerSecond: rate, testAccuracy: evaluation.test?.accuracy,
                                           testExamples: evaluation.test?.total, validationAccuracy: trainer.history.last?.validationAccuracy,
                                           testRMSE: evaluation.regression?.rmse, testR2: evaluation.regression?.r2, model: options.out, report: options.report,
                                           iterations: outcome.lbfgs?.iterations, maxIterations: outcome.lbfgs?.maxIterations,
                                           stopReason: outcome.lbfgs?.stopReason.rawValue)
        if options.json {
            console.print(ProgressReporter.json(summary))
            return
        }
        if let m = evaluation.test {
            console.print("test accuracy \(ProgressReporter.percent(m.accuracy)) (\(m.correct)/\(m.total))")
        } else if let va = summary.validationAccuracy {
            console.print("validation accuracy \(ProgressReporter.percent(va))")
        }
        if let r = evaluation.regression { console.print(String(format: "test RMSE %.4g  R² %.4f", r.rmse, r.r2)) }
        if let l = outcome.lbfgs {
            console.print("training: L-BFGS, \(l.iterations) iteration\(l.iterations == 1 ? "" : "s") of at most \(l.maxIterations) (stopped: \(l.stopReason.rawValue)), "
                          + "\(l.evaluations) loss evaluations in " + String(format: "%.1f s", outcome.seconds))
        } else {
            console.print("training: \(trainer.completedEpochs) epochs in " + String(format: "%.1f s", outcome.seconds) + ", \(ProgressReporter.rate(rate)) examples/s")
        }
        console.print("model: \(options.out)" + (options.report.map { "  report: \($0)" } ?? ""))
    }

    /// `--stats-json`: the run's figures for the scaling measurements and the distributed tests.
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
        var finalTrainLoss: Double?
        /// Tensor buffers allocated during the last epoch (a warm step should allocate none).
        var tensorBuffersAllocatedInLastEpoch: Int?
        var testAccuracy: Double?
    }

    func printStats(_ trainer: Trainer<Scalar>, outcome: Outcome, evaluation: Evaluation, parallel: DataParallelTrainer<Scalar>?, data: PreparedData) {
        let s = parallel?.reducer.statistics
        let epochs = outcome.epochsThisRun
        let steps = s?.calls ?? epochs * ((data.train.count + options.configuration.batchSize - 1) / options.configuration.batchSize)
        let b = outcome.buffersAtEpochEnd
        let stats = Stats(ranks: mpi?.size ?? 1, examples: data.train.count, epochs: epochs, seconds: outcome.seconds,
                          examplesPerSecond: Double(data.train.count * epochs) / max(outcome.seconds, 1e-9),
                          steps: s?.calls ?? 0, allReduceMillisecondsPerStep: s?.millisecondsPerCall ?? 0,
                          otherMillisecondsPerStep: (outcome.seconds - (s?.seconds ?? 0)) * 1e3 / Double(max(steps, 1)),
                          allReduceBufferBytes: s?.bufferBytes ?? 0, ringBytesSentPerRankPerStep: s?.ringBytesSentPerRank ?? 0,
                          parameters: trainer.model.parameterCount, finalTrainLoss: trainer.history.last?.trainLoss,
                          tensorBuffersAllocatedInLastEpoch: b.count >= 2 ? b[b.count - 1] - b[b.count - 2] : nil,
                          testAccuracy: evaluation.test?.accuracy)
        console.print(ProgressReporter.json(stats))
    }
}

import Datasets
import Distributed
import Foundation
import Layers
import Tensor

/// `circuits train`: reads data, holds out a stratified validation split, fits preprocessing on the
/// training split only, trains, evaluates on the test set, writes the model and (optionally) the report.
///
/// The defaults are the Fashion-MNIST settings of `make run`: an MLP 784→256→128→10 with ReLU, softmax
/// cross-entropy, Adam at 1e-3 with cosine decay, batches of 128, 20 epochs, seed 42 (89.87% test accuracy).
/// One pipeline serves a single process and every rank of an MPI job (`--distributed`); the stages are
/// the methods of `TrainingRun`.
enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train a classifier (or regressor) and save it as safetensors"
    static var options: [OptionSpec] { TrainOptions.specs }
    static let details = """
    Examples:
      circuits train --data /usr/share/datasets/fashion-mnist --out model.safetensors --report report.html
      circuits train --data iris.csv --label-column species --model mlp:16 --standardize --epochs 200
      circuits train --data toy:spirals --model mlp:32,32:gelu --lr 0.01 --epochs 300 --report spirals.html
      circuits train --data toy:moons --model "dense:64,silu,dropout:0.1,dense:64,silu"
      circuits train --data /usr/share/datasets/fashion-mnist --model cnn --report report.html
      circuits train --data images.csv --image-shape 3x32x32 --model "conv:32x3,bn,relu,pool:2,conv:64x3,relu,gap" --augment shift:4,flip
    --model: \(ModelGrammar.help). The output layer (as many scores as the loss needs) is appended unless
    the list ends with a dense layer of that width; activations: \(ModelGrammar.activationNames).
    Layers for images: conv:32x3 (32 filters 3×3, stride 1, same padding), conv:8x5x3/2 (5 high × 3 wide,
    stride 2), conv:16x3:valid (or :same, or :N pixels of zero padding per side), pool:2 (max, window 2,
    stride 2), pool:3/2 (window 3, stride 2; :N pads), avgpool:2, gap (global average), bn (batch norm per
    channel, or per feature after a dense layer), dropout:P, dense:N, flatten. A flatten comes before the
    first dense layer by itself. Images come from IDX files ([1, 28, 28]), NPY arrays [N, H, W] or
    [N, C, H, W], or CSV/LIBSVM rows with --image-shape C×H×W.
    Presets: \(ModelPreset.all.map(\.summary).joined(separator: "; ")). A preset's settings apply unless
    given on the command line. Batch norm does not train with --distributed (its batch statistics would be
    each rank's part's; it is refused).
    Ctrl-C stops after the current batch; the model and report are still written for what was trained.
    With --checkpoint-every N a checkpoint is written atomically every N epochs; rerun with --resume to
    continue (the resumed run ends with the same weights as an uninterrupted one).
    With --distributed, under mpirun, the ranks train one model data-parallel (each on its part of every
    batch, gradients all-reduced); rank 0 prints, evaluates and writes the model, report and checkpoints:
      mpirun -np 4 circuits train --distributed --data /usr/share/datasets/fashion-mnist --out model.safetensors
    """

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let options = try TrainOptions.parse(arguments)
        try OutputPaths.check(arguments, options: ["out", "report", "checkpoint", "parameters-out"],
                              inputs: ["data", "labels", "test", "test-labels", "class-names"])
        func body(_ mpi: MPIContext?) throws -> ExitCode {
            options.diagnostics.double
                ? try TrainingRun<Double>(arguments, options: options, context: context, mpi: mpi).run()
                : try TrainingRun<Float>(arguments, options: options, context: context, mpi: mpi).run()
        }
        guard options.distributed else { return try body(nil) }
        // Every rank runs the command; runJob decides how a failure on one rank ends the whole job.
        return try MPIContext.runJob(timeout: options.diagnostics.timeout ?? MPIContext.defaultTimeout) { try body($0) }
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
        /// L-BFGS only: iterations run, the budget, and why it stopped.
        var iterations: Int? = nil
        var maxIterations: Int? = nil
        var stopReason: String? = nil
    }
}

func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

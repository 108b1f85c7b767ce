import Foundation
import Layers

/// Reports a training run as it goes, in one of three forms:
/// - on a terminal, a progress bar per epoch (batches, loss, examples/s, ETA) redrawn in place, then one
///   summary line per epoch;
/// - otherwise, just the summary lines;
/// - with `--json`, one JSON object per epoch on standard output and a final summary object.
final class ProgressReporter {
    enum Mode { case terminal, plain, json }

    let mode: Mode
    let console: Console
    let totalEpochs: Int
    private var lastDraw: UInt64 = 0

    init(console: Console, json: Bool, totalEpochs: Int) {
        self.console = console
        self.totalEpochs = totalEpochs
        mode = json ? .json : (console.isTerminal ? .terminal : .plain)
    }

    /// A note for the person watching (stderr, so `--json` output stays pure JSON).
    func note(_ text: String) { console.printError(text) }

    /// After each batch: redraws the bar on a terminal, at most ten times a second.
    func batch(epoch: Int, batch: Int, batches: Int, loss: Double, examplesPerSecond: Double, batchSize: Int) {
        guard mode == .terminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard batch == batches || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let width = 28
        let filled = Int(Double(width) * Double(batch) / Double(max(batches, 1)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let remaining = Double((batches - batch) * batchSize) / max(examplesPerSecond, 1)
        let line = "epoch \(epoch + 1)/\(totalEpochs) \(bar) \(batch)/\(batches)  loss " + String(format: "%.4f", loss)
            + "  \(Self.rate(examplesPerSecond)) ex/s  ETA \(Self.duration(remaining))"
        console.writeErrorText("\r\u{1B}[K" + line)
    }

    /// After each epoch: a summary line, or a JSON object.
    func epoch(_ r: EpochReport) {
        switch mode {
        case .json:
            console.print(Self.json(EpochLine(r, of: totalEpochs)))
        case .terminal, .plain:
            if mode == .terminal { console.writeErrorText("\r\u{1B}[K") }
            console.printError(Self.summaryLine(r, of: totalEpochs))
        }
    }

    static func summaryLine(_ r: EpochReport, of total: Int) -> String {
        var s = "epoch \(r.epoch)/\(total)  loss " + String(format: "%.4f", r.trainLoss)
        if let a = r.trainAccuracy { s += "  acc " + percent(a) }
        if let vl = r.validationLoss { s += "  val loss " + String(format: "%.4f", vl) }
        if let va = r.validationAccuracy { s += "  val acc " + percent(va) }
        s += "  \(rate(r.examplesPerSecond)) ex/s  " + String(format: "%.1fs", r.seconds)
        return s
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

    /// 52100 → "52.1k".
    static func rate(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2fM", x / 1e6) : (x >= 1e3 ? String(format: "%.1fk", x / 1e3) : String(format: "%.0f", x))
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// The JSON object printed after each epoch with `--json`.
struct EpochLine: Encodable {
    var event = "epoch"
    var epoch: Int
    var epochs: Int
    var trainLoss: Double
    var trainAccuracy: Double?
    var validationLoss: Double?
    var validationAccuracy: Double?
    var learningRate: Double
    var seconds: Double
    var examplesPerSecond: Double

    init(_ r: EpochReport, of epochs: Int) {
        epoch = r.epoch
        self.epochs = epochs
        trainLoss = r.trainLoss
        trainAccuracy = r.trainAccuracy
        validationLoss = r.validationLoss
        validationAccuracy = r.validationAccuracy
        learningRate = r.learningRate
        seconds = r.seconds
        examplesPerSecond = r.examplesPerSecond
    }
}

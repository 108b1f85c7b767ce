import Foundation
import Layers

/// The HTML report of a training run: one self-contained file (inline CSS and SVG, no scripts, no
/// network) with the loss and accuracy curves, the confusion matrix as a heat map, the per-class table,
/// the run's settings and timings and, for 2-D data, the decision regions with the data on top; for
/// images, the first convolution's filters and misclassified held-out images (`ReportImages`).
struct Report {
    var title: String
    var settings: [(String, String)]
    var timings: [(String, String)]
    var history: [EpochReport]
    var classNames: [String]
    /// Metrics on the held-out data (test set, else validation split), and which data that was.
    var metrics: ClassificationMetrics?
    var metricsSource: String
    var regions: DecisionRegions?
    var notes: [String] = []
    /// Pictures for models of images (`ReportImages`): heading, HTML, caption.
    var pictures: [(heading: String, html: String, caption: String)] = []

    /// The page.
    var html: String {
        var body = "<h1>\(escape(title))</h1>"
        if !notes.isEmpty { body += notes.map { "<p class=\"note\">\(escape($0))</p>" }.joined() }
        if let m = metrics {
            body += "<p class=\"headline\">\(escape(metricsSource)) accuracy <b>\(ProgressReporter.percent(m.accuracy))</b> (\(m.correct) of \(m.total))</p>"
        }
        body += "<section class=\"figures\">"
        let epochs = history.map { Double($0.epoch) }
        body += "<figure>" + ReportCharts.lineChart(id: "loss-curve", title: "Loss", series: [
            ("training", "#1f77b4", Array(zip(epochs, history.map(\.trainLoss)))),
            ("validation", "#ff7f0e", zip(epochs, history).compactMap { e, r in r.validationLoss.map { (e, $0) } }),
        ], percent: false) + "<figcaption>Training loss (mean over the epoch's batches, with regularization) and validation loss.</figcaption></figure>"
        if history.contains(where: { $0.trainAccuracy != nil }) {
            body += "<figure>" + ReportCharts.lineChart(id: "accuracy-curve", title: "Accuracy", series: [
                ("training", "#1f77b4", zip(epochs, history).compactMap { e, r in r.trainAccuracy.map { (e, $0) } }),
                ("validation", "#ff7f0e", zip(epochs, history).compactMap { e, r in r.validationAccuracy.map { (e, $0) } }),
            ], percent: true) + "<figcaption>Training accuracy (on batches as trained) and validation accuracy.</figcaption></figure>"
        }
        if let regions {
            body += "<figure>" + ReportCharts.decisionRegions(regions, classNames: classNames)
                + "<figcaption>Decision regions over the data's range, with the training points on top.</figcaption></figure>"
        }
        if let m = metrics {
            body += "<figure>" + ReportCharts.confusionHeatMap(m, classNames: classNames)
                + "<figcaption>Confusion matrix on the \(escape(metricsSource)): rows are true classes, columns predictions; shade is the share of the row.</figcaption></figure>"
        }
        body += "</section>"
        for p in pictures {
            body += "<h2>\(escape(p.heading))</h2>" + p.html + "<p class=\"caption\">\(escape(p.caption))</p>"
        }
        if let m = metrics { body += perClassTable(m) }
        body += "<section class=\"tables\">" + table("Settings", settings) + table("Timings", timings) + "</section>"
        body += epochTable()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(Self.css)\(pictures.isEmpty ? "" : ReportImages.css)</style></head>
        <body>\(body)<footer>Written by circuits \(CircuitsCLI.version). Self-contained: no scripts, no network.</footer></body></html>
        """
    }

    func perClassTable(_ m: ClassificationMetrics) -> String {
        var rows = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
        for c in 0..<m.classes {
            rows += "<tr><td><span class=\"swatch\" style=\"background:\(ReportCharts.color(c))\"></span>\(escape(ReportCharts.name(c, classNames)))</td>"
                + "<td>\(String(format: "%.3f", m.precision(c)))</td><td>\(String(format: "%.3f", m.recall(c)))</td>"
                + "<td>\(String(format: "%.3f", m.f1(c)))</td><td>\(m.support(c))</td></tr>"
        }
        rows += "<tr class=\"total\"><td>macro F1</td><td></td><td></td><td>\(String(format: "%.3f", m.macroF1))</td><td>\(m.total)</td></tr>"
        return "<section><h2>Per class (\(escape(metricsSource)))</h2><table id=\"per-class\">\(rows)</table></section>"
    }

    func epochTable() -> String {
        var rows = "<tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>learning rate</th><th>seconds</th><th>examples/s</th></tr>"
        func opt(_ x: Double?, percent: Bool = false) -> String {
            guard let x else { return "–" }
            return percent ? ProgressReporter.percent(x) : String(format: "%.4f", x)
        }
        for r in history {
            rows += "<tr><td>\(r.epoch)</td><td>\(opt(r.trainLoss))</td><td>\(opt(r.trainAccuracy, percent: true))</td>"
                + "<td>\(opt(r.validationLoss))</td><td>\(opt(r.validationAccuracy, percent: true))</td>"
                + "<td>\(String(format: "%.3g", r.learningRate))</td><td>\(String(format: "%.2f", r.seconds))</td>"
                + "<td>\(ProgressReporter.rate(r.examplesPerSecond))</td></tr>"
        }
        return "<section><h2>Epochs</h2><table id=\"epochs\">\(rows)</table></section>"
    }

    func table(_ heading: String, _ pairs: [(String, String)]) -> String {
        let rows = pairs.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
        return "<div><h2>\(escape(heading))</h2><table class=\"kv\">\(rows)</table></div>"
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1200px;padding:0 16px;background:#fafafa}
    h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:18px 0 6px}
    .headline{font-size:16px}.note{color:#8a4b00}
    .figures{display:flex;flex-wrap:wrap;gap:16px}
    figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;flex:0 1 auto}
    figcaption{font-size:12px;color:#555;max-width:440px}
    svg.chart{width:460px;height:260px}svg.heatmap{display:block}svg.regions{width:420px;height:420px;display:block}
    .title{font-size:13px;font-weight:600}.tick{font-size:10px;fill:#555}.legend{font-size:11px}.count{font-size:11px}
    .grid{stroke:#eee}.frame{fill:none;stroke:#bbb}
    table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
    th{background:#f0f0f0}table.kv th{text-align:left}table.kv td{text-align:left}
    .tables{display:flex;gap:24px;flex-wrap:wrap}
    .swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
    footer{margin-top:24px;font-size:12px;color:#777}
    """
}

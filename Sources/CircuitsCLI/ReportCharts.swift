import Foundation
import Layers

/// The report's figures, drawn as inline SVG (no scripts, no fonts or images fetched from anywhere).
enum ReportCharts {
    /// Class colours: distinct hues that stay apart when lightened for the decision regions.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static func color(_ c: Int) -> String { palette[c % palette.count] }

    /// The class colour mixed with 72% white, opaque (so overlapping cells leave no seams).
    static func light(_ c: Int) -> String {
        let hex = Array(color(c).dropFirst())
        let channels = stride(from: 0, to: 6, by: 2).map { Int(String(hex[$0..<$0 + 2]), radix: 16) ?? 0 }
        let mixed = channels.map { Int((Double($0) * 0.28 + 255 * 0.72).rounded()) }
        return "rgb(\(mixed[0]),\(mixed[1]),\(mixed[2]))"
    }

    /// A line chart of one or more series over epochs.
    static func lineChart(id: String, title: String, series: [(name: String, color: String, points: [(Double, Double)])],
                          percent: Bool) -> String {
        let w = 460.0, h = 260.0, left = 56.0, right = 16.0, top = 30.0, bottom = 40.0
        let all = series.flatMap(\.points).filter { $0.1.isFinite }
        var svg = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"\(Int(left))\" y=\"18\" class=\"title\">\(escape(title))</text>"
        guard !all.isEmpty else { return svg + "<text x=\"\(Int(w / 2))\" y=\"\(Int(h / 2))\" text-anchor=\"middle\">no data</text></svg>" }
        let xMin = all.map(\.0).min()!, xMax = max(all.map(\.0).max()!, xMin + 1)
        var yMin = all.map(\.1).min()!, yMax = all.map(\.1).max()!
        if yMax - yMin < 1e-9 { yMin -= 0.5; yMax += 0.5 }
        let pad = (yMax - yMin) * 0.08
        yMin -= pad; yMax += pad
        if percent { yMin = max(yMin, 0); yMax = min(yMax, 1) }
        if all.allSatisfy({ $0.1 >= 0 }) { yMin = max(yMin, 0) }
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (w - left - right) }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * (h - top - bottom) }
        // Axes and grid.
        for i in 0...4 {
            let y = yMin + (yMax - yMin) * Double(i) / 4
            let label = percent ? String(format: "%.1f%%", y * 100) : String(format: "%.3g", y)
            svg += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(w - right))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\" class=\"tick\">\(label)</text>"
        }
        let xTicks = Array(Set((0...4).map { Int((xMin + (xMax - xMin) * Double($0) / 4).rounded()) })).sorted()
        for x in xTicks {
            svg += "<text x=\"\(f(px(Double(x))))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\" class=\"tick\">\(x)</text>"
        }
        svg += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 6))\" text-anchor=\"middle\" class=\"tick\">epoch</text>"
        svg += "<rect class=\"frame\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(w - left - right))\" height=\"\(f(h - top - bottom))\"/>"
        for (k, s) in series.enumerated() where !s.points.isEmpty {
            let pts = s.points.filter { $0.1.isFinite }.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\"\(pts)\"/>"
            for p in s.points where p.1.isFinite {
                svg += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(s.color)\"/>"
            }
            let lx = w - right - Double(series.count - k) * 95
            svg += "<rect x=\"\(f(lx))\" y=\"12\" width=\"12\" height=\"3\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"\(f(lx + 16))\" y=\"17\" class=\"legend\">\(escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    /// The confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell's
    /// shade is its share of the row, so per-class recall reads along the diagonal.
    static func confusionHeatMap(_ m: ClassificationMetrics, classNames: [String]) -> String {
        let k = m.classes
        let cell = k <= 10 ? 40.0 : max(12.0, 400.0 / Double(k))
        let labelWidth = 90.0, top = 70.0
        let w = labelWidth + cell * Double(k) + 20, h = top + cell * Double(k) + 20
        var svg = "<svg id=\"confusion\" class=\"heatmap\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"confusion matrix\">"
        svg += "<text x=\"\(f(labelWidth + cell * Double(k) / 2))\" y=\"14\" text-anchor=\"middle\" class=\"tick\">predicted →</text>"
        svg += "<text x=\"12\" y=\"\(f(top + cell * Double(k) / 2))\" text-anchor=\"middle\" class=\"tick\" transform=\"rotate(-90 12 \(f(top + cell * Double(k) / 2)))\">true class</text>"
        for c in 0..<k {
            let x = labelWidth + cell * (Double(c) + 0.5)
            svg += "<text x=\"\(f(x))\" y=\"\(f(top - 6))\" text-anchor=\"start\" transform=\"rotate(-45 \(f(x)) \(f(top - 6)))\" class=\"tick\">\(escape(name(c, classNames)))</text>"
            svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(top + cell * (Double(c) + 0.5) + 4))\" text-anchor=\"end\" class=\"tick\">\(escape(name(c, classNames)))</text>"
        }
        for r in 0..<k {
            let support = max(m.support(r), 1)
            for c in 0..<k {
                let count = m.confusion[r][c]
                let share = Double(count) / Double(support)
                // Diagonal cells in blue, errors in red: the eye finds the confusions at once.
                let hue = r == c ? "33,102,172" : "203,24,29"
                let x = labelWidth + cell * Double(c), y = top + cell * Double(r)
                svg += "<rect class=\"cell\" data-row=\"\(r)\" data-col=\"\(c)\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"rgba(\(hue),\(f(0.06 + 0.94 * share)))\"><title>true \(escape(name(r, classNames))), predicted \(escape(name(c, classNames))): \(count)</title></rect>"
                if cell >= 28 {
                    svg += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" text-anchor=\"middle\" class=\"count\" fill=\"\(share > 0.5 ? "#fff" : "#222")\">\(count)</text>"
                }
            }
        }
        return svg + "</svg>"
    }

    /// Decision regions of a 2-D classifier with the data points on top, as in ConvNetJS's 2-D demo.
    static func decisionRegions(_ r: DecisionRegions, classNames: [String]) -> String {
        let size = 420.0, n = r.resolution
        let cell = size / Double(n)
        var svg = "<svg id=\"regions\" class=\"regions\" viewBox=\"0 0 \(Int(size)) \(Int(size))\" role=\"img\" aria-label=\"decision regions\">"
        // One rectangle per run of equal cells along a grid row: far fewer elements than one per cell.
        for j in 0..<n {
            var i = 0
            while i < n {
                let c = r.classes[j * n + i]
                var end = i + 1
                while end < n && r.classes[j * n + end] == c { end += 1 }
                // Row 0 of the grid is the bottom of the plot (y grows upwards).
                let x = f(Double(i) * cell), y = f(size - Double(j + 1) * cell)
                let width = f(Double(end - i) * cell + 0.5), height = f(cell + 0.5)
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" fill=\"\(light(c))\"/>"
                i = end
            }
        }
        func px(_ x: Double) -> Double { (x - r.xRange.lowerBound) / (r.xRange.upperBound - r.xRange.lowerBound) * size }
        func py(_ y: Double) -> Double { size - (y - r.yRange.lowerBound) / (r.yRange.upperBound - r.yRange.lowerBound) * size }
        for p in r.points {
            svg += "<circle class=\"point\" cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3.5\" fill=\"\(color(p.label))\" stroke=\"#111\" stroke-width=\"0.8\"/>"
        }
        svg += "</svg>"
        let legend = (0..<max(classNames.count, 1)).map { c in
            "<span class=\"swatch\" style=\"background:\(color(c))\"></span>\(escape(name(c, classNames)))"
        }.joined(separator: " ")
        return svg + "<p class=\"legend\">\(legend)</p>"
    }

    static func name(_ c: Int, _ names: [String]) -> String { c < names.count ? names[c] : String(c) }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// A classifier's decisions over a grid covering 2-D data, and the data points (in raw feature units).
struct DecisionRegions {
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    /// Cells per side.
    var resolution: Int
    /// Predicted class per cell, row-major from the bottom-left corner.
    var classes: [Int]
    var points: [(x: Double, y: Double, label: Int)]
}

/// Escapes text for HTML and SVG.
func escape(_ text: String) -> String {
    var out = ""
    for ch in text {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(ch)
        }
    }
    return out
}

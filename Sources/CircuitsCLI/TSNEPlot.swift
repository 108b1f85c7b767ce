import Foundation

/// The scatter plot of a t-SNE embedding: one self-contained HTML page (inline CSS and SVG, no scripts,
/// no network), one colour per class with a legend.
///
/// Each class is one SVG `<path>` of zero-length segments (`M x y h0`) drawn with round caps, so a point
/// costs about a dozen bytes and the browser fills one element per class: 70,000 points make a page of
/// under a megabyte that renders in well under a second. Coordinates are rounded to whole units of a
/// 1000 × 1000 view box (a pixel or less at any sensible size); dots shrink as the count grows.
/// Classes are drawn in order of decreasing size, so small classes stay visible on top.
struct TSNEPlot {
    var title: String
    /// `[N, 2]` row-major.
    var embedding: [Double]
    var labels: [Int]?
    var classNames: [String]
    var details: [(String, String)]

    static let size = 1000.0, margin = 12.0

    /// Class colour: the training report's palette, then evenly spread hues for more than ten classes.
    static func color(_ c: Int, of count: Int) -> String {
        if count <= ReportCharts.palette.count { return ReportCharts.color(c) }
        let hue = Double(c) * 360 / Double(count)
        return String(format: "hsl(%.0f,65%%,%@)", hue, c % 2 == 0 ? "42%" : "58%")
    }

    /// Dot diameter in view-box units for n points.
    static func dotSize(_ n: Int) -> Double { min(7, max(1.6, 360 / Double(max(n, 1)).squareRoot())) }

    var html: String {
        let n = embedding.count / 2
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, embedding[2 * i]); maxX = max(maxX, embedding[2 * i])
            minY = min(minY, embedding[2 * i + 1]); maxY = max(maxY, embedding[2 * i + 1])
        }
        // One scale for both axes: t-SNE distances mean the same in every direction.
        let span = max(maxX - minX, maxY - minY, 1e-12)
        let scale = (Self.size - 2 * Self.margin) / span
        let offsetX = Self.margin + (Self.size - 2 * Self.margin - (maxX - minX) * scale) / 2
        let offsetY = Self.margin + (Self.size - 2 * Self.margin - (maxY - minY) * scale) / 2
        let classCount = labels == nil ? 1 : max(1, classNames.count)
        var paths = [String](repeating: "", count: classCount)
        var counts = [Int](repeating: 0, count: classCount)
        for c in 0..<classCount { paths[c].reserveCapacity(n / classCount * 12) }
        for i in 0..<n {
            let c = labels?[i] ?? 0
            let px = Int(((embedding[2 * i] - minX) * scale + offsetX).rounded())
            // SVG's y axis points down; flip so the picture has the usual orientation.
            let py = Int((Self.size - ((embedding[2 * i + 1] - minY) * scale + offsetY)).rounded())
            paths[c] += "M\(px) \(py)h0"
            counts[c] += 1
        }
        let dot = String(format: "%.2f", Self.dotSize(n))
        var svg = "<svg id=\"tsne-scatter\" class=\"scatter\" viewBox=\"0 0 \(Int(Self.size)) \(Int(Self.size))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"\(Int(Self.size) - 1)\" height=\"\(Int(Self.size) - 1)\"/>"
        let order = (0..<classCount).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        for c in order where counts[c] > 0 {
            svg += "<path class=\"points\" data-class=\"\(c)\" stroke=\"\(Self.color(c, of: classCount))\" stroke-width=\"\(dot)\" d=\"\(paths[c])\"/>"
        }
        svg += "</svg>"
        var legend = ""
        if labels != nil {
            legend = "<ul id=\"legend\" class=\"legend\">"
            for c in 0..<classCount where counts[c] > 0 {
                let name = c < classNames.count ? classNames[c] : "\(c)"
                legend += "<li><span class=\"swatch\" style=\"background:\(Self.color(c, of: classCount))\"></span>\(escape(name)) <span class=\"count\">\(counts[c])</span></li>"
            }
            legend += "</ul>"
        }
        let table = "<table class=\"kv\">" + details.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(Self.css)</style></head>
        <body><h1>\(escape(title))</h1>
        <div class="layout"><figure class="plot">\(svg)<figcaption>\(n) points; one colour per class. Distances between clusters, and cluster sizes, are not meaningful in t-SNE; neighbourhoods are.</figcaption></figure>
        <aside>\(legend)\(table)</aside></div>
        <footer>Written by circuits \(CircuitsCLI.version). Self-contained: no scripts, no network.</footer></body></html>
        """
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1280px;padding:0 16px;background:#fafafa}
    h1{font-size:22px;margin:0 0 12px}
    .layout{display:flex;gap:20px;align-items:flex-start;flex-wrap:wrap}
    figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px}
    figcaption{font-size:12px;color:#555;max-width:820px}
    figure.plot{flex:0 0 auto}aside{flex:1 1 280px;max-width:360px}
    svg.scatter{width:820px;height:820px;max-width:90vw;max-height:90vw;display:block}
    .frame{fill:none;stroke:#ddd}.points{fill:none;stroke-linecap:round;stroke-opacity:.75}
    ul.legend{list-style:none;padding:0;margin:0 0 16px;font-size:14px}ul.legend li{margin:3px 0}
    .swatch{display:inline-block;width:12px;height:12px;margin-right:6px;border-radius:6px;vertical-align:-1px}
    .count{color:#888;font-size:12px}
    table{border-collapse:collapse;background:#fff;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
    th{background:#f0f0f0}
    footer{margin-top:24px;font-size:12px;color:#777}
    """
}

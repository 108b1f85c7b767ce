import Foundation
import Layers
import Tensor

/// The report's pictures for models of images, as ConvNetJS's demos show them: the first convolution's
/// learned filters as small images, and a grid of misclassified held-out images with their true and
/// predicted classes.
///
/// Each picture is an uncompressed 24-bit BMP in a `data:` URI (a few kilobytes for a 28×28 image; no
/// compressor needed, and every browser reads it), scaled up on the page with `image-rendering:
/// pixelated` so a 3×3 filter shows its nine weights as nine squares.
enum ReportImages {
    /// A BMP file of `width` × `height` pixels from RGB bytes (row-major, top row first).
    static func bmp(width: Int, height: Int, rgb: [UInt8]) -> Data {
        let rowBytes = (3 * width + 3) / 4 * 4   // rows are padded to 4 bytes
        let size = 54 + rowBytes * height
        var d = Data(capacity: size)
        func u16(_ v: Int) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)]) }
        func u32(_ v: Int) { for k in 0..<4 { d.append(UInt8((v >> (8 * k)) & 0xFF)) } }
        d.append(contentsOf: [0x42, 0x4D]); u32(size); u32(0); u32(54)       // "BM", file size, reserved, pixel offset
        u32(40); u32(width); u32(height); u16(1); u16(24); u32(0); u32(rowBytes * height)   // BITMAPINFOHEADER
        u32(2835); u32(2835); u32(0); u32(0)                                  // 72 dpi, no palette
        for row in (0..<height).reversed() {                                  // bottom-up, BGR
            for col in 0..<width {
                let p = 3 * (row * width + col)
                d.append(contentsOf: [rgb[p + 2], rgb[p + 1], rgb[p]])
            }
            d.append(contentsOf: [UInt8](repeating: 0, count: rowBytes - 3 * width))
        }
        return d
    }

    /// An `<img>` of `values` laid out `[C, H, W]`: three channels as colour, otherwise the first as gray,
    /// `lo…hi` mapped to black…white (clamped), drawn `scale` times larger.
    static func image(_ values: [Double], channels: Int, height: Int, width: Int, lo: Double, hi: Double, scale: Int, title: String) -> String {
        let plane = height * width
        let range = hi > lo ? hi - lo : 1
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, ((v - lo) / range * 255).rounded()))) }
        var rgb = [UInt8](repeating: 0, count: 3 * plane)
        for p in 0..<plane {
            for c in 0..<3 { rgb[3 * p + c] = byte(values[(channels == 3 ? c : 0) * plane + p]) }
        }
        let uri = "data:image/bmp;base64," + bmp(width: width, height: height, rgb: rgb).base64EncodedString()
        return "<img src=\"\(uri)\" width=\"\(width * scale)\" height=\"\(height * scale)\" title=\"\(escape(title))\" alt=\"\(escape(title))\">"
    }

    /// The kernels of a first convolution's weight `[Cout, Cin, kh, kw]`, one image each (gray is 0,
    /// white and black ± the largest weight's magnitude), at most `limit`.
    static func filters<S: BLASScalar>(_ weight: Tensor<S>, limit: Int = 64) -> String {
        guard weight.rank == 4 else { return "" }
        let (cout, cin, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let values = weight.scalars.map { Double($0) }
        let m = values.map(abs).max() ?? 1
        let size = cin * kh * kw
        let scale = max(4, 48 / max(kh, kw))
        var cells = ""
        for f in 0..<min(cout, limit) {
            cells += image(Array(values[(f * size)..<((f + 1) * size)]), channels: cin, height: kh, width: kw, lo: -m, hi: m, scale: scale,
                           title: "filter \(f)")
        }
        return "<div class=\"tiles\">\(cells)</div>"
    }

    /// Up to `limit` held-out images (rows of `features`, each of `exampleShape`) whose predicted class
    /// is not their label, each scaled by its own range, captioned "true → predicted".
    static func misclassified<S: BLASScalar>(_ features: Tensor<S>, exampleShape: [Int], labels: [Int], predictions: [Int],
                                             classNames: [String], limit: Int = 48) -> (html: String, count: Int) {
        let shape = exampleShape.count == 2 ? [1] + exampleShape : exampleShape
        guard shape.count == 3, features.rank == 2 || features.rank == 4 else { return ("", 0) }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let size = c * h * w
        let wrong = (0..<min(labels.count, predictions.count, features.shape[0])).filter { labels[$0] != predictions[$0] }
        let scale = max(1, 56 / max(h, w))
        let x = features.unsafeReadPointer
        func name(_ k: Int) -> String { k >= 0 && k < classNames.count ? classNames[k] : "\(k)" }
        var cells = ""
        for i in wrong.prefix(limit) {
            let values = (0..<size).map { Double(x[i * size + $0]) }
            let (lo, hi) = (values.min() ?? 0, values.max() ?? 1)
            let caption = "\(name(labels[i])) → \(name(predictions[i]))"
            cells += "<figure class=\"tile\">" + image(values, channels: c, height: h, width: w, lo: lo, hi: hi, scale: scale, title: "example \(i): \(caption)")
                + "<figcaption>\(escape(caption))</figcaption></figure>"
        }
        return ("<div class=\"tiles\">\(cells)</div>", wrong.count)
    }

    static let css = """
    .tiles{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start}
    .tiles img{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid #ccc;background:#888}
    .tile{border:none;padding:0;margin:0;flex:0 0 auto}.tile figcaption{font-size:11px;max-width:90px;color:#444}
    """
}

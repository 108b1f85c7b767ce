/// Data augmentation for images, applied on the fly to each training batch: a random shift of up to
/// `shift` pixels along each axis — the image moves by (dy, dx), each uniform in −shift…shift, with zeros
/// where it leaves the frame, which is a random crop of the image zero-padded by `shift` — and, with
/// `flip`, a left–right mirror of a random half of the images.
///
/// The draws come from the trainer's augmentation generator (part of `TrainingState`, so a resumed run
/// augments as the uninterrupted one would), three per example in example order (dy, dx, flip) for the
/// whole global batch, so every rank of a data-parallel run draws the same numbers and each applies
/// those of its own examples. Validation, test and prediction data are never augmented. Stored with the
/// training settings in model files.
public struct ImageAugmentation: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Largest shift in pixels along each axis (0: none).
    public var shift: Int
    /// Whether images are mirrored left–right with probability ½.
    public var flip: Bool

    public init(shift: Int = 0, flip: Bool = false) {
        self.shift = shift
        self.flip = flip
    }

    /// Whether the augmentation changes anything.
    public var isActive: Bool { shift > 0 || flip }

    /// `shift:2,flip`, the command line's form.
    public var description: String {
        var parts: [String] = []
        if shift > 0 { parts.append("shift:\(shift)") }
        if flip { parts.append("flip") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    /// Channels, height and width of examples of `exampleShape` (`[C, H, W]`, or `[H, W]` as one channel).
    /// - Throws: `TrainingError.invalidConfiguration` for examples that are not images or a shift that
    ///   is not smaller than the image.
    public func imageGeometry(_ exampleShape: [Int]) throws -> (channels: Int, height: Int, width: Int) {
        let shape = exampleShape.count == 2 ? [1] + exampleShape : exampleShape
        guard shape.count == 3 else {
            throw TrainingError.invalidConfiguration("augmentation \(self) needs images [C, H, W] or [H, W], the examples are \(exampleShape) "
                                                     + "(give --image-shape for rows of pixels)")
        }
        guard shift >= 0, shift < shape[1], shift < shape[2] else {
            throw TrainingError.invalidConfiguration("augmentation shift \(shift) must be ≥ 0 and smaller than the image (\(shape[1])×\(shape[2]))")
        }
        return (shape[0], shape[1], shape[2])
    }
}

/// Applies an `ImageAugmentation` to batch buffers in place, with one reusable plane of scratch (a warm
/// step allocates nothing).
final class ImageAugmenter<Scalar: BLASScalar> {
    let augmentation: ImageAugmentation
    let channels: Int, height: Int, width: Int
    private var plane: [Scalar]
    private var draws: [(dy: Int, dx: Int, flip: Bool)] = []

    init(_ augmentation: ImageAugmentation, exampleShape: [Int]) throws {
        self.augmentation = augmentation
        (channels, height, width) = try augmentation.imageGeometry(exampleShape)
        plane = [Scalar](repeating: 0, count: height * width)
    }

    /// Draws the shifts and flips of a global batch of `globalCount` examples from `rng`, then applies
    /// those of examples `offset..<offset + count` to the `count` rows of `batch` (this process's part).
    func apply(_ batch: UnsafeMutablePointer<Scalar>, count: Int, globalCount: Int, offset: Int, rng: inout SeededRNG) {
        let s = augmentation.shift
        draws.removeAll(keepingCapacity: true)
        for _ in 0..<globalCount {
            let dy = s > 0 ? rng.nextInt(below: 2 * s + 1) - s : 0
            let dx = s > 0 ? rng.nextInt(below: 2 * s + 1) - s : 0
            let flip = augmentation.flip ? rng.next() >> 63 == 1 : false
            draws.append((dy, dx, flip))
        }
        let (h, w) = (height, width)
        plane.withUnsafeMutableBufferPointer { scratch in
            let src = scratch.baseAddress!
            for e in 0..<count {
                let (dy, dx, flip) = draws[offset + e]
                if dy == 0 && dx == 0 && !flip { continue }
                for c in 0..<channels {
                    let image = batch + (e * channels + c) * h * w
                    src.update(from: image, count: h * w)
                    // a(i, j) = x(i + dy, j + dx), mirrored: x(i + dy, W − 1 − (j + dx)); 0 outside the frame.
                    for i in 0..<h {
                        let row = image + i * w
                        let r = i + dy
                        guard r >= 0 && r < h else {
                            row.update(repeating: 0, count: w)
                            continue
                        }
                        let from = src + r * w
                        let lo = Swift.max(0, -dx), hi = Swift.min(w, w - dx)
                        for j in 0..<lo { row[j] = 0 }
                        if flip {
                            for j in lo..<hi { row[j] = from[w - 1 - (j + dx)] }
                        } else {
                            for j in lo..<hi { row[j] = from[j + dx] }
                        }
                        for j in Swift.max(hi, lo)..<w { row[j] = 0 }
                    }
                }
            }
        }
    }
}

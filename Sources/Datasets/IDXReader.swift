import Foundation
#if canImport(Tensor)
import Tensor
#endif

/// Reads IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.
///
/// An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of dimensions — then
/// each dimension as a big-endian 32-bit integer, then the elements in row-major order, big-endian.
/// Type codes: `0x08` unsigned byte, `0x09` signed byte, `0x0B` int16, `0x0C` int32, `0x0D` float32,
/// `0x0E` float64. The first dimension counts examples; the others are flattened into one feature row
/// (a 28×28 image becomes 784 features).
///
/// **Scaling.** Unsigned-byte features are pixel intensities and are divided by 255, so they lie in
/// [0, 1]. Other types are converted to Float unchanged.
///
/// **Validation.** The magic, type code and rank are checked; the dimensions must account for the
/// file's length exactly (for gzip: the trailer's uncompressed length, and what the compressed size could
/// possibly expand to) before the one result buffer is allocated; the payload is then decompressed in
/// fixed-size chunks straight into the result tensor, and bytes after it are an error.
///
/// **Labels** are a rank-1 IDX file of non-negative integers, used directly as class indices (classes
/// are `"0"`, `"1"`, … up to the largest label). Next to `train-images-idx3-ubyte[.gz]` the labels are
/// found as `train-labels-idx1-ubyte[.gz]` (MNIST's naming; `t10k-…` likewise).
public enum IDXReader {
    /// Largest label accepted: labels become class indices, and a corrupt label file must not make the
    /// reader allocate billions of class names.
    public static let maximumLabel = 65_535

    struct Header {
        var format: ElementFormat
        var dimensions: [Int]
        var elementCount: Int
    }

    // MARK: Features

    /// Reads an IDX file as a feature matrix `[dimensions[0], product of the rest]`.
    public static func readFeatures(path: String) throws -> Tensor<Float> {
        try readFeatures(ByteInput(path: path))
    }

    /// Reads IDX bytes (plain or gzip) as a feature matrix; `name` is used in error messages.
    public static func readFeatures(data: Data, name: String = "<IDX bytes>") throws -> Tensor<Float> {
        try readFeatures(ByteInput(data: data, name: name))
    }

    static func readFeatures(_ input: ByteInput) throws -> Tensor<Float> { try readExamples(input).features }

    /// The feature matrix and the shape of one example: `[1, H, W]` for a rank-3 file of images (one
    /// channel), the trailing dimensions for higher ranks, `[1]` for a rank-1 file.
    static func readExamples(_ input: ByteInput) throws -> (features: Tensor<Float>, exampleShape: [Int]) {
        let header = try readHeader(input)
        let rows = header.dimensions[0]
        let trailing = Array(header.dimensions.dropFirst())
        let columns = try featureWidth(trailing, name: input.name)
        let features = try readMatrix(from: input, format: header.format, rows: rows, columns: columns,
                                      scaleBytes: true, what: "IDX data")
        try input.expectEnd(what: "the \(header.elementCount) elements the header declares")
        let shape = trailing.count == 2 ? [1] + trailing : (trailing.isEmpty ? [1] : trailing)
        return (features, shape.contains(0) ? [columns] : shape)
    }

    // MARK: Labels

    /// Reads a rank-1 IDX file of class labels.
    public static func readLabels(path: String) throws -> [Int] {
        try readLabels(ByteInput(path: path))
    }

    /// Reads rank-1 IDX label bytes (plain or gzip).
    public static func readLabels(data: Data, name: String = "<IDX labels>") throws -> [Int] {
        try readLabels(ByteInput(data: data, name: name))
    }

    static func readLabels(_ input: ByteInput) throws -> [Int] {
        let header = try readHeader(input)
        guard header.dimensions.count == 1 else {
            throw DataError.shapeMismatch(file: input.name, expected: "a rank-1 label file",
                                          found: "dimensions \(header.dimensions)")
        }
        let values = try readDoubles(from: input, format: header.format, count: header.elementCount, what: "IDX labels")
        try input.expectEnd(what: "the \(header.elementCount) labels the header declares")
        let headerBytes = 8
        var labels = [Int](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            guard v >= 0, v <= Double(maximumLabel), v == v.rounded() else {
                throw DataError.malformed(file: input.name, line: nil, column: nil,
                                          offset: headerBytes + i * header.format.type.size,
                                          expected: "a class index in 0...\(maximumLabel) (label \(i))",
                                          found: "\(v)")
            }
            labels[i] = Int(v)
        }
        return labels
    }

    // MARK: Data sets

    /// Reads images and their labels as a data set.
    ///
    /// - Parameters:
    ///   - images: the features file.
    ///   - labels: the labels file; when nil it is found beside `images` by MNIST's naming convention.
    ///   - nonFinite: what to do with an example holding NaN or ±Inf (float files only; default: throw
    ///     `DataError.nonFinite` naming the file, row and column).
    /// - Throws: `DataError.fileNotFound` naming the labels path looked for, `DataError.shapeMismatch` if
    ///   the two files hold different numbers of examples, or any header or data error.
    public static func read(images: String, labels: String? = nil, nonFinite: NonFiniteValues = .error) throws -> Dataset {
        // Opened first, so a wrong images path is reported as such rather than as missing labels.
        let imagesInput = try ByteInput(path: images)
        let labelsPath: String
        if let labels {
            labelsPath = labels
        } else {
            guard let found = locateLabels(forImages: images) else {
                throw DataError.fileNotFound(labelsPathGuess(forImages: images) ?? "labels for \(images) (pass the labels file explicitly)")
            }
            labelsPath = found
        }
        return try dataset(examples: readExamples(imagesInput), featuresName: images,
                           labels: readLabels(ByteInput(path: labelsPath)), labelsName: labelsPath)
            .checkingFinite(nonFinite, file: images)
    }

    /// Reads images and labels from bytes in memory (each plain or gzip).
    public static func read(imageData: Data, labelData: Data, name: String = "<IDX bytes>", nonFinite: NonFiniteValues = .error) throws -> Dataset {
        try dataset(examples: readExamples(ByteInput(data: imageData, name: name)), featuresName: name,
                    labels: readLabels(ByteInput(data: labelData, name: name + " (labels)")), labelsName: name + " (labels)")
            .checkingFinite(nonFinite, file: name)
    }

    /// Reads an images file alone as an unlabelled data set (data to predict on).
    public static func readUnlabelled(images: String, nonFinite: NonFiniteValues = .error) throws -> Dataset {
        let examples = try readExamples(ByteInput(path: images))
        return try Dataset(unchecked: examples.features, labels: [], classNames: [], exampleShape: examples.exampleShape)
            .checkingFinite(nonFinite, file: images)
    }

    /// Reads a directory holding MNIST's four files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally `.gz`).
    ///
    /// Both sets get the same class names (`"0"` up to the largest label in either).
    public static func readDirectory(_ directory: String, nonFinite: NonFiniteValues = .error) throws -> (train: Dataset, test: Dataset) {
        func find(_ stem: String) throws -> String {
            for candidate in [stem + ".gz", stem] {
                let path = (directory as NSString).appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            throw DataError.fileNotFound((directory as NSString).appendingPathComponent(stem + "[.gz]"))
        }
        var train = try read(images: find("train-images-idx3-ubyte"), labels: find("train-labels-idx1-ubyte"), nonFinite: nonFinite)
        var test = try read(images: find("t10k-images-idx3-ubyte"), labels: find("t10k-labels-idx1-ubyte"), nonFinite: nonFinite)
        guard train.featureCount == test.featureCount else {
            throw DataError.shapeMismatch(file: directory, expected: "test images with \(train.featureCount) features like the training images",
                                          found: "\(test.featureCount)")
        }
        let classes = max(train.classCount, test.classCount)
        train.classNames = (0..<classes).map(String.init)
        test.classNames = train.classNames
        return (train, test)
    }

    /// Whether `directory` holds MNIST-named files (what `DataLoader` checks to pick this reader).
    public static func isMNISTDirectory(_ directory: String) -> Bool {
        ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"].contains { name in
            FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    /// The labels file beside an images file by MNIST's naming (`…images-idx3…` → `…labels-idx1…`),
    /// compressed or not, if it exists.
    public static func locateLabels(forImages path: String) -> String? {
        guard let guess = labelsPathGuess(forImages: path) else { return nil }
        let alternate = guess.hasSuffix(".gz") ? String(guess.dropLast(3)) : guess + ".gz"
        return [guess, alternate].first { FileManager.default.fileExists(atPath: $0) }
    }

    static func labelsPathGuess(forImages path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let file = url.lastPathComponent
        guard file.contains("images") else { return nil }
        let labelsFile = file.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3", with: "idx1")
        return url.deletingLastPathComponent().appendingPathComponent(labelsFile).path
    }

    static func dataset(examples: (features: Tensor<Float>, exampleShape: [Int]), featuresName: String, labels: [Int], labelsName: String) throws -> Dataset {
        let features = examples.features
        guard features.shape[0] == labels.count else {
            throw DataError.shapeMismatch(file: labelsName, expected: "\(features.shape[0]) labels, one per example in \(featuresName)",
                                          found: "\(labels.count)")
        }
        let classes = (labels.max() ?? -1) + 1
        return Dataset(unchecked: features, labels: labels, classNames: (0..<classes).map(String.init), exampleShape: examples.exampleShape)
    }

    // MARK: Header

    static func readHeader(_ input: ByteInput) throws -> Header {
        let magic = try input.readBytes(4, what: "the IDX magic number")
        guard magic[0] == 0, magic[1] == 0 else {
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: 0,
                                      expected: "an IDX magic number starting with two zero bytes",
                                      found: hex(magic))
        }
        let format: ElementFormat
        switch magic[2] {
        case 0x08: format = ElementFormat(type: .uint8, bigEndian: true)
        case 0x09: format = ElementFormat(type: .int8, bigEndian: true)
        case 0x0B: format = ElementFormat(type: .int16, bigEndian: true)
        case 0x0C: format = ElementFormat(type: .int32, bigEndian: true)
        case 0x0D: format = ElementFormat(type: .float32, bigEndian: true)
        case 0x0E: format = ElementFormat(type: .float64, bigEndian: true)
        default:
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: 2,
                                      expected: "an IDX type code (0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)",
                                      found: hex([magic[2]]))
        }
        let rank = Int(magic[3])
        guard (1...8).contains(rank) else {
            throw DataError.malformed(file: input.name, line: nil, column: nil, offset: 3,
                                      expected: "a number of dimensions in 1...8", found: "\(rank)")
        }
        let raw = try input.readBytes(4 * rank, what: "\(rank) IDX dimensions")
        var dimensions: [Int] = []
        for i in 0..<rank {
            var d = 0
            for byte in raw[(4 * i)..<(4 * i + 4)] { d = d << 8 | Int(byte) }
            dimensions.append(d)
        }
        let headerBytes = 4 + 4 * rank
        // Every size is checked against the input before anything is allocated from it.
        guard let elements = checkedProduct(dimensions),
              let payload = checkedProduct([elements, format.type.size]),
              payload <= Int.max - headerBytes else {
            throw DataError.shapeMismatch(file: input.name, expected: "dimensions whose product fits in memory",
                                          found: "dimensions \(dimensions)")
        }
        let total = headerBytes + payload
        if let exact = input.exactSize, exact != total {
            throw DataError.shapeMismatch(
                file: input.name,
                expected: "\(total) bytes (\(headerBytes)-byte header + dimensions \(dimensions) × \(format.type.size) bytes)",
                found: "\(exact) bytes")
        }
        if total > input.maximumSize {
            throw DataError.shapeMismatch(
                file: input.name, expected: "\(total) bytes of data for dimensions \(dimensions)",
                found: "a compressed file that cannot expand beyond \(input.maximumSize) bytes")
        }
        if let trailer = input.gzipTrailerSize, trailer != UInt32(truncatingIfNeeded: total) {
            throw DataError.shapeMismatch(
                file: input.name, expected: "\(total) bytes of data for dimensions \(dimensions)",
                found: "a gzip trailer giving the uncompressed length as \(trailer) (mod 2³²) bytes — truncated or altered?")
        }
        return Header(format: format, dimensions: dimensions, elementCount: elements)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { "0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

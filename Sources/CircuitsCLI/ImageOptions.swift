import Datasets
import Foundation
import Layers

/// The options that concern images: `--image-shape` (rows of pixels read as images), `--class-names`
/// (and the names Fashion-MNIST's classes are known by), and `--augment` for `train`.
enum ImageOptions {
    /// The options of every command that reads data.
    static let dataSpecs: [OptionSpec] = [
        OptionSpec("image-shape", value: "CxHxW",
                   help: "read each row of a CSV, LIBSVM or synthetic set as an image of C channels × H rows × W columns (C×H×W also accepted)"),
        OptionSpec("class-names", value: "FILE",
                   help: "one class name per line, line k naming label k (Fashion-MNIST's IDX files get their names without it)"),
    ]

    static let augmentSpec = OptionSpec("augment", value: "A",
                                        help: "on-the-fly image augmentation of training batches: shift:K (random shift up to K pixels, zero fill), flip (left–right), e.g. shift:2,flip; none",
                                        default: "none (the cnn preset: flip)")

    /// Fashion-MNIST's ten classes, in label order (Xiao, Rasul & Vollgraf 2017, the data set's README).
    static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// `1x28x28` or `1×28×28` as [C, H, W].
    /// - Throws: `CLIError.usage` for anything but three positive integers.
    static func shape(_ text: String, command: String) throws -> [Int] {
        let parts = text.replacingOccurrences(of: "×", with: "x").split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }), parts.reduce(1, { $0.multipliedReportingOverflow(by: $1 ?? 0).partialValue }) < Int(Int32.max) else {
            throw CLIError.usage("--image-shape \"\(text)\": expected channels × height × width, three positive integers (1x28x28)", command: command)
        }
        return parts.map { $0! }
    }

    /// `shift:2,flip`, `flip`, `shift:4`, or `none` (nil).
    /// - Throws: `CLIError.usage` naming the part that is not understood.
    static func augmentation(_ text: String, command: String) throws -> ImageAugmentation? {
        if text == "none" { return nil }
        var a = ImageAugmentation()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let fields = item.split(separator: ":", omittingEmptySubsequences: false)
            switch (fields[0], fields.count) {
            case ("flip", 1): a.flip = true
            case ("shift", 2), ("crop", 2):
                guard let k = Int(fields[1]), k >= 0 else {
                    throw CLIError.usage("--augment \"\(text)\": \"\(item)\" needs a shift in pixels, ≥ 0 (shift:2)", command: command)
                }
                a.shift = k
            default:
                throw CLIError.usage("--augment \"\(text)\": unknown augmentation \"\(item)\"; expected shift:K, flip, or none", command: command)
            }
        }
        return a
    }

    /// The data as the image options say: examples reshaped to `--image-shape`, classes renamed from
    /// `--class-names` (or Fashion-MNIST's names for its IDX files, found by the directory or file name).
    /// - Throws: `CLIError.failure` naming the file and both shapes when the image shape does not fit
    ///   the features per row, or a label that `--class-names` does not name.
    /// `classNamesFile: false` for a command whose own `--class-names` means something else (`tsne`).
    static func apply(_ input: InputData, arguments: ParsedArguments, path: String, classNamesFile: Bool = true) throws -> InputData {
        var data = input
        if let text = arguments.string("image-shape") {
            let shape = try shape(text, command: arguments.command)
            func reshaped(_ d: Dataset) throws -> Dataset {
                let size = shape.reduce(1, *)
                guard size == d.featureCount else {
                    throw CLIError.failure("\(path): --image-shape \(shape.map(String.init).joined(separator: "×")) holds \(size) values, "
                                           + "but each example has \(d.featureCount) features (examples of shape \(d.exampleShape))")
                }
                return try d.reshapingExamples(to: shape)
            }
            data.train = try reshaped(data.train)
            data.test = try data.test.map(reshaped)
        }
        var names: [String]? = nil
        let file = classNamesFile ? arguments.string("class-names") : nil
        if let file {
            // The LM's text reader: a binary or non-UTF-8 file is an error naming the byte offset, a
            // directory says so, and a leading byte-order mark is dropped.
            let scalars = try CharacterText.read(file)
            let text = String(String.UnicodeScalarView(scalars))
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while lines.last == "" { lines.removeLast() }
            if let blank = lines.firstIndex(of: "") { throw CLIError.failure("\(file): line \(blank + 1) is empty; expected one class name per line") }
            if let repeated = lines.indices.first(where: { lines[..<$0].contains(lines[$0]) }) {
                throw CLIError.failure("\(file): line \(repeated + 1) repeats the class name \"\(lines[repeated])\"")
            }
            names = lines
        } else if data.format == .idx, isFashionMNIST(path) {
            names = fashionMNISTClasses
        }
        if let names {
            let source = file ?? "Fashion-MNIST's class names"
            data.train = try renamed(data.train, names, source: source, file: path)
            data.test = try data.test.map { try renamed($0, names, source: source, file: path) }
        }
        return data
    }

    /// Whether `path` names Fashion-MNIST's IDX files (its directory or file names say "fashion").
    static func isFashionMNIST(_ path: String) -> Bool {
        URL(fileURLWithPath: path).standardizedFileURL.pathComponents.suffix(2).contains { $0.lowercased().contains("fashion") }
    }

    /// `data` with class k (label text "k") called `names[k]`.
    static func renamed(_ data: Dataset, _ names: [String], source: String, file: String) throws -> Dataset {
        var copy = data
        copy.classNames = try data.classNames.map { label in
            guard let k = Int(label), k >= 0, k < names.count else {
                throw CLIError.failure("\(file): label \"\(label)\" is not a class index 0…\(names.count - 1) that \(source) names")
            }
            return names[k]
        }
        return copy
    }
}

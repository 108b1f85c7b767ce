import Foundation

/// The file formats `DataLoader` reads.
public enum DataFormat: String, Sendable, CaseIterable, Codable {
    /// Decide from the path: a directory of MNIST files, the extension, or the first bytes.
    case auto
    /// Comma/semicolon/tab-separated values (`CSVReader`).
    case csv
    /// LIBSVM / SVMlight sparse text (`LIBSVMReader`).
    case libsvm
    /// IDX binary arrays, MNIST's format (`IDXReader`).
    case idx
    /// NumPy `.npy` arrays (`NPYReader`).
    case npy
}

/// Reader settings for `DataLoader`; each applies only to its format.
public struct LoadOptions: Sendable, Equatable {
    /// Settings for CSV files.
    public var csv: CSVOptions
    /// Settings for LIBSVM files.
    public var libsvm: LIBSVMOptions
    /// What every reader does with NaN or ±Inf features (and labels): throw (the default) or leave the
    /// rows out. For CSV, `.drop` also drops rows with empty fields and missing-value markers (`NA`),
    /// unless `csv.missing` already says what to do.
    public var nonFinite: NonFiniteValues
    /// Whether an IDX or NPY features file without a labels file is read as unlabelled data (for
    /// prediction) instead of being an error.
    public var labelsOptional: Bool

    /// Default settings for every format unless given.
    public init(csv: CSVOptions = CSVOptions(), libsvm: LIBSVMOptions = LIBSVMOptions(), nonFinite: NonFiniteValues = .error,
                labelsOptional: Bool = false) {
        self.csv = csv
        self.libsvm = libsvm
        self.nonFinite = nonFinite
        self.labelsOptional = labelsOptional
    }
}

/// What a load produced: a training set, and a test set when the source holds one (an MNIST directory).
public struct LoadedData: Sendable {
    /// The data set read (the training set of an MNIST directory).
    public var train: Dataset
    /// The test set, when the source holds one.
    public var test: Dataset?
    /// The format actually read (never `.auto`).
    public var format: DataFormat
}

/// The one entry point the CLI uses to read data, whatever the format.
///
/// ```swift
/// let data = try DataLoader.load(path: "/usr/share/datasets/fashion-mnist")   // train + test
/// let iris = try DataLoader.load(path: "iris.csv", options: .init(csv: .init(label: .name("species"))))
/// ```
public enum DataLoader {
    /// Reads `path` as `format`.
    ///
    /// - Parameters:
    ///   - path: a file, or a directory holding MNIST's four IDX files.
    ///   - format: `.auto` decides from the path (see `detectFormat(path:)`).
    ///   - labels: the labels file for formats that keep labels apart (IDX, NPY). When nil it is found
    ///     by convention: MNIST's `…-images-idx3-ubyte` → `…-labels-idx1-ubyte`; for NPY, `X….npy` → `y….npy`
    ///     or `…features….npy` → `…labels….npy`. CSV and LIBSVM carry their labels inline.
    ///   - options: reader settings.
    /// - Throws: `DataError`, naming the file and place of any problem.
    public static func load(path: String, format: DataFormat = .auto, labels: String? = nil,
                            options: LoadOptions = LoadOptions()) throws -> LoadedData {
        let resolved = format == .auto ? try detectFormat(path: path) : format
        if labels != nil && (resolved == .csv || resolved == .libsvm) {
            throw DataError.invalidArgument(op: "load \(path)", reason: "\(resolved.rawValue) files hold their labels inline; a separate labels file is not used")
        }
        switch resolved {
        case .auto:
            throw DataError.unsupported(file: path, reason: "the format could not be determined")
        case .csv:
            var csv = options.csv
            if options.nonFinite == .drop && csv.missing == .error { csv.missing = .dropRows }
            return LoadedData(train: try CSVReader(options: csv).read(path: path), test: nil, format: .csv)
        case .libsvm:
            var libsvm = options.libsvm
            if options.nonFinite == .drop { libsvm.nonFinite = .drop }
            return LoadedData(train: try LIBSVMReader(options: libsvm).read(path: path), test: nil, format: .libsvm)
        case .idx:
            if isDirectory(path) {
                guard labels == nil else {
                    throw DataError.invalidArgument(op: "load \(path)", reason: "a directory supplies its own labels files")
                }
                let (train, test) = try IDXReader.readDirectory(path, nonFinite: options.nonFinite)
                return LoadedData(train: train, test: test, format: .idx)
            }
            if labels == nil && options.labelsOptional && IDXReader.locateLabels(forImages: path) == nil {
                return LoadedData(train: try IDXReader.readUnlabelled(images: path, nonFinite: options.nonFinite), test: nil, format: .idx)
            }
            return LoadedData(train: try IDXReader.read(images: path, labels: labels, nonFinite: options.nonFinite), test: nil, format: .idx)
        case .npy:
            guard let labelsPath = labels ?? npyLabelsPath(forFeatures: path) else {
                if options.labelsOptional {
                    return LoadedData(train: try NPYReader.readUnlabelled(features: path, nonFinite: options.nonFinite), test: nil, format: .npy)
                }
                throw DataError.fileNotFound(npyLabelsGuess(forFeatures: path) ?? "labels for \(path) (pass the labels .npy file explicitly)")
            }
            return LoadedData(train: try NPYReader.read(features: path, labels: labelsPath, nonFinite: options.nonFinite), test: nil, format: .npy)
        }
    }

    /// The format of `path`: a directory of MNIST-named files is IDX; otherwise the extension decides
    /// (`.csv`/`.tsv`, `.svm`/`.libsvm`/`.svmlight`, `.npy`, `-ubyte`/`.idx`, each optionally `.gz`);
    /// otherwise the first bytes do (NPY magic, IDX magic, `index:value` text, else CSV).
    public static func detectFormat(path: String) throws -> DataFormat {
        if isDirectory(path) {
            guard IDXReader.isMNISTDirectory(path) else {
                throw DataError.unsupported(file: path, reason: "a directory is read only when it holds MNIST's train-images-idx3-ubyte[.gz] and companions")
            }
            return .idx
        }
        var name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        let ext = (name as NSString).pathExtension
        switch ext {
        case "csv", "tsv": return .csv
        case "svm", "libsvm", "svmlight": return .libsvm
        case "npy": return .npy
        case "idx": return .idx
        default:
            if name.hasSuffix("-ubyte") || name.hasSuffix(".idx1-ubyte") || name.hasSuffix(".idx3-ubyte") { return .idx }
        }
        return try sniff(ByteInput(path: path))
    }

    /// Guesses the format from the first bytes (decompressed).
    static func sniff(_ input: ByteInput) throws -> DataFormat {
        var head = [UInt8](repeating: 0, count: 512)
        let got = try head.withUnsafeMutableBytes { try input.read(into: $0) }
        head.removeSubrange(got...)
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        if head.count >= 4, head[0] == 0, head[1] == 0, [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E].contains(head[2]), head[3] >= 1 { return .idx }
        // LIBSVM: the first data line is a number followed by index:value tokens.
        let text = String(decoding: head, as: UTF8.self)
        if let line = text.split(separator: "\n").first(where: { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if tokens.count >= 2, Double(tokens[0]) != nil, tokens[1].contains(":") { return .libsvm }
            if tokens.count == 1, Double(tokens[0]) != nil, !line.contains(",") && !line.contains(";") { return .libsvm }
        }
        return .csv
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// The labels file beside an NPY features file, by the usual naming, if it exists.
    static func npyLabelsPath(forFeatures path: String) -> String? {
        guard let guess = npyLabelsGuess(forFeatures: path), FileManager.default.fileExists(atPath: guess) else { return nil }
        return guess
    }

    static func npyLabelsGuess(forFeatures path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let file = url.lastPathComponent
        let labelsFile: String
        if file.contains("features") {
            labelsFile = file.replacingOccurrences(of: "features", with: "labels")
        } else if file.first == "X" || file.first == "x" {
            labelsFile = "y" + file.dropFirst()
        } else {
            return nil
        }
        return url.deletingLastPathComponent().appendingPathComponent(labelsFile).path
    }
}

/// Reads a data set in any supported format: `DataLoader.load` as a function.
public func loadDataset(path: String, format: DataFormat = .auto, labels: String? = nil,
                        options: LoadOptions = LoadOptions()) throws -> LoadedData {
    try DataLoader.load(path: path, format: format, labels: labels, options: options)
}

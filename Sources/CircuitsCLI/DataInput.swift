import Datasets
import Foundation
import Tensor

/// What `DataInput.load` read: a training set, and a test set when the source holds one.
struct InputData {
    var train: Dataset
    var test: Dataset?
    var format: DataFormat
    /// What the readers did that the user should know (rows left out, a header guessed), one line each.
    var warnings: [String] { train.warnings + (test?.warnings ?? []) }
}

/// The data options shared by `train`, `eval`, `predict` and `search`, and the loading they imply.
///
/// Besides files, `--data toy:NAME[:COUNT]` names one of the 2-D toy sets (`spirals`, `moons`,
/// `circles`, `xor`, `blobs`, `guide`) — handy for trying the decision-region plot of the report.
struct DataInput {
    static let formats = DataFormat.allCases.map(\.rawValue)
    static let headerChoices = ["auto", "yes", "no"]

    /// The data options of a command; `test` adds `--test`, `width` adds `--features` (commands that fit
    /// a model to the data: `train`, `search`); `classNamesFile: false` leaves out `--class-names FILE`
    /// for a command that has an option of that name of its own (`tsne`'s list of names).
    static func options(test: Bool, width: Bool = false, classNamesFile: Bool = true) -> [OptionSpec] {
        var o = [
            OptionSpec("data", value: "FILE|DIR", help: "CSV, LIBSVM, IDX (file or MNIST-style directory), NPY, or toy:NAME[:COUNT]"),
            OptionSpec("labels", value: "FILE", help: "labels file for IDX/NPY features (found by naming convention when omitted)"),
            OptionSpec("format", value: "F", help: "auto|csv|libsvm|idx|npy", default: "auto"),
            OptionSpec("label-column", value: "C", help: "CSV label column: last, none, a 0-based index, or a header name", default: "last"),
            OptionSpec("header", value: "H", help: "CSV header row: yes, no, or auto (guessed, with a warning when the guess is a close call)", default: "auto"),
            OptionSpec("nan", value: "P", help: "NaN, ±Inf or missing feature values: error (naming file, row and column) or drop (leave those rows out, with a warning)", default: "error"),
        ] + ImageOptions.dataSpecs.filter { classNamesFile || $0.name != "class-names" }
        if width {
            o.append(OptionSpec("features", value: "N", help: "LIBSVM: the number of features (absent indices are zeros)", default: "the largest index in the file"))
        }
        if test {
            o += [OptionSpec("test", value: "FILE|DIR", help: "test set, evaluated after training (an MNIST directory brings its own)"),
                  OptionSpec("test-labels", value: "FILE", help: "labels file for the test features")]
        }
        return o
    }

    /// Loads `--data` (and its labels), turning a missing path into a one-line failure naming it.
    ///
    /// - Parameters:
    ///   - expected: the columns a model reads (eval, predict, and `--test` against the training set): a
    ///     CSV with a header is matched by name, a LIBSVM file is read at the model's width.
    ///   - labelsOptional: an IDX or NPY features file without a labels file is read as unlabelled
    ///     (predict).
    /// - Throws: `CLIError.failure` for a file with no examples; readers' errors otherwise, with a hint
    ///   for a non-finite value.
    static func load(_ args: ParsedArguments, path pathOption: String = "data", labels labelsOption: String = "labels",
                     labelColumn: CSVOptions.LabelColumn? = nil, expected: ExpectedColumns? = nil,
                     labelsOptional: Bool = false, classNamesFile: Bool = true) throws -> InputData {
        guard let path = args.string(pathOption) else {
            throw CLIError.usage("--\(pathOption) is required", command: args.command)
        }
        // --image-shape and --class-names apply to whatever was read.
        return try ImageOptions.apply(try read(args, path: path, labels: labelsOption, labelColumn: labelColumn, expected: expected,
                                               labelsOptional: labelsOptional),
                                      arguments: args, path: path, classNamesFile: classNamesFile)
    }

    /// `load` before the image options.
    static func read(_ args: ParsedArguments, path: String, labels labelsOption: String, labelColumn: CSVOptions.LabelColumn?,
                     expected: ExpectedColumns?, labelsOptional: Bool) throws -> InputData {
        if path.hasPrefix("toy:") { return InputData(train: try toy(path, command: args.command), test: nil, format: .csv) }
        if path.hasPrefix("synthetic:") { return InputData(train: try synthetic(path, command: args.command), test: nil, format: .csv) }
        try requireReadable(path)
        let labels = args.string(labelsOption)
        if let labels { try requireReadable(labels) }
        let format = DataFormat(rawValue: try args.choice("format", formats) ?? "auto") ?? .auto
        var options = LoadOptions()
        options.csv.label = try labelColumn ?? parseLabelColumn(args.string("label-column"), command: args.command)
        switch try args.choice("header", headerChoices) ?? "auto" {
        case "yes": options.csv.header = .present
        case "no": options.csv.header = .absent
        default: options.csv.header = .auto
        }
        options.csv.expected = expected
        options.libsvm.dimension = try expected?.featureCount ?? args.int("features", minimum: 1)
        options.nonFinite = NonFiniteValues(rawValue: try args.choice("nan", NonFiniteValues.allCases.map(\.rawValue)) ?? "error") ?? .error
        options.labelsOptional = labelsOptional
        let loaded: LoadedData
        do {
            loaded = try DataLoader.load(path: path, format: format, labels: labels, options: options)
        } catch let error as DataError {
            throw CLIError.failure(explain(error, nanGiven: args.has("nan"), headerGiven: args.has("header")))
        }
        let data = InputData(train: loaded.train, test: loaded.test, format: loaded.format)
        for set in [data.train] + (data.test.map { [$0] } ?? []) where set.count == 0 {
            let dropped = set.warnings.contains { $0.contains("left out") }
            throw CLIError.failure("\(path): no examples\(dropped ? " left after leaving out the rows with missing values" : "")")
        }
        return data
    }

    /// A reader's error, with what the user can do about it when the command line offers a remedy.
    static func explain(_ error: DataError, nanGiven: Bool, headerGiven: Bool) -> String {
        var message = oneLine(error)
        switch error {
        case .nonFinite where !nanGiven:
            message += " (--nan drop leaves such rows out)"
        case let .malformed(_, _, _, _, _, found) where found == "an empty field" && !nanGiven:
            message += " (--nan drop leaves such rows out)"
        case let .invalidArgument(_, reason) where reason.contains("of the model") && !headerGiven:
            message += " (--header no matches the columns by position instead)"
        default:
            break
        }
        return message
    }

    /// Prints the readers' warnings on standard error, one line each.
    static func report(_ warnings: [String], console: Console) {
        for w in warnings { console.printError("warning: \(w)") }
    }

    static func parseLabelColumn(_ text: String?, command: String) throws -> CSVOptions.LabelColumn {
        guard let text else { return .last }
        switch text {
        case "last": return .last
        case "none": return .none
        default:
            if let i = Int(text) {
                guard i >= 0 else { throw CLIError.usage("--label-column index must be ≥ 0, got \(i)", command: command) }
                return .index(i)
            }
            return .name(text)
        }
    }

    /// A missing or unreadable file is one line naming it.
    static func requireReadable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError.failure("\(path): no such file or directory")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError.failure("\(path): not readable (permission denied)")
        }
    }

    /// A file (not a directory) that exists and can be read, or one line saying which of these it is not.
    static func requireReadableFile(_ path: String) throws {
        try requireReadable(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError.failure("\(path): is a directory, not a file")
        }
    }

    static let toyNames = ["spirals", "moons", "circles", "xor", "blobs", "guide"]

    /// A toy set: `toy:spirals`, `toy:moons:400`, … (seeded, so the same every run).
    static func toy(_ spec: String, command: String) throws -> Dataset {
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count >= 2, toyNames.contains(parts[1]) else {
            let hint = parts.count >= 2 ? closest(to: parts[1], among: toyNames).map { "; did you mean toy:\($0)?" } ?? "" : ""
            throw CLIError.usage("unknown toy data set \"\(spec)\"; choose toy:\(toyNames.joined(separator: "|"))[:COUNT]\(hint)", command: command)
        }
        var count = 300
        if parts.count >= 3 {
            guard let n = Int(parts[2]), n >= 8, n <= 1_000_000 else {
                throw CLIError.usage("toy data set size must be an integer in 8...1000000, got \"\(parts[2])\"", command: command)
            }
            count = n
        }
        switch parts[1] {
        case "spirals": return ToyDatasets.spirals(pointsPerClass: count / 3, classes: 3, seed: 1)
        case "moons": return ToyDatasets.twoMoons(count: count, seed: 1)
        case "circles": return ToyDatasets.circles(count: count, seed: 1)
        case "xor": return ToyDatasets.xor(count: count, seed: 1)
        case "blobs": return ToyDatasets.blobs(count: count, centers: 3, dimension: 2, seed: 1)
        default: return ToyDatasets.guideSixPoints()
        }
    }

    /// `synthetic:N:D:K`: N examples of K Gaussian clusters in D dimensions (seed 7), the data of the
    /// data-parallel tests and scaling measurements (`ToyDatasets.clusters`).
    static func synthetic(_ spec: String, command: String) throws -> Dataset {
        let p = spec.split(separator: ":").dropFirst().compactMap { Int($0) }
        guard p.count == 3, p[0] >= 1, p[1] >= 1, p[2] >= 1, p[2] <= 10_000, p[0] <= 100_000_000 / p[1] else {
            throw CLIError.usage("--data synthetic:N:D:K expects examples, features and classes (positive integers, at most 10⁸ values), got \"\(spec)\"", command: command)
        }
        return ToyDatasets.clusters(count: p[0], features: p[1], classes: p[2], seed: 7)
    }

    /// Re-indexes `data`'s labels by class name into `classNames` (a test file may list its classes in
    /// another order, or lack some).
    /// - Throws: `CLIError.failure` naming a label the model was not trained on.
    static func align(_ data: Dataset, to classNames: [String], file: String) throws -> [Int] {
        if data.classNames == classNames { return data.labels }
        // A model trained before Fashion-MNIST's classes had names knows them as "0"…"9": the data's
        // names go back to those label texts.
        let fashion = ImageOptions.fashionMNISTClasses
        if classNames == fashion.indices.map(String.init), data.classNames.allSatisfy(fashion.contains) {
            var numbered = data
            numbered.classNames = data.classNames.map { String(fashion.firstIndex(of: $0) ?? 0) }
            return try align(numbered, to: classNames, file: file)
        }
        // A model trained with `--class-names` knows label k as its name; data that still says "k" (the
        // file it was trained on) means that class.
        let known = Set(classNames)
        if !data.classNames.contains(where: known.contains),
           data.classNames.allSatisfy({ text in Int(text).map { classNames.indices.contains($0) && String($0) == text } ?? false }) {
            return data.labels.map { Int(data.classNames[$0]) ?? 0 }
        }
        var index: [String: Int] = [:]
        for (i, name) in classNames.enumerated() where index[name] == nil { index[name] = i }
        let mapping = try data.classNames.map { name -> Int in
            guard let i = index[name] else {
                throw CLIError.failure("\(file): label \"\(name)\" is not one of the model's classes (\(classNames.prefix(10).joined(separator: ", ")))")
            }
            return i
        }
        return data.labels.map { mapping[$0] }
    }
}

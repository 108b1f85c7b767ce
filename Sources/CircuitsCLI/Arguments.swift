import Foundation

/// One option a command accepts.
public struct OptionSpec: Sendable, Equatable {
    /// The name without dashes: `lr` for `--lr`.
    public var name: String
    /// The value's placeholder in help (`X`, `FILE`); nil for a flag that takes no value.
    public var value: String?
    public var help: String
    /// The default, shown in help.
    public var defaultValue: String?
    /// Accepted but left out of `--help` (measurement and fault-injection options for the tests).
    public var isHidden: Bool

    public init(_ name: String, value: String? = nil, help: String, default defaultValue: String? = nil, hidden: Bool = false) {
        self.name = name
        self.value = value
        self.help = help
        self.defaultValue = defaultValue
        self.isHidden = hidden
    }

    var isFlag: Bool { value == nil }
}

/// The options given on a command line, checked against the command's `OptionSpec`s.
public struct ParsedArguments: Sendable, Equatable {
    public var command: String
    /// Option values by name; a flag maps to "" and the last of repeated options wins.
    public var values: [String: String] = [:]

    /// Whether the option (flag or valued) was given.
    public func has(_ name: String) -> Bool { values[name] != nil }

    public func string(_ name: String) -> String? { values[name] }

    /// The option as an integer, nil when absent.
    /// - Throws: `CLIError.usage` naming the option when the value is not an integer in `minimum...maximum`.
    public func int(_ name: String, minimum: Int = Int.min, maximum: Int = Int.max) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let v = Int(text), v >= minimum, v <= maximum else {
            let range = maximum == Int.max ? (minimum == Int.min ? "" : " ≥ \(minimum)") : " in \(minimum)...\(maximum)"
            throw CLIError.usage("--\(name) expects an integer\(range), got \"\(text)\"", command: command)
        }
        return v
    }

    /// The option as a finite number, nil when absent.
    /// - Throws: `CLIError.usage` naming the option when the value is not a number in `range`.
    public func double(_ name: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double? {
        guard let text = values[name] else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw CLIError.usage("--\(name) expects a number in [\(range.lowerBound), \(range.upperBound)], got \"\(text)\"", command: command)
        }
        return v
    }

    /// A comma-separated list of numbers.
    public func doubles(_ name: String) throws -> [Double]? {
        guard let text = values[name] else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, !numbers.isEmpty, numbers.allSatisfy(\.isFinite) else {
            throw CLIError.usage("--\(name) expects a comma-separated list of numbers, got \"\(text)\"", command: command)
        }
        return numbers
    }

    /// A comma-separated list of integers in `minimum...maximum`.
    public func ints(_ name: String, minimum: Int = 1, maximum: Int = Int.max) throws -> [Int]? {
        guard let text = values[name] else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, !numbers.isEmpty, numbers.allSatisfy({ $0 >= minimum && $0 <= maximum }) else {
            let range = maximum == Int.max ? "≥ \(minimum)" : "in \(minimum)...\(maximum)"
            throw CLIError.usage("--\(name) expects a comma-separated list of integers \(range), got \"\(text)\"", command: command)
        }
        return numbers
    }

    /// One of `choices`. - Throws: `CLIError.usage` listing the choices (and the closest one).
    public func choice(_ name: String, _ choices: [String]) throws -> String? {
        guard let text = values[name] else { return nil }
        guard choices.contains(text) else {
            let hint = closest(to: text, among: choices).map { "; did you mean \($0)?" } ?? ""
            throw CLIError.usage("--\(name) must be one of \(choices.joined(separator: ", ")), got \"\(text)\"\(hint)", command: command)
        }
        return text
    }
}

/// Splits a command's arguments into options, checking each against the command's specs.
///
/// Accepts `--name value` and `--name=value`; flags take no value. Positional arguments are not used by
/// any command and are an error, as is an option the command does not know — the message suggests the
/// closest valid option by edit distance (`--lrr` → `--lr`).
public enum ArgumentParser {
    public static func parse(_ arguments: [String], options: [OptionSpec], command: String) throws -> ParsedArguments {
        var parsed = ParsedArguments(command: command)
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                let hint = argument.hasPrefix("-") && !argument.hasPrefix("--") ? " (options start with two dashes: -\(argument))" : ""
                throw CLIError.usage("unexpected argument \"\(argument)\" for 'circuits \(command)'\(hint)", command: command)
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                let suggestion = closest(to: name, among: options.filter { !$0.isHidden }.map(\.name)).map { "; did you mean --\($0)?" } ?? ""
                throw CLIError.usage("unknown option --\(name) for 'circuits \(command)'\(suggestion)", command: command)
            }
            if spec.isFlag {
                if inlineValue != nil { throw CLIError.usage("--\(name) is a flag and takes no value", command: command) }
                parsed.values[name] = ""
            } else if let inlineValue {
                parsed.values[name] = inlineValue
            } else {
                guard i + 1 < arguments.count, !(arguments[i + 1].hasPrefix("--") && arguments[i + 1].count > 2) else {
                    throw CLIError.usage("--\(name) needs a value (\(spec.value!))", command: command)
                }
                i += 1
                parsed.values[name] = arguments[i]
            }
            i += 1
        }
        return parsed
    }
}

import Foundation

/// The `circuits` command line as a library: `Sources/circuits/main.swift` calls `run`, and tests call
/// it in process with a capturing `Console`.
///
/// ```swift
/// exit(CircuitsCLI.run(CommandLine.arguments))
/// ```
public enum CircuitsCLI {
    /// The version `circuits info` and `--version` print.
    public static let version = "0.1.0"

    static let commands: [CommandEntry] = [
        CommandEntry(TrainCommand.self), CommandEntry(EvalCommand.self), CommandEntry(PredictCommand.self),
        CommandEntry(SearchCommand.self), CommandEntry(GradcheckCommand.self), CommandEntry(GuideCommand.self),
        CommandEntry(BenchCommand.self), CommandEntry(InfoCommand.self), CommandEntry(Word2VecCommand.self), CommandEntry(LMCommand.self),
        CommandEntry(TSNECommand.self),
    ]

    /// Runs a command line (`arguments[0]` is the program) and returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        let context = CommandContext(console: .standard(), executablePath: arguments.first ?? "circuits")
        return run(arguments, context: context).rawValue
    }

    /// Runs a command line with an explicit context (tests capture output this way).
    public static func run(_ arguments: [String], context: CommandContext) -> ExitCode {
        let console = context.console
        let args = Array(arguments.dropFirst())
        guard let first = args.first else {
            console.printError(overview)
            return .usage
        }
        if ["--help", "-h", "help"].contains(first) {
            if first == "help", args.count > 1, let c = commands.first(where: { $0.name == args[1] }) {
                console.print(c.help)
            } else {
                console.print(overview)
            }
            return .success
        }
        if first == "--version" { console.print("circuits \(version)"); return .success }
        guard let command = commands.first(where: { $0.name == first }) else {
            let hint = closest(to: first, among: commands.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            console.printError("circuits: unknown command '\(first)'\(hint)")
            console.printError("Run 'circuits --help' for the list of commands.")
            return .usage
        }
        let rest = Array(args.dropFirst())
        // word2vec has verbs and positional words: it parses its own arguments, --help included.
        if command.name == Word2VecCommand.name { return Word2VecCommand.dispatch(rest, context: context) }
        if command.name == LMCommand.name { return LMCommand.dispatch(rest, context: context) }
        if rest.contains("--help") || rest.contains("-h") {
            console.print(command.help)
            return .success
        }
        if command.name == BenchCommand.name { return BenchCommand.exec(rest, context: context) }
        do {
            let parsed = try ArgumentParser.parse(rest, options: command.options, command: command.name)
            return try command.run(parsed, context)
        } catch let error as CLIError {
            console.printError("circuits \(command.name): \(error)")
            if case let .usage(_, name) = error {
                console.printError("Run 'circuits \(name ?? command.name) --help' for usage.")
            }
            return error.exitCode
        } catch {
            // Library errors (DataError, SafeTensorsError, TrainingError, …) already name what and where.
            console.printError("circuits \(command.name): \(oneLine(error))")
            return .failure
        }
    }

    /// The top-level help.
    static var overview: String {
        var lines = ["circuits \(version) — train and use neural-network classifiers on the CPU (OpenBLAS)", "",
                     "Usage: circuits <command> [options]      circuits <command> --help", "", "Commands:"]
        for c in commands { lines.append("  " + c.name + String(repeating: " ", count: 11 - c.name.count) + c.summary) }
        lines += ["", exitCodesHelp]
        return lines.joined(separator: "\n")
    }
}

/// An error's description on a single line (messages must stay one line in logs).
func oneLine(_ error: Error) -> String {
    String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}

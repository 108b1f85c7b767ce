/// A `circuits` subcommand: its name, a one-line summary, the options it accepts and what it does.
protocol Command {
    static var name: String { get }
    static var summary: String { get }
    /// Extra help text after the options (examples, notes).
    static var details: String { get }
    static var options: [OptionSpec] { get }
    /// Runs the command. Errors the user can act on are thrown as `CLIError`.
    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode
}

extension Command {
    static var details: String { "" }

    /// The command's `--help` text.
    static var help: String {
        var lines = ["circuits \(name) — \(summary)", "", "Usage: circuits \(name) [options]", "", "Options:"]
        let shown = options.filter { !$0.isHidden }
        let width = (shown.map { optionLabel($0).count } + ["--help".count]).max()! + 2
        for o in shown {
            let label = optionLabel(o)
            var line = "  " + label + String(repeating: " ", count: width - label.count) + o.help
            if let d = o.defaultValue { line += " (default: \(d))" }
            lines.append(line)
        }
        lines.append("  --help" + String(repeating: " ", count: width - 6) + "show this help")
        if !details.isEmpty { lines += ["", details] }
        lines += ["", exitCodesHelp]
        return lines.joined(separator: "\n")
    }

    static func optionLabel(_ o: OptionSpec) -> String { "--" + o.name + (o.value.map { " " + $0 } ?? "") }
}

/// The exit codes, as every `--help` lists them.
let exitCodesHelp = "Exit codes: 0 success, 1 failure (missing or unreadable file, bad data, diverged or interrupted run), 2 usage error."

/// What a command runs with: where to print, and hooks tests use to drive it.
public struct CommandContext: @unchecked Sendable {
    public var console: Console
    /// Path of the running `circuits` binary (for `bench`, which runs its sibling).
    public var executablePath: String
    /// Whether Ctrl-C is handled by a signal source (off in tests that run in process).
    public var handlesSignals: Bool
    /// Test hook: asked after every batch; returning true acts like Ctrl-C. Arguments: epoch (0-based),
    /// batch (1-based).
    public var interruptAfter: (@Sendable (Int, Int) -> Bool)?

    public init(console: Console, executablePath: String = CommandLine.arguments.first ?? "circuits",
                handlesSignals: Bool = true, interruptAfter: (@Sendable (Int, Int) -> Bool)? = nil) {
        self.console = console
        self.executablePath = executablePath
        self.handlesSignals = handlesSignals
        self.interruptAfter = interruptAfter
    }
}

/// A command in the dispatch table, with its static members captured as closures (the table holds
/// concrete values rather than existential metatypes).
struct CommandEntry: @unchecked Sendable {
    let name: String
    let summary: String
    let options: [OptionSpec]
    let help: String
    let run: (ParsedArguments, CommandContext) throws -> ExitCode

    init<C: Command>(_ command: C.Type) {
        name = C.name
        summary = C.summary
        options = C.options
        help = C.help
        run = { try C.run($0, context: $1) }
    }
}

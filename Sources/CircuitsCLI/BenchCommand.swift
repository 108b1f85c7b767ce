import Foundation

/// `circuits bench`: runs the benchmark suite by executing the `CircuitsBench` binary that sits next to
/// `circuits` (the suite is a separate executable so the CLI does not carry it), with the same arguments.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "run the benchmark suite (the CircuitsBench executable next to circuits)"
    static let options: [OptionSpec] = []
    static let details = "Arguments are passed to CircuitsBench unchanged (e.g. --suite all). Build it with: swift build -c release --product CircuitsBench"

    /// Where the sibling binary is expected.
    static func benchPath(executable: String) -> String {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable
        let me = executable.contains("/") ? executable : resolved
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("CircuitsBench").path
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        fatalError("bench is dispatched before option parsing")
    }

    /// Replaces this process with CircuitsBench (returns only if that fails).
    static func exec(_ rest: [String], context: CommandContext) -> ExitCode {
        let path = benchPath(executable: context.executablePath)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            context.console.printError("circuits bench: \(path) not found; build it with: swift build -c release --product CircuitsBench")
            return .failure
        }
        let argv = ([path] + rest).map { strdup($0) } + [nil]
        execv(path, argv)
        context.console.printError("circuits bench: cannot run \(path): \(String(cString: strerror(errno)))")
        return .failure
    }
}

import Foundation
import Tensor

/// `circuits info`: version, BLAS build and core, threads, CPU.
enum InfoCommand: Command {
    static let name = "info"
    static let summary = "version, BLAS build and core, threads, CPU"
    static let options: [OptionSpec] = [OptionSpec("json", help: "print as one JSON object")]

    struct Info: Encodable {
        var version: String, blas: String, blasCore: String, blasThreads: Int, cpu: String, cores: Int, os: String
    }

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let info = Info(version: CircuitsCLI.version, blas: BLAS.configuration.trimmingCharacters(in: .whitespaces), blasCore: BLAS.coreName,
                        blasThreads: BLAS.threads, cpu: cpuModel(), cores: ProcessInfo.processInfo.activeProcessorCount,
                        os: ProcessInfo.processInfo.operatingSystemVersionString)
        if arguments.has("json") {
            context.console.print(ProgressReporter.json(info))
        } else {
            context.console.print("""
            circuits      \(info.version)
            BLAS          \(info.blas)
            BLAS core     \(info.blasCore)
            BLAS threads  \(info.blasThreads)
            CPU           \(info.cpu) (\(info.cores) cores available)
            OS            \(info.os)
            """)
        }
        return .success
    }

    /// The CPU's model name from /proc/cpuinfo (Linux), else "unknown".
    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown"
    }
}

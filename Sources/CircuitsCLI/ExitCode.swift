/// The exit statuses of `circuits`, as documented in `--help` and the README.
public enum ExitCode: Int32, Sendable {
    /// The command did what was asked.
    case success = 0
    /// The command was understood but failed: a missing or unreadable file, bad data, a diverged run,
    /// a run stopped with Ctrl-C (its model and report are still written), failed gradient checks.
    case failure = 1
    /// The command line itself is wrong: an unknown command or option, a missing or malformed value.
    case usage = 2
}

/// An error a command reports to the user in one line, with the exit status it implies.
public enum CLIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A command-line mistake; `command` names the command whose `--help` explains it.
    case usage(String, command: String?)
    /// A failure while running (the message names the file or setting at fault).
    case failure(String)

    public var description: String {
        switch self {
        case let .usage(message, _): return message
        case let .failure(message): return message
        }
    }

    /// The exit status this error ends the process with.
    public var exitCode: ExitCode {
        switch self {
        case .usage: return .usage
        case .failure: return .failure
        }
    }
}

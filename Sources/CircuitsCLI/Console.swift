import Foundation

/// Where a command writes: standard output for results, standard error for diagnostics and progress.
///
/// Tests pass a capturing console to run commands in process and read what they printed.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let writeOutput: (String) -> Void
    private let writeError: (String) -> Void
    /// Whether standard error is a terminal: progress bars redraw in place only then.
    public let isTerminal: Bool
    private var capturedOutput = ""
    private var capturedError = ""
    private let capturing: Bool

    /// The process's standard output and error.
    public static func standard() -> Console {
        Console(isTerminal: isatty(STDERR_FILENO) == 1, capturing: false,
                output: { FileHandle.standardOutput.write(Data($0.utf8)) },
                error: { FileHandle.standardError.write(Data($0.utf8)) })
    }

    /// A console that keeps everything in memory (`output`, `errors`), never a terminal.
    public static func capturing() -> Console {
        Console(isTerminal: false, capturing: true, output: { _ in }, error: { _ in })
    }

    init(isTerminal: Bool, capturing: Bool, output: @escaping (String) -> Void, error: @escaping (String) -> Void) {
        self.isTerminal = isTerminal
        self.capturing = capturing
        self.writeOutput = output
        self.writeError = error
    }

    /// Everything written to standard output so far (capturing consoles only).
    public var output: String { lock.withLock { capturedOutput } }
    /// Everything written to standard error so far (capturing consoles only).
    public var errors: String { lock.withLock { capturedError } }

    /// Writes `text` and a newline to standard output.
    public func print(_ text: String = "") { write(text + "\n") }

    /// Writes `text` to standard output as is.
    public func write(_ text: String) {
        lock.withLock { if capturing { capturedOutput += text } }
        if !capturing { writeOutput(text) }
    }

    /// Writes `text` and a newline to standard error.
    public func printError(_ text: String) { writeErrorText(text + "\n") }

    /// Writes `text` to standard error as is (progress bars use "\r").
    public func writeErrorText(_ text: String) {
        lock.withLock { if capturing { capturedError += text } }
        if !capturing { writeError(text) }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

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

    /// The process's standard output and error. Results that cannot be written (a full disk, a closed
    /// descriptor) end the process with a one-line error on standard error and exit status 1; lost
    /// diagnostics do not stop it. (FileHandle.write traps on such errors.)
    public static func standard() -> Console {
        Console(isTerminal: isatty(STDERR_FILENO) == 1, capturing: false,
                output: { text in
                    if let failure = writeAll(STDOUT_FILENO, text) {
                        _ = writeAll(STDERR_FILENO, "circuits: cannot write to standard output: \(failure)\n")
                        exit(1)
                    }
                },
                error: { text in _ = writeAll(STDERR_FILENO, text) })
    }

    /// Writes all of `text` to `descriptor`; nil, or what went wrong.
    static func writeAll(_ descriptor: Int32, _ text: String) -> String? {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
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

import Dispatch
import Foundation

/// Ctrl-C during training: the first SIGINT asks the run to stop after the current batch (the model and
/// report are still written); a second one exits at once.
///
/// The signal is received by a `DispatchSource` rather than a C signal handler, so the work it triggers
/// (setting a flag under a lock) runs on an ordinary queue where any code is safe.
final class InterruptSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var source: DispatchSourceSignal?

    /// Whether a stop has been requested.
    var isRequested: Bool { lock.withLock { requested } }

    /// Asks the run to stop (what SIGINT does; tests call it directly).
    func request() { lock.withLock { requested = true } }

    /// Starts listening for SIGINT. The default action (terminate) is switched off while listening.
    func install(console: Console) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            if self.isRequested {
                // _exit, not exit: the main thread must not go on writing files after this message (a
                // file being written is left as it was: writes go to a temporary file, then a rename).
                console.printError("\ncircuits: second interrupt, exiting without saving")
                _exit(ExitCode.failure.rawValue)
            }
            self.request()
            console.printError("\ncircuits: interrupt — stopping after the current batch (Ctrl-C again to quit now)")
        }
        source.resume()
        self.source = source
    }

    /// Stops listening and restores the default action.
    func uninstall() {
        source?.cancel()
        source = nil
        signal(SIGINT, SIG_DFL)
    }
}

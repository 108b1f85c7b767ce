import Foundation
import Tensor

/// What the figures were taken on: printed above them and written into bench-results.md, because a
/// figure without its CPU, thread count and library versions cannot be compared with anything.
struct MachineInfo {
    var cpu: String
    var logicalCPUs: Int
    var swiftVersion: String
    var openBLASConfig: String
    var openBLASCore: String
    var openBLASDefaultThreads: Int
    var repoRoot: String?
    var peerPython: String?
    /// "torch 2.x, numpy 2.x, …", or why there are none.
    var peerVersions: String
    var loadAtStart: String

    static func collect(repoRoot: String?, peerPython: String?) -> MachineInfo {
        MachineInfo(
            cpu: readCPUModel(), logicalCPUs: ProcessInfo.processInfo.activeProcessorCount,
            swiftVersion: readSwiftVersion(), openBLASConfig: BLAS.configuration, openBLASCore: BLAS.coreName,
            openBLASDefaultThreads: BLAS.threads, repoRoot: repoRoot, peerPython: peerPython,
            peerVersions: peerPython.map(peerLibraryVersions) ?? "no peer venv (run `make bench-peers`)",
            loadAtStart: loadAverage())
    }

    /// Header lines, the same in the terminal and in the markdown file.
    func lines(threads: [Int], quick: Bool) -> [String] {
        [
            "CPU: \(cpu) (\(logicalCPUs) logical CPUs); load average at start \(loadAtStart)",
            "BLAS threads measured: \(threads.map(String.init).joined(separator: ", ")) (OpenBLAS default \(openBLASDefaultThreads))",
            "OpenBLAS: \(openBLASConfig) — core \(openBLASCore)",
            "Swift: \(swiftVersion)",
            "Peers: \(peerVersions)",
            "Mode: \(quick ? "--quick (few repetitions, small subsets: a smoke run, not a measurement)" : "full")",
        ]
    }
}

/// The first "model name" of /proc/cpuinfo.
func readCPUModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
        if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    return "unknown CPU"
}

/// The 1-, 5- and 15-minute load averages: other work on the machine skews every figure taken with it.
func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// The toolchain's version line. The binary does not record which compiler built it, so ask the `swift`
/// on PATH (the one `make bench` just built with).
func readSwiftVersion() -> String {
    guard let result = runCapturing("/usr/bin/env", ["swift", "--version"], timeout: 20), result.status == 0 else {
        return "unknown (no swift on PATH)"
    }
    let text = result.stdout.isEmpty ? result.stderr : result.stdout
    return text.split(separator: "\n").first.map(String.init) ?? "unknown"
}

/// Versions of the peer libraries in the venv, read from package metadata (no heavy imports).
func peerLibraryVersions(python: String) -> String {
    let script = """
        import importlib.metadata as m, platform
        out = ["python " + platform.python_version()]
        for name in ("torch", "numpy", "scikit-learn", "micrograd"):
            try: out.append(name + " " + m.version(name))
            except Exception: out.append(name + " missing")
        print(", ".join(out))
        """
    guard let result = runCapturing(python, ["-c", script], timeout: 30), result.status == 0 else {
        return "could not run \(python)"
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The repository root: the first directory holding Package.swift and Benchmarks/peers, searched upward
/// from the current directory and then from the executable (which lives in <root>/.build/…).
func findRepoRoot() -> String? {
    let fm = FileManager.default
    var starts = [fm.currentDirectoryPath]
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    starts.append(executable.deletingLastPathComponent().path)
    for start in starts {
        var dir = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
               fm.fileExists(atPath: dir.appendingPathComponent("Benchmarks/peers").path) {
                return dir.path
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
    }
    return nil
}

/// The peers' interpreter: `$CIRCUITS_PEERS_PYTHON` if set, else `<root>/.build/peers-venv/bin/python`
/// (made by `make bench-peers`), nil if neither exists.
func findPeerPython(repoRoot: String?) -> String? {
    if let override = ProcessInfo.processInfo.environment["CIRCUITS_PEERS_PYTHON"], !override.isEmpty {
        return FileManager.default.isExecutableFile(atPath: override) ? override : nil
    }
    guard let root = repoRoot else { return nil }
    let path = root + "/.build/peers-venv/bin/python"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
}

/// Runs a program to completion and returns its exit status and output.
///
/// stderr goes to a temporary file rather than a second pipe: reading two pipes one after the other can
/// deadlock when the child fills the one not being read. A child still running after `timeout` seconds
/// is terminated, so a stuck peer cannot eat the run's time budget.
func runCapturing(_ executable: String, _ arguments: [String], timeout: Double,
                  environment: [String: String]? = nil, directory: String? = nil) -> ProcessResult? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    process.standardOutput = out
    let errPath = NSTemporaryDirectory() + "circuits-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).err"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    guard let errHandle = FileHandle(forWritingAtPath: errPath) else { return nil }
    process.standardError = errHandle
    defer {
        try? errHandle.close()
        try? FileManager.default.removeItem(atPath: errPath)
    }
    do { try process.run() } catch { return nil }
    let killed = KillFlag()
    let killer = DispatchWorkItem { [process] in
        if process.isRunning {
            killed.set()
            process.terminate()
        }
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    // Only our own terminate counts as a time-out; a child that crashed on a signal is a failure.
    let timedOut = killed.isSet
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                         stderr: err, timedOut: timedOut)
}

/// Set by the time-out handler on another queue, read after the child has exited.
private final class KillFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

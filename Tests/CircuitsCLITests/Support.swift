import Foundation
import Testing
@testable import CircuitsCLI

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What an in-process run of `circuits` printed and returned.
struct RunResult {
    var code: ExitCode
    var output: String
    var errors: String
}

/// Runs `circuits <arguments>` in process with a capturing console and no signal handling.
func circuits(_ arguments: [String], interruptAfter: (@Sendable (Int, Int) -> Bool)? = nil) -> RunResult {
    let console = Console.capturing()
    let context = CommandContext(console: console, executablePath: "circuits", handlesSignals: false, interruptAfter: interruptAfter)
    let code = CircuitsCLI.run(["circuits"] + arguments, context: context)
    return RunResult(code: code, output: console.output, errors: console.errors)
}

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("circuits-cli-\(safe)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small CSV: two numeric features and a text label, three classes that a small MLP separates.
func writeTinyCSV(in directory: URL, name: String = "tiny.csv", rows: Int = 90) throws -> String {
    var text = "x,y,species\n"
    let names = ["setosa", "versicolor", "virginica"]
    for i in 0..<rows {
        let c = i % 3
        let x = Double(c) * 2 + Double((i * 7) % 10) / 10, y = Double(2 - c) + Double((i * 3) % 10) / 10
        text += "\(x),\(y),\(names[c])\n"
    }
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The built `circuits` binary, release or debug, if there is one.
func builtBinary() -> URL? {
    for configuration in ["release", "debug"] {
        let url = packageRoot.appendingPathComponent(".build/\(configuration)/circuits")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}

/// Runs an executable to completion and returns (status, stdout, stderr).
func runProcess(_ executable: URL, _ arguments: [String], directory: URL? = nil) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting, so a full pipe cannot block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

import Foundation
import Testing

/// The package root, found from this file's path (Tests/DistributedTests/MPIRun.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// How `mpirun` is started on this machine — the one place these settings live.
///
/// - `--oversubscribe`: the tests start 2 and 4 ranks on a 2-core machine; without it Open MPI refuses
///   more ranks than cores ("not enough slots").
/// - `OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1`: containers often run as root, which Open MPI refuses unless told.
/// - `OMPI_MCA_rmaps_base_oversubscribe`, `btl`: nothing else was needed here (Open MPI 4.1.4, Debian 12):
///   the default shared-memory transport (vader) works on loopback. Add `--mca btl self,tcp` here if a
///   container forbids the cross-memory-attach system calls.
enum MPIRun {
    static let launcher = URL(fileURLWithPath: "/usr/bin/mpirun")
    static let flags = ["--oversubscribe"]
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                              // One BLAS thread per rank: ranks already share the two cores.
                              "OPENBLAS_NUM_THREADS": "1"]

    /// The `circuits` binary that `make test` builds before the tests.
    static var cli: URL { packageRoot.appendingPathComponent(".build/release/circuits") }
    /// What each rank runs before the test's arguments by default.
    static var train: [String] { [cli.path, "train", "--distributed"] }

    /// The result of one `mpirun`.
    struct Result {
        var status: Int32
        var output: String
        var errors: String
        var seconds: Double
        var timedOut: Bool
        var all: String { output + errors }
    }

    /// Runs `mpirun <flags> -np ranks circuits train --distributed <arguments>`; with `ranks` nil,
    /// `arguments` is the whole application part of the command line (MPMD: `-np 1 prog a : -np 1 prog b`).
    /// Kills the job after `limit` seconds, so a hang fails the test instead of stalling the suite.
    /// `program` is what each rank runs before `arguments` (default: `circuits train --distributed`).
    static func run(ranks: Int?, _ arguments: [String], program: [String]? = nil, limit: Double = 60) throws -> Result {
        let program = program ?? train
        for path in [cli.path, program[0]] {
            try #require(FileManager.default.isExecutableFile(atPath: path),
                         "\(path) is missing: run `swift build -c release --product \(URL(fileURLWithPath: path).lastPathComponent)` (make test does)")
        }
        try #require(FileManager.default.isExecutableFile(atPath: launcher.path), "mpirun is missing: run `make setup-mpi`")
        let process = Process()
        process.executableURL = launcher
        process.arguments = flags + (ranks.map { ["-np", "\($0)"] + program } ?? []) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Files rather than pipes: a chatty job can never block on a full pipe buffer.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpirun-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > limit {
                timedOut = true
                process.terminate()   // mpirun forwards SIGTERM to its ranks
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      output: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      errors: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                      seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }
}

/// A fresh temporary file path.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("circuits-distributed-\(UUID().uuidString.prefix(8))-\(name)").path
}

/// Parameters written by `circuits train --parameters-out`: name → values.
func readParameters(_ path: String) throws -> [(name: String, values: [Double])] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    var result: [(name: String, values: [Double])] = []
    var i = 0
    while i < lines.count {
        let header = lines[i].split(separator: " ")
        let count = Int(header[1])!
        result.append((String(header[0]), lines[(i + 1)...(i + count)].map { Double($0)! }))
        i += count + 1
    }
    return result
}

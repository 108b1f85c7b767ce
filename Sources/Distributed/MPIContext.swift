import CMPI
import Foundation
import Tensor

/// The MPI job this process belongs to: its rank, the number of ranks, and the collectives data-parallel
/// training needs, each bounded by a timeout.
///
/// ```swift
/// let mpi = try MPIContext()               // MPI_Init; errors come back as Swift errors
/// defer { mpi.finalize() }
/// print("rank \(mpi.rank) of \(mpi.size)")
/// ```
///
/// Every collective is posted non-blocking and then polled, so a rank that stops answering (killed,
/// stalled, cut off) turns into an `MPI_Abort` naming this rank and the operation after `timeout`
/// seconds instead of a hang. `mpirun` itself ends the whole job when any rank exits with an error, and
/// names that rank.
///
/// Use it from one thread (MPI is initialized with `MPI_THREAD_FUNNELED`).
public final class MPIContext {
    /// This process's rank in `MPI_COMM_WORLD`, 0 ..< `size`.
    public let rank: Int
    /// Number of processes in the job.
    public let size: Int
    /// Seconds a collective may wait for the other ranks before the job is aborted.
    public var timeout: Double
    private let communicator: MPI_Comm
    private var finalized = false

    /// The default collective timeout: `CIRCUITS_MPI_TIMEOUT` seconds if set, else 300 (long enough for
    /// rank 0 to evaluate and write a checkpoint while the others wait at the next step).
    public static var defaultTimeout: Double {
        ProcessInfo.processInfo.environment["CIRCUITS_MPI_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 300
    }

    /// Initializes MPI (once per process) and switches `MPI_COMM_WORLD` to `MPI_ERRORS_RETURN`, so that a
    /// failed call becomes a thrown `DistributedError` instead of Open MPI's default of killing the job
    /// without saying where.
    /// - Throws: `DistributedError.mpi` when MPI cannot start (e.g. `mpirun` could not reach its daemon).
    public init(timeout: Double = MPIContext.defaultTimeout) throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            let rc = MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided)
            guard rc == cmpi_success() else { throw DistributedError.mpi(rank: nil, operation: "MPI_Init_thread", message: Self.errorString(rc)) }
        }
        communicator = cmpi_comm_world()
        MPI_Comm_set_errhandler(communicator, cmpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(communicator, &r)
        MPI_Comm_size(communicator, &s)
        rank = Int(r)
        size = Int(s)
        self.timeout = timeout
    }

    /// True when this process was started by `mpirun`/`mpiexec` (Open MPI sets `OMPI_COMM_WORLD_SIZE`).
    public static var launchedByMPIRun: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMI_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// Ends MPI for this process (idempotent). Call it on every rank before a normal exit: `mpirun`
    /// treats a rank that exits without it as failed.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        MPI_Finalize()
    }

    /// Prints `message` on standard error with this rank, then ends every process of the job with
    /// `MPI_Abort` (exit status `code`). For failures the other ranks cannot know about: they would
    /// otherwise wait forever in the next collective.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("circuits: rank \(rank) of \(size): \(message)\n".utf8))
        MPI_Abort(communicator, code)
        exit(code)   // MPI_Abort does not return; this satisfies `Never` if it ever did.
    }

    // MARK: Collectives

    /// Sums `count` scalars of `buffer` across ranks in place; every rank ends with the sum.
    public func allReduceSum<Scalar: BLASScalar>(_ buffer: UnsafeMutablePointer<Scalar>, count: Int, what: String) throws {
        try Self.checkCount(count, what)
        var request: MPI_Request? = nil
        try check(MPI_Iallreduce(cmpi_in_place(), buffer, Int32(count), Self.datatype(Scalar.self), cmpi_sum(), communicator, &request), what)
        try wait(&request, what)
    }

    /// Sums `values` across ranks (small arrays: metrics, counters).
    public func allReduceSum(_ values: [Double], what: String) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            try allReduceSum(base, count: p.count, what: what)
        }
        return v
    }

    /// Sends `count` scalars of `buffer` from `root` to every rank.
    public func broadcast<Scalar: BLASScalar>(_ buffer: UnsafeMutablePointer<Scalar>, count: Int, root: Int = 0, what: String) throws {
        try Self.checkCount(count, what)
        var request: MPI_Request? = nil
        try check(MPI_Ibcast(buffer, Int32(count), Self.datatype(Scalar.self), Int32(root), communicator, &request), what)
        try wait(&request, what)
    }

    /// Sends `bytes` from `root` to every rank (the others' argument is ignored); returns them.
    public func broadcast(bytes: [UInt8], root: Int = 0, what: String) throws -> [UInt8] {
        var length = [UInt64(bytes.count)]
        try length.withUnsafeMutableBufferPointer { p in
            var request: MPI_Request? = nil
            try check(MPI_Ibcast(p.baseAddress, 1, cmpi_uint64(), Int32(root), communicator, &request), what)
            try wait(&request, what)
        }
        var data = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try Self.checkCount(data.count, what)
        if !data.isEmpty {
            try data.withUnsafeMutableBufferPointer { p in
                var request: MPI_Request? = nil
                try check(MPI_Ibcast(p.baseAddress, Int32(p.count), cmpi_uint8(), Int32(root), communicator, &request), what)
                try wait(&request, what)
            }
        }
        return data
    }

    /// Every rank's `bytes`, in rank order (lengths may differ).
    public func allGather(bytes: [UInt8], what: String) throws -> [[UInt8]] {
        try Self.checkCount(bytes.count, what)
        var lengths = [Int32](repeating: 0, count: size)
        var mine = Int32(bytes.count)
        try lengths.withUnsafeMutableBufferPointer { p in
            var request: MPI_Request? = nil
            try check(MPI_Iallgather(&mine, 1, cmpi_int32(), p.baseAddress, 1, cmpi_int32(), communicator, &request), what)
            try wait(&request, what)
        }
        var offsets = [Int32](repeating: 0, count: size)
        for i in 1..<max(size, 1) { offsets[i] = offsets[i - 1] + lengths[i - 1] }
        let total = Int(lengths.reduce(0, +))
        var all = [UInt8](repeating: 0, count: max(total, 1))
        var send = bytes.isEmpty ? [0] : bytes
        try send.withUnsafeMutableBufferPointer { s in
            try all.withUnsafeMutableBufferPointer { r in
                var request: MPI_Request? = nil
                try check(MPI_Iallgatherv(s.baseAddress, mine, cmpi_uint8(), r.baseAddress, lengths, offsets, cmpi_uint8(),
                                          communicator, &request), what)
                try wait(&request, what)
            }
        }
        return (0..<size).map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + lengths[$0])]) }
    }

    /// Waits until every rank has called it.
    public func barrier(what: String) throws {
        var request: MPI_Request? = nil
        try check(MPI_Ibarrier(communicator, &request), what)
        try wait(&request, what)
    }

    // MARK: Errors and waiting

    /// Polls `request` until it completes. Polling (rather than a blocking call) is what lets a missing
    /// rank become an abort after `timeout` seconds; yielding between polls leaves the CPU to ranks that
    /// share it when the job is oversubscribed.
    private func wait(_ request: inout MPI_Request?, _ what: String) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let limit = UInt64(timeout * 1e9)
        var done: Int32 = 0
        var polls = 0
        while true {
            try check(MPI_Test(&request, &done, cmpi_status_ignore()), what)
            if done != 0 { return }
            polls += 1
            if polls & 63 == 0 {
                if DispatchTime.now().uptimeNanoseconds - start > limit {
                    abort("\(what): no answer from the other ranks within \(Self.format(timeout)) s — a rank has died, stalled or lost its connection; aborting the job")
                }
                sched_yield()
            }
        }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc != cmpi_success() else { return }
        throw DistributedError.mpi(rank: rank, operation: what, message: Self.errorString(rc))
    }

    static func errorString(_ rc: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(rc, &buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) + " (MPI error \(rc))"
    }

    static func datatype<Scalar: BLASScalar>(_: Scalar.Type) -> MPI_Datatype {
        Scalar.self == Float.self ? cmpi_float() : cmpi_double()
    }

    /// MPI counts are 32-bit `int`s.
    static func checkCount(_ count: Int, _ what: String) throws {
        guard count >= 0, count <= Int(Int32.max) else {
            throw DistributedError.mpi(rank: nil, operation: what, message: "\(count) elements exceed MPI's 32-bit count")
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.3g", seconds)
    }
}

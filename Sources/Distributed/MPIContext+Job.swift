import Foundation

extension DistributedError {
    /// Whether every rank reaches this error at the same point (it comes from comparing all-gathered
    /// values), so the job can end cleanly; any other error is known to one rank only.
    public var isCollective: Bool {
        switch self {
        case .configurationMismatch, .parametersDiverged: return true
        case .mpi, .unsupported: return false
        }
    }
}

extension MPIContext {
    /// Runs one rank's part of a job and decides how it ends, so that no failure leaves a rank waiting:
    ///
    /// - success: `MPI_Finalize` on every rank, then `body`'s result;
    /// - an error every rank has (`DistributedError.isCollective`: a mismatched configuration, diverged
    ///   parameters): every rank finalizes; rank 0 rethrows it for the caller to report (and exit
    ///   non-zero), the others exit without repeating it;
    /// - any other error (a missing file, a diverging loss on this rank's part, a failed write): only
    ///   this rank knows, and the others would wait for it in their next collective, so it is printed
    ///   with this rank's number and the job ends with `MPI_Abort`.
    public static func runJob<T>(timeout: Double = MPIContext.defaultTimeout, _ body: (MPIContext) throws -> T) throws -> T {
        let mpi = try MPIContext(timeout: timeout)
        do {
            let result = try body(mpi)
            mpi.finalize()
            return result
        } catch let error as DistributedError where error.isCollective {
            mpi.finalize()
            // The other ranks leave quietly with status 0: a non-zero status would make mpirun kill the
            // job, rank 0 included, possibly before rank 0 has printed the error. Rank 0's status 1 is
            // the job's (mpirun exits non-zero when any rank does).
            if mpi.rank != 0 { exit(0) }
            throw error
        } catch {
            mpi.abort(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))
        }
    }
}

import CBLAS
import Dispatch

// Splitting one op's work across the cores, for the ops whose GEMMs are too small for OpenBLAS to
// split (a convolution's per-image products: 64 × 196 × 288 for the small CNN's second layer) and for
// the loops that do not call BLAS at all (im2col, pooling, batch normalization, activations).
//
// An op cuts its work into contiguous, near-equal parts — images of a batch, planes, channels,
// elements — and runs one part per thread, the calling thread taking part 0. While the parts run,
// OpenBLAS is held at one thread, so each part's GEMMs run in its own thread instead of queueing for
// OpenBLAS's pool; the thread count the user chose (`--threads`, `BLAS.threads`) comes back when the
// parts are done, for the large GEMMs of dense layers. The cut depends only on the work's size and the
// thread count, and partial sums (a convolution's weight gradient) are added in part order, so a given
// thread count gives bit-identical results run to run.

/// Runs an op's work in parts across threads (see the file header).
public enum Parallel {
    /// The thread count of `withOwnThreads` while it runs, else nil.
    nonisolated(unsafe) public static var ownThreads: Int? = nil

    /// How many parts ops cut their work into: the thread count of `withOwnThreads` while it runs, else
    /// the BLAS thread count in force (one inside a part, so parts never nest).
    @inlinable
    public static var width: Int { ownThreads ?? Int(openblas_get_num_threads()) }

    /// Runs `body` with the ops splitting their work over the BLAS thread count in force and OpenBLAS
    /// itself held at one thread: for models whose time goes to ops that split their own work (conv
    /// nets). OpenBLAS's idle workers spin (`sched_yield`) for a while after each multithreaded call,
    /// and on a 2-core machine that spinning took the core the ops' second part needed: 22% of a
    /// two-thread CNN step went to the scheduler. A dense layer's GEMM in such a model then runs on one
    /// thread. Nested calls run `body` as it is.
    public static func withOwnThreads<T>(_ body: () throws -> T) rethrows -> T {
        if ownThreads != nil { return try body() }
        let saved = openblas_get_num_threads()
        guard saved > 1 else { return try body() }
        ownThreads = Int(saved)
        openblas_set_num_threads(1)
        defer {
            openblas_set_num_threads(saved)
            ownThreads = nil
        }
        return try body()
    }

    /// The number of parts for `count` items when each part should hold at least `minimumPerPart`
    /// (below that, a thread's start-up costs more than the work it takes over).
    @inlinable
    public static func parts(_ count: Int, minimumPerPart: Int) -> Int {
        Swift.max(1, Swift.min(width, count / Swift.max(minimumPerPart, 1)))
    }

    /// The number of parts for `count` items costing about `cost` scalar operations each: at least
    /// 2¹⁶ operations per part (tens of microseconds; a thread's hand-off costs a few).
    @inlinable
    public static func parts(_ count: Int, cost: Int) -> Int {
        let total = count.multipliedReportingOverflow(by: Swift.max(cost, 1))
        let byCost = total.overflow ? Int.max : total.partialValue >> 16
        return Swift.max(1, Swift.min(width, count, byCost))
    }

    /// Part `part` of `parts` contiguous, near-equal ranges of `0..<count` (the first `count % parts`
    /// ranges hold one more item).
    @inlinable
    public static func range(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let start = part * base + Swift.min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }

    /// Runs `body(part, range)` for the `parts` ranges of `0..<count`, concurrently, and returns when all
    /// are done. With one part it is a plain call on this thread.
    @inlinable
    public static func run(_ count: Int, parts: Int, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
        if parts <= 1 {
            body(0, 0..<count)
            return
        }
        let saved = openblas_get_num_threads()
        openblas_set_num_threads(1)
        withoutActuallyEscaping(body) { body in
            // The parts write disjoint ranges (the op's contract), which the compiler cannot see in the
            // raw pointers the bodies capture.
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                shared.value(part, range(part, of: parts, count: count))
            }
        }
        openblas_set_num_threads(saved)
    }
}

/// A value handed to the threads of `Parallel.run`.
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}

import Foundation
import Layers

/// Time and traffic of the all-reduces so far, for the scaling figures.
public struct AllReduceStatistics: Sendable, Equatable {
    /// All-reduces performed (one per training step).
    public var calls = 0
    /// Wall-clock seconds spent in them (packing, MPI, unpacking), including waiting for slower ranks.
    public var seconds = 0.0
    /// Bytes of the fused buffer each all-reduce reduces (the gradient of every parameter).
    public var bufferBytes = 0
    /// Ranks in the job.
    public var ranks = 1

    /// Mean milliseconds per all-reduce.
    public var millisecondsPerCall: Double { calls == 0 ? 0 : seconds * 1e3 / Double(calls) }
    /// Bytes each rank sends per all-reduce with a ring (bandwidth-optimal) algorithm: 2(N−1)/N of the
    /// buffer — reduce-scatter then all-gather. An estimate of the traffic, as MPI picks the algorithm.
    public var ringBytesSentPerRank: Int { ranks <= 1 ? 0 : 2 * (ranks - 1) * bufferBytes / ranks }
}

/// Sums every parameter's gradient across ranks in one MPI call per step, through one buffer allocated
/// up front.
///
/// One fused buffer instead of one all-reduce per tensor: the latency of a collective (tens of µs on
/// loopback, more across machines) is paid once per step, not once per parameter; and allocating it
/// once keeps the training step free of allocations.
public final class GradientAllReducer<Scalar: BLASScalar> {
    /// The job whose ranks the gradients are summed over.
    public let mpi: MPIContext
    /// Scalars in the fused buffer: the sum of the parameters' sizes.
    public let count: Int
    /// Calls, time and buffer size so far (see `resetStatistics()`).
    public private(set) var statistics: AllReduceStatistics
    private let buffer: UnsafeMutablePointer<Scalar>
    private let sizes: [Int]

    /// Allocates the fused buffer for `parameters` (their sizes fix its layout).
    public init(mpi: MPIContext, parameters: [Parameter<Scalar>]) {
        self.mpi = mpi
        sizes = parameters.map { $0.variable.value.count }
        count = sizes.reduce(0, +)
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        statistics = AllReduceStatistics(bufferBytes: count * MemoryLayout<Scalar>.stride, ranks: mpi.size)
    }

    deinit { buffer.deallocate() }

    /// Replaces each gradient by the mean over the global batch: scales this rank's gradient (a mean
    /// over `localCount` examples) by `localCount / globalCount`, then sums across ranks.
    public func allReduceGradients(_ parameters: [Parameter<Scalar>], localCount: Int, globalCount: Int) throws {
        try allReduceGradients(parameters, share: globalCount > 0 ? Double(localCount) / Double(globalCount) : 0)
    }

    /// Replaces each gradient by the global batch's: scales this rank's gradient by its `share` of the
    /// batch (see `GradientSynchronizer.synchronize`), packs all of them, sums across ranks, and unpacks.
    /// Parameters without a gradient contribute zeros and are left without one.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func allReduceGradients(_ parameters: [Parameter<Scalar>], share: Double) throws {
        precondition(parameters.count == sizes.count, "allReduceGradients: \(parameters.count) parameters, buffer laid out for \(sizes.count)")
        let start = DispatchTime.now().uptimeNanoseconds
        let scale = Scalar(share)
        var offset = 0
        for (p, n) in zip(parameters, sizes) {
            let dst = buffer + offset
            if let g = p.variable.grad {
                let src = g.unsafeReadPointer
                for i in 0..<n { dst[i] = src[i] * scale }
            } else {
                dst.update(repeating: 0, count: n)
            }
            offset += n
        }
        try mpi.allReduceSum(buffer, count: count, what: "gradient all-reduce")
        offset = 0
        for (p, n) in zip(parameters, sizes) {
            if p.variable.grad != nil {
                let src = buffer + offset
                p.variable.accumulateGrad { g, _ in g.update(from: src, count: n) }
            }
            offset += n
        }
        statistics.calls += 1
        statistics.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Copies `root`'s parameter values to every rank, through the same fused buffer.
    public func broadcastParameters(_ parameters: [Parameter<Scalar>], root: Int = 0) throws {
        precondition(parameters.count == sizes.count, "broadcastParameters: \(parameters.count) parameters, buffer laid out for \(sizes.count)")
        var offset = 0
        if mpi.rank == root {
            for (p, n) in zip(parameters, sizes) {
                (buffer + offset).update(from: p.variable.value.unsafeReadPointer, count: n)
                offset += n
            }
        }
        try mpi.broadcast(buffer, count: count, root: root, what: "parameter broadcast")
        guard mpi.rank != root else { return }
        offset = 0
        for (p, n) in zip(parameters, sizes) {
            let src = buffer + offset
            p.variable.value.withUnsafeMutableBufferPointer { v in v.baseAddress!.update(from: src, count: n) }
            offset += n
        }
    }

    /// Forgets the time and call counts (e.g. after a warm-up epoch).
    public func resetStatistics() {
        statistics.calls = 0
        statistics.seconds = 0
    }
}

import Foundation

/// Runs `body(chunk, range)` for `threads` contiguous chunks of `0..<count`, concurrently.
///
/// The chunks depend only on `count` and `threads`, and every chunk writes its own slots or its own
/// partial sum, which the caller then combines in chunk order: results are the same run to run for a
/// given thread count, whatever the scheduling.
@inline(__always)
func parallelChunks(_ count: Int, threads: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let t = max(1, min(threads, count))
    if t == 1 { body(0, 0..<count); return }
    // The chunks write disjoint memory through raw pointers the caller owns for the whole call, which
    // the compiler cannot see; the closure never outlives this function (concurrentPerform joins).
    withoutActuallyEscaping(body) { escapable in
        let shared = unsafeBitCast(escapable, to: (@Sendable (Int, Range<Int>) -> Void).self)
        DispatchQueue.concurrentPerform(iterations: t) { c in
            shared(c, chunkRange(c, of: t, count: count))
        }
    }
}

/// Chunk `c` of `0..<count` split into `chunks` nearly equal contiguous parts.
@inline(__always)
func chunkRange(_ c: Int, of chunks: Int, count: Int) -> Range<Int> {
    let base = count / chunks, extra = count % chunks
    let lo = c * base + min(c, extra)
    return lo..<(lo + base + (c < extra ? 1 : 0))
}

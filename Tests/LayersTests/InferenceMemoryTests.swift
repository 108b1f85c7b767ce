import Testing
@testable import Layers

/// Evaluation after every epoch must not make peak memory grow with the number of epochs: `predict`
/// reuses one chunk's intermediates (the model's inference arena) from chunk to chunk and from call to
/// call, so a repeated evaluation allocates only its outputs.
@Suite("Repeated prediction reuses its buffers", .serialized)
struct InferenceMemoryTests {
    @Test("A second predict over several chunks allocates only the chunks' outputs and their concatenation")
    func repeatedPredictReusesIntermediates() throws {
        var rng = SeededRNG(seed: 5)
        let model = try Sequential<Float>(inputShape: [1, 12, 10], specs: [
            .conv2D(6, kernel: 3), .batchNorm(), .relu, .maxPool2D(2),
            .conv2D(8, kernel: 3), .relu, .flatten, .dense(16), .relu, .dropout(0.3), .dense(5),
        ], rng: &rng)
        let n = 50, batch = 16
        let chunks = (n + batch - 1) / batch
        let x = Tensor<Float>.randomNormal([n, 120], using: &rng)
        let beforeFirst = Tensor<Float>.buffersAllocated
        let first = try model.predict(x, batchSize: batch)
        let firstAllocations = Tensor<Float>.buffersAllocated - beforeFirst
        // The counter is process-wide (parallel tests add to it): the smallest of three windows decides.
        var fewest = Int.max
        for _ in 0..<3 {
            let before = Tensor<Float>.buffersAllocated
            let again = try model.predict(x, batchSize: batch)
            fewest = min(fewest, Tensor<Float>.buffersAllocated - before)
            #expect(again.scalars == first.scalars)
        }
        // Each chunk's scores stay with the caller until they are joined, so their slot is allocated
        // anew; every intermediate (conv maps, im2col scratch, pooling indices, …) is reused.
        #expect(fewest <= chunks + 1, "a repeated predict allocated \(fewest) buffers for \(chunks) chunks (first call: \(firstAllocations))")
        #expect(firstAllocations > chunks + 1)
        #expect(first.shape == [n, 5])
        let whole = try model.predict(x, batchSize: n)   // one chunk: the reference
        let worst = zip(first.scalars, whole.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "chunked and whole predictions differ by \(worst)")
    }
}

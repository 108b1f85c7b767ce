import Testing
import Tensor

/// The README's embedding example, verbatim, so the README cannot drift from the API.
@Test("README embedding example runs and its gradient is 2·xᵀ·(x·w)")
func readmeEmbeddingExample() throws {
    let x = try Tensor<Double>([[1, 2], [3, 4]])
    let w = try Tensor<Double>([[0.5], [-1]])
    let y = try x.matmul(w)                       // sgemm/dgemm; transposes are flags, never copies

    let tape = Tape<Double>()
    let wv = tape.variable(w)
    let loss = try tape.constant(x).matmul(wv).pow(2).sum()   // Σ (x·w)²
    try tape.backward(loss)                       // pull on the output with force +1
    print(y, wv.grad!)                            // ∂loss/∂w = 2·xᵀ·(x·w)

    #expect(y.scalars == [-1.5, -2.5])
    let expected = try (x.matmul(y, transposeLeft: true)) * 2
    #expect(wv.grad! == expected)
}

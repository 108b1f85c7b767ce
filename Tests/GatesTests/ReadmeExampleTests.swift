import Testing
import Gates

/// The README's Gates example, verbatim.
@Test("README Gates example: (x + y)·z pulled with +1")
func readmeGatesExample() {
    let x = Unit(-2), y = Unit(5), z = Unit(-4)
    let circuit = Circuit()
    let f = circuit.multiply(circuit.add(x, y), z)   // forward runs as the gates are recorded: −12
    circuit.backward(from: f)                        // pull +1: x.grad = −4, y.grad = −4, z.grad = 3
    #expect(f.value == -12)
    #expect(x.grad == -4 && y.grad == -4 && z.grad == 3)
}

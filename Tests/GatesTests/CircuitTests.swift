import Testing
@testable import Gates

// Chapter 1, "Recursive Case: Circuits with Multiple Gates" and "Example: Single Neuron".

@Test("(x + y)·z at x = -2, y = 5, z = -4: q = 3, f = -12, gradient [-4, -4, 3], step to -11.59")
func addMultiplyCircuit() {
    let x = Unit(-2), y = Unit(5), z = Unit(-4)
    let circuit = Circuit()
    let q = circuit.add(x, y)
    let f = circuit.multiply(q, z)
    #expect(q.value == 3 && f.value == -12)
    circuit.backward(from: f)
    #expect(f.grad == 1)
    #expect(q.grad == -4, "derivative_f_wrt_q")
    #expect([x.grad, y.grad, z.grad] == [-4, -4, 3])

    // Numerical gradient check, forward differences with h = 0.0001, as the guide writes it.
    let numerical = circuit.numericalGradient(of: f, withRespectTo: [x, y, z], h: 0.0001, scheme: .forward)
    #expect(numerical.map { rounded($0, 4) } == [-4, -4, 3])

    for u in [x, y, z] { u.value += 0.01 * u.grad }
    #expect([rounded(x.value, 2), rounded(y.value, 2), rounded(z.value, 2)] == [-2.04, 4.96, -3.97])
    circuit.forward()
    #expect(rounded(q.value, 2) == 2.92)
    #expect(rounded(f.value, 2) == -11.59 && f.value > -12)
}

@Test("Backward replays gates in reverse recording order and the circuit can be re-run")
func circuitReuse() {
    let x = Unit(-2), y = Unit(5), z = Unit(-4)
    let circuit = Circuit()
    let f = circuit.multiply(circuit.add(x, y), z)
    #expect(circuit.gates.count == 2 && circuit.output === f)
    circuit.backward()
    let first = [x.grad, y.grad, z.grad]
    // Same inputs again: without zeroing the leaves, pulls add up; after zeroing they repeat exactly.
    circuit.forward()
    circuit.backward()
    #expect([x.grad, y.grad, z.grad] == first.map { 2 * $0 })
    circuit.zeroGradients([x, y, z])
    circuit.forward()
    circuit.backward()
    #expect([x.grad, y.grad, z.grad] == first)
    // New inputs, same gates: f = (1 + 2)·3.
    x.value = 1; y.value = 2; z.value = 3
    circuit.zeroGradients([x, y, z])
    circuit.forward()
    circuit.backward()
    #expect(f.value == 9 && [x.grad, y.grad, z.grad] == [3, 3, 3])
}

@Test("Single sigmoid neuron: output 0.8808, gradients [-0.105, 0.315, 0.105, 0.105, 0.210], 0.8825 after one step")
func sigmoidNeuron() {
    let a = Unit(1), b = Unit(2), c = Unit(-3), x = Unit(-1), y = Unit(3)
    let circuit = Circuit()
    let ax = circuit.multiply(a, x)
    let by = circuit.multiply(b, y)
    let axpby = circuit.add(ax, by)
    let axpbypc = circuit.add(axpby, c)
    let s = circuit.sigmoid(axpbypc)
    #expect(ax.value == -1 && by.value == 6 && axpby.value == 5 && axpbypc.value == 2)
    #expect(rounded(s.value, 4) == 0.8808)

    circuit.backward(from: s, pull: 1)
    let grads = [a, b, c, x, y].map { rounded($0.grad, 3) }
    #expect(grads == [-0.105, 0.315, 0.105, 0.105, 0.210])

    for u in [a, b, c, x, y] { u.value += 0.01 * u.grad }
    circuit.forward()
    // 0.882550…: the guide cuts it to 0.8825 (rounding would print 0.8826).
    #expect(truncated(s.value, 4) == 0.8825 && s.value > 0.8808)
}

@Test("Single neuron: forwardCircuitFast's numerical gradient gives the same five numbers")
func sigmoidNeuronNumerical() {
    // The guide's listing forgets the division by h; its text states the result, which is what we test.
    let fast: ([Double]) -> Double = { v in SigmoidGate.sigmoid(v[0] * v[3] + v[1] * v[4] + v[2]) }
    let g = numericalGradient(fast, at: [1, 2, -3, -1, 3], h: 0.0001, scheme: .forward)
    #expect(g.map { rounded($0, 3) } == [-0.105, 0.315, 0.105, 0.105, 0.210])
}

@Test("Sigmoid squashes: sig(-5) = 0.006, sig(0) = 0.5, sig(5) = 0.993; at x = 3, 0.95 and local gradient s(1-s)")
func sigmoidValues() {
    #expect(truncated(SigmoidGate.sigmoid(-5), 3) == 0.006, "0.0067, cut to 0.006 in the guide")
    #expect(SigmoidGate.sigmoid(0) == 0.5)
    #expect(rounded(SigmoidGate.sigmoid(5), 3) == 0.993)
    let u = Unit(3)
    let circuit = Circuit()
    let s = circuit.sigmoid(u)
    #expect(rounded(s.value, 2) == 0.95)
    circuit.backward(from: s)
    #expect(abs(u.grad - s.value * (1 - s.value)) < 1e-15)
    // The guide's 0.0475 is 0.95·(1 − 0.95) with the output rounded first; the exact value is 0.0452.
    #expect(rounded(rounded(s.value, 2) * (1 - rounded(s.value, 2)), 4) == 0.0475)
    #expect(rounded(u.grad, 4) == 0.0452)
}

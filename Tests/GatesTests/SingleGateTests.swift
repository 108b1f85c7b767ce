import Testing
@testable import Gates

// Chapter 1, "Base Case: Single Gate in the Circuit": f(x, y) = x·y at x = −2, y = 3, and its three strategies.

private func forwardMultiplyGate(_ v: [Double]) -> Double { v[0] * v[1] }

@Test("Single multiply gate: forwardMultiplyGate(-2, 3) returns -6")
func singleGateForward() {
    let circuit = Circuit()
    let out = circuit.multiply(Unit(-2), Unit(3))
    #expect(out.value == -6)
}

@Test("Strategy #1, random local search: 100 tweaks of 0.01 beat -6 (guide: best_out = -5.9588)")
func randomLocalSearchSingleGate() {
    for seed in UInt64(0)..<20 {
        var rng = GatesRNG(seed: seed)
        let result = randomLocalSearch(forwardMultiplyGate, from: [-2, 3], tweakAmount: 0.01, tries: 100, rng: &rng)
        // Any improvement is bounded by the best corner of the tweak box: (-1.99)·(2.99) = -5.9501.
        #expect(result.output > -6 && result.output <= -5.9501)
        #expect(abs(result.inputs[0] + 2) <= 0.01 && abs(result.inputs[1] - 3) <= 0.01)
        #expect(result.output == forwardMultiplyGate(result.inputs))
        // The guide's run landed in the top part of the box, like almost every run of 100 tries.
        #expect(result.output > -5.97, "seed \(seed): best \(result.output)")
    }
    var a = GatesRNG(seed: 7), b = GatesRNG(seed: 7)
    #expect(randomLocalSearch(forwardMultiplyGate, from: [-2, 3], rng: &a)
            == randomLocalSearch(forwardMultiplyGate, from: [-2, 3], rng: &b))
}

@Test("Strategy #2, numerical gradient: out2 = -5.9997, out3 = -6.0002, derivatives 3.0 and -2.0")
func numericalGradientSingleGate() {
    let h = 0.0001
    #expect(rounded(forwardMultiplyGate([-2 + h, 3]), 4) == -5.9997)
    #expect(rounded(forwardMultiplyGate([-2, 3 + h]), 4) == -6.0002)
    let g = numericalGradient(forwardMultiplyGate, at: [-2, 3], h: h, scheme: .forward)
    #expect(rounded(g[0], 1) == 3.0 && rounded(g[1], 1) == -2.0)
    #expect(allClose(g, [3, -2], tolerance: 1e-9))
    let central = numericalGradient(forwardMultiplyGate, at: [-2, 3], h: h, scheme: .central)
    #expect(allClose(central, [3, -2], tolerance: 1e-9))
    // Stepping along the gradient: x becomes -1.97, y becomes 2.98, output -5.87 > -6.
    let stepped = [-2 + 0.01 * g[0], 3 + 0.01 * g[1]]
    #expect(rounded(stepped[0], 2) == -1.97 && rounded(stepped[1], 2) == 2.98)
    #expect(rounded(forwardMultiplyGate(stepped), 2) == -5.87)
    // step_size = 1.0: the guide says "gives output -1"; (−2 + 3)·(3 − 2) is +1, higher still.
    #expect(rounded(forwardMultiplyGate([-2 + g[0], 3 + g[1]]), 6) == 1)
}

@Test("Strategy #3, analytic gradient: x_gradient = y = 3, y_gradient = x = -2, step gives -5.87")
func analyticGradientSingleGate() {
    let x = Unit(-2), y = Unit(3)
    let circuit = Circuit()
    let out = circuit.multiply(x, y)
    circuit.backward(from: out)
    #expect(x.grad == 3 && y.grad == -2)
    x.value += 0.01 * x.grad
    y.value += 0.01 * y.grad
    #expect(rounded(x.value, 2) == -1.97 && rounded(y.value, 2) == 2.98)
    circuit.forward()
    #expect(rounded(out.value, 2) == -5.87 && out.value > -6)
    #expect(out.grad == 0, "forward resets the output's pull, like the guide's new Unit(value, 0.0)")
}

@Test("Pulling with any force scales every gradient by it (the chain rule's extra multiplication)")
func pullForce() {
    let x = Unit(-2), y = Unit(3)
    let circuit = Circuit()
    let out = circuit.multiply(x, y)
    circuit.backward(from: out, pull: -2.5)
    #expect(x.grad == -7.5 && y.grad == 5)
}

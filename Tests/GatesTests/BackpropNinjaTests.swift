import Testing
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
@testable import Gates

// Chapter 1, "Becoming a Backprop Ninja": each expression is built from gates at random inputs; its
// backprop gradient must match central differences and the guide's hand-written backward formulas.

/// Builds the expression on fresh units with values `values`; returns the units and the output.
private typealias Expression = (Circuit, [Unit]) -> Unit

/// Checks backprop against numerics and against `guide`, the guide's formula for [da, db, …] given dx = 1.
private func checkNinja(
    _ name: String, arity: Int, seed: UInt64, positive: Bool = false,
    _ build: Expression, guide: ([Double]) -> [Double]
) {
    var rng = GatesRNG(seed: seed)
    for trial in 0..<5 {
        let values = (0..<arity).map { _ in positive ? rng.uniform(0.5, 2) : rng.uniform(-2, 2) }
        let units = values.map { Unit($0) }
        let circuit = Circuit()
        let out = build(circuit, units)
        let check = circuit.gradientCheck(of: out, withRespectTo: units)
        #expect(check.worstRelativeError < 1e-6,
                "\(name) trial \(trial): worst relative error \(check.worstRelativeError) at input \(check.worstIndex ?? -1); analytic \(check.analytic) numerical \(check.numerical)")
        let expected = guide(values)
        #expect(allClose(check.analytic, expected, tolerance: 1e-12),
                "\(name) trial \(trial): backprop \(check.analytic), guide's formula \(expected)")
    }
}

@Test("Ninja: x = a * b → da = b·dx, db = a·dx")
func ninjaMultiply() {
    checkNinja("a*b", arity: 2, seed: 1, { c, u in c.multiply(u[0], u[1]) }, guide: { v in [v[1], v[0]] })
}

@Test("Ninja: x = a + b → da = db = 1·dx")
func ninjaAdd() {
    checkNinja("a+b", arity: 2, seed: 2, { c, u in c.add(u[0], u[1]) }, guide: { _ in [1, 1] })
}

@Test("Ninja: x = a + b + c in two steps (q = a + b; x = q + c) and in one sweep")
func ninjaAddThree() {
    checkNinja("(a+b)+c", arity: 3, seed: 3, { c, u in c.add(c.add(u[0], u[1]), u[2]) }, guide: { _ in [1, 1, 1] })
    checkNinja("sum(a,b,c)", arity: 3, seed: 4, { c, u in c.sum(u) }, guide: { _ in [1, 1, 1] })
}

@Test("Ninja: x = a * b + c → da = b·dx, db = a·dx, dc = 1·dx")
func ninjaMultiplyAdd() {
    checkNinja("a*b+c", arity: 3, seed: 5, { c, u in c.add(c.multiply(u[0], u[1]), u[2]) },
               guide: { v in [v[1], v[0], 1] })
}

@Test("Ninja: the neuron in two steps, q = a*x + b*y + c; f = sig(q)")
func ninjaNeuron() {
    // inputs a, b, c, x, y
    checkNinja("sig(ax+by+c)", arity: 5, seed: 6, { c, u in
        c.sigmoid(c.add(c.add(c.multiply(u[0], u[3]), c.multiply(u[1], u[4])), u[2]))
    }, guide: { v in
        let f = SigmoidGate.sigmoid(v[0] * v[3] + v[1] * v[4] + v[2])
        let dq = f * (1 - f)
        return [v[3] * dq, v[4] * dq, dq, v[0] * dq, v[1] * dq]
    })
}

@Test("Ninja: x = a * a, the wire splits into both inputs and the pulls add: da = 2·a·dx")
func ninjaSquareBySplitWire() {
    checkNinja("a*a", arity: 1, seed: 7, { c, u in c.multiply(u[0], u[0]) }, guide: { v in [2 * v[0]] })
    checkNinja("square(a)", arity: 1, seed: 8, { c, u in c.square(u[0]) }, guide: { v in [2 * v[0]] })
}

@Test("Ninja: x = a*a + b*b + c*c → da = 2a·dx, db = 2b·dx, dc = 2c·dx")
func ninjaSumOfSquares() {
    checkNinja("a*a+b*b+c*c", arity: 3, seed: 9, { c, u in
        c.sum(u.map { c.multiply($0, $0) })
    }, guide: { v in v.map { 2 * $0 } })
}

@Test("Ninja: x = pow((a * b + c) * d, 2) chunked into x1, x2, x = x2 * x2")
func ninjaPowChain() {
    let guide: ([Double]) -> [Double] = { v in
        let (a, b, c, d) = (v[0], v[1], v[2], v[3])
        let x1 = a * b + c, x2 = x1 * d
        let dx2 = 2 * x2, dd = x1 * dx2, dx1 = d * dx2
        return [b * dx1, a * dx1, dx1, dd]
    }
    checkNinja("x2*x2", arity: 4, seed: 10, { c, u in
        let x2 = c.multiply(c.add(c.multiply(u[0], u[1]), u[2]), u[3])
        return c.multiply(x2, x2)
    }, guide: guide)
    checkNinja("pow(x2, 2)", arity: 4, seed: 11, { c, u in
        c.pow(c.multiply(c.add(c.multiply(u[0], u[1]), u[2]), u[3]), 2)
    }, guide: guide)
}

@Test("Ninja: x = 1.0/a → da = -1/(a·a)")
func ninjaReciprocal() {
    checkNinja("1/a", arity: 1, seed: 12, positive: true, { c, u in c.reciprocal(u[0]) },
               guide: { v in [-1 / (v[0] * v[0])] })
}

@Test("Ninja: x = (a + b)/(c + d) via x3 = 1/x2; x = x1 * x3, and with one divide gate")
func ninjaDivision() {
    let guide: ([Double]) -> [Double] = { v in
        let x1 = v[0] + v[1], x2 = v[2] + v[3], x3 = 1 / x2
        let dx1 = x3, dx3 = x1, dx2 = (-1 / (x2 * x2)) * dx3
        return [dx1, dx1, dx2, dx2]
    }
    checkNinja("(a+b)*(1/(c+d))", arity: 4, seed: 13, positive: true, { c, u in
        c.multiply(c.add(u[0], u[1]), c.reciprocal(c.add(u[2], u[3])))
    }, guide: guide)
    checkNinja("(a+b)/(c+d)", arity: 4, seed: 14, positive: true, { c, u in
        c.divide(c.add(u[0], u[1]), c.add(u[2], u[3]))
    }, guide: guide)
}

@Test("Ninja: x = max(a, b) routes the pull to the larger input")
func ninjaMax() {
    checkNinja("max(a,b)", arity: 2, seed: 15, { c, u in c.max(u[0], u[1]) },
               guide: { v in v[0] >= v[1] ? [1, 0] : [0, 1] })
}

@Test("Ninja: ReLU x = max(a, 0) → da = a > 0 ? dx : 0")
func ninjaReLU() {
    checkNinja("relu(a)", arity: 1, seed: 16, { c, u in c.relu(u[0]) }, guide: { v in [v[0] > 0 ? 1 : 0] })
    // Both sides of the switch, deterministically.
    for (value, expected) in [(1.5, 1.0), (-1.5, 0.0)] {
        let a = Unit(value), circuit = Circuit()
        circuit.backward(from: circuit.relu(a), pull: 1)
        #expect(a.grad == expected)
    }
}

@Test("Every remaining gate passes the gradient check: subtract, scale, add-constant, tanh, exp, log, pow")
func remainingGates() {
    checkNinja("a-b", arity: 2, seed: 17, { c, u in c.subtract(u[0], u[1]) }, guide: { _ in [1, -1] })
    checkNinja("3.5*a", arity: 1, seed: 18, { c, u in c.scale(u[0], by: 3.5) }, guide: { _ in [3.5] })
    checkNinja("a+1", arity: 1, seed: 19, { c, u in c.addConstant(u[0], 1) }, guide: { _ in [1] })
    checkNinja("tanh(a)", arity: 1, seed: 20, { c, u in c.tanh(u[0]) },
               guide: { v in [1 - tanh(v[0]) * tanh(v[0])] })
    checkNinja("exp(a)", arity: 1, seed: 21, { c, u in c.exp(u[0]) }, guide: { v in [exp(v[0])] })
    checkNinja("log(a)", arity: 1, seed: 22, positive: true, { c, u in c.log(u[0]) }, guide: { v in [1 / v[0]] })
    checkNinja("a^2.5", arity: 1, seed: 23, positive: true, { c, u in c.pow(u[0], 2.5) },
               guide: { v in [2.5 * pow(v[0], 1.5)] })
    // A deeper mix where wires branch several times: f = tanh(a·b) · exp(a) + log(b²+1) − a/b.
    var rng = GatesRNG(seed: 24)
    for _ in 0..<5 {
        let a = Unit(rng.uniform(-1, 1)), b = Unit(rng.uniform(0.5, 2))
        let c = Circuit()
        let f = c.subtract(c.add(c.multiply(c.tanh(c.multiply(a, b)), c.exp(a)), c.log(c.addConstant(c.square(b), 1))),
                           c.divide(a, b))
        let check = c.gradientCheck(of: f, withRespectTo: [a, b])
        #expect(check.worstRelativeError < 1e-6, "worst relative error \(check.worstRelativeError)")
    }
}

@Test("Weighted-sum gate (the neuron a*x + b*y + c with n terms) equals multiply and sum gates, and passes the check")
func weightedSumGate() {
    checkNinja("a*x+b*y+c", arity: 5, seed: 25, { c, u in
        c.weightedSum(weights: [u[0], u[1]], inputs: [u[3], u[4]], bias: u[2])
    }, guide: { v in [v[3], v[4], 1, v[0], v[1]] })
    var rng = GatesRNG(seed: 26)
    let w = (0..<7).map { _ in Unit(rng.uniform(-1, 1)) }, x = (0..<7).map { _ in Unit(rng.uniform(-1, 1)) }
    let c = Circuit()
    let out = c.tanh(c.weightedSum(weights: w, inputs: x))
    let check = c.gradientCheck(of: out, withRespectTo: w + x)
    #expect(check.worstRelativeError < 1e-6, "worst relative error \(check.worstRelativeError)")
    // A wire used as both weight and input (w·w) gets both pulls.
    let a = Unit(1.5), c2 = Circuit()
    c2.backward(from: c2.weightedSum(weights: [a], inputs: [a]))
    #expect(a.grad == 3)
}

@Test("Gradient check reports a wrong gate: a deliberately broken backward is caught")
func gradientCheckCatchesBug() {
    final class BrokenMultiply: Gate {
        let u0: Unit, u1: Unit
        init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
        override func forward() { output.value = u0.value * u1.value; output.grad = 0 }
        override func backward() { u0.grad += u0.value * output.grad; u1.grad += u1.value * output.grad }  // swapped
    }
    let a = Unit(1.5), b = Unit(-0.5)
    let circuit = Circuit()
    let out = circuit.record(BrokenMultiply(a, b))
    let check = circuit.gradientCheck(of: out, withRespectTo: [a, b])
    #expect(check.worstRelativeError > 0.5)
    #expect(relativeError(0, 0) == 0 && relativeError(1, 1) == 0 && relativeError(1, -1) == 2)
}

import Foundation

// The arithmetic gates of chapter 1. Each gate's backward sits right under its forward, and its doc
// comment states the local derivative, so the chain rule for a gate is read in one glance.

/// `a + b`. Local derivatives are 1 and 1: the gate hands the pull from above unchanged to both inputs.
public final class AddGate: Gate {
    public let u0: Unit, u1: Unit
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value + u1.value; output.grad = 0 }
    public override func backward() {
        u0.grad += output.grad
        u1.grad += output.grad
    }
}

/// `a − b`. Local derivatives are +1 and −1.
public final class SubtractGate: Gate {
    public let u0: Unit, u1: Unit
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value - u1.value; output.grad = 0 }
    public override func backward() {
        u0.grad += output.grad
        u1.grad -= output.grad
    }
}

/// `a × b`. Local derivatives are `b` and `a`: each input is pulled by the *other* input's value
/// (the guide's "switcher").
public final class MultiplyGate: Gate {
    public let u0: Unit, u1: Unit
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value * u1.value; output.grad = 0 }
    public override func backward() {
        u0.grad += u1.value * output.grad
        u1.grad += u0.value * output.grad
    }
}

/// `a₀ + a₁ + … + aₙ₋₁` in one gate, as the guide adds three numbers "much faster" in one sweep.
/// Every local derivative is 1. An empty sum outputs 0.
public final class SumGate: Gate {
    public let inputs: [Unit]
    public init(_ inputs: [Unit]) { self.inputs = inputs; super.init(); forward() }
    public override func forward() {
        var total = 0.0
        for u in inputs { total += u.value }
        output.value = total
        output.grad = 0
    }
    public override func backward() {
        let g = output.grad
        for u in inputs { u.grad += g }
    }
}

/// `k · a` for a constant `k` (not a wire: nothing pulls on it). Local derivative `k`.
public final class ScaleGate: Gate {
    public let u0: Unit
    public let factor: Double
    public init(_ u0: Unit, by factor: Double) { self.u0 = u0; self.factor = factor; super.init(); forward() }
    public override func forward() { output.value = factor * u0.value; output.grad = 0 }
    public override func backward() { u0.grad += factor * output.grad }
}

/// `a + k` for a constant `k` (the `+ 1` of the hinge loss). Local derivative 1.
public final class AddConstantGate: Gate {
    public let u0: Unit
    public let constant: Double
    public init(_ u0: Unit, plus constant: Double) { self.u0 = u0; self.constant = constant; super.init(); forward() }
    public override func forward() { output.value = u0.value + constant; output.grad = 0 }
    public override func backward() { u0.grad += output.grad }
}

/// `a²`. Local derivative `2a`: the guide's `a * a`, where one wire splits into both inputs of a `*`
/// gate and the two pulls `a·dx` add up.
public final class SquareGate: Gate {
    public let u0: Unit
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = u0.value * u0.value; output.grad = 0 }
    public override func backward() { u0.grad += 2 * u0.value * output.grad }
}

/// `aᵖ` for a constant exponent `p`. Local derivative `p·aᵖ⁻¹` (power rule).
public final class PowGate: Gate {
    public let u0: Unit
    public let exponent: Double
    public init(_ u0: Unit, _ exponent: Double) { self.u0 = u0; self.exponent = exponent; super.init(); forward() }
    public override func forward() { output.value = pow(u0.value, exponent); output.grad = 0 }
    public override func backward() { u0.grad += exponent * pow(u0.value, exponent - 1) * output.grad }
}

/// `1 / a`. Local derivative `−1 / a²` (the guide's division building block).
public final class ReciprocalGate: Gate {
    public let u0: Unit
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = 1 / u0.value; output.grad = 0 }
    public override func backward() { u0.grad += (-1 / (u0.value * u0.value)) * output.grad }
}

/// `a / b`. Local derivatives `1/b` and `−a/b²`; the same as `a × (1/b)` from a multiply and a
/// reciprocal gate, in one gate.
public final class DivideGate: Gate {
    public let u0: Unit, u1: Unit
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value / u1.value; output.grad = 0 }
    public override func backward() {
        let b = u1.value
        u0.grad += (1 / b) * output.grad
        u1.grad += (-u0.value / (b * b)) * output.grad
    }
}

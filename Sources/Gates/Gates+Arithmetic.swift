import Foundation

// The arithmetic gates of chapter 1. Each gate's backward sits right under its forward, and its doc
// comment states the local derivative, so the chain rule for a gate is read in one glance.

/// `a + b`. Local derivatives are 1 and 1: the gate hands the pull from above unchanged to both inputs.
public final class AddGate: Gate {
    /// The input wires, in order.
    public let u0: Unit, u1: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value + u1.value; output.grad = 0 }
    public override func backward() {
        u0.grad += output.grad
        u1.grad += output.grad
    }
}

/// `a − b`. Local derivatives are +1 and −1.
public final class SubtractGate: Gate {
    /// The input wires, in order.
    public let u0: Unit, u1: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
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
    /// The input wires, in order.
    public let u0: Unit, u1: Unit
    // The wires' storage, cached: one multiply gate per connection is the inner loop of a literal
    // scalar net, and reading through the Unit object first would cost an extra dependent load.
    private let p0: UnsafeMutablePointer<Double>, p1: UnsafeMutablePointer<Double>, out: UnsafeMutablePointer<Double>
    /// Wires the gate to its inputs and runs the first forward pass. Pass `output` to choose the wire it
    /// writes (e.g. one of ``Unit/contiguous(_:)``, so a layer's products sit side by side).
    public init(_ u0: Unit, _ u1: Unit, output: Unit = Unit(0)) {
        self.u0 = u0; self.u1 = u1
        p0 = u0.storage; p1 = u1.storage
        out = output.storage
        super.init(output: output)
        forward()
    }
    public override func forward() { out[0] = p0[0] * p1[0]; out[1] = 0 }
    public override func backward() {
        let g = out[1]
        p0[1] += p1[0] * g
        p1[1] += p0[0] * g
    }
}

/// `a₀ + a₁ + … + aₙ₋₁` in one gate, as the guide adds three numbers "much faster" in one sweep.
/// Every local derivative is 1. An empty sum outputs 0.
public final class SumGate: Gate {
    /// The input wires.
    public let inputs: [Unit]
    // The inputs' storage, cached so the loops do not go through each Unit (see WeightedSumGate).
    private let storage: [UnsafeMutablePointer<Double>]
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ inputs: [Unit]) { self.inputs = inputs; storage = inputs.map(\.storage); super.init(); forward() }
    public override func forward() {
        var total = 0.0
        storage.withUnsafeBufferPointer { units in
            for u in units { total += u[0] }
        }
        output.value = total
        output.grad = 0
    }
    public override func backward() {
        let g = output.grad
        storage.withUnsafeBufferPointer { units in
            for u in units { u[1] += g }
        }
    }
}

/// `k · a` for a constant `k` (not a wire: nothing pulls on it). Local derivative `k`.
public final class ScaleGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// The constant `k`.
    public let factor: Double
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, by factor: Double) { self.u0 = u0; self.factor = factor; super.init(); forward() }
    public override func forward() { output.value = factor * u0.value; output.grad = 0 }
    public override func backward() { u0.grad += factor * output.grad }
}

/// `a + k` for a constant `k` (the `+ 1` of the hinge loss). Local derivative 1.
public final class AddConstantGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// The constant `k`.
    public let constant: Double
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, plus constant: Double) { self.u0 = u0; self.constant = constant; super.init(); forward() }
    public override func forward() { output.value = u0.value + constant; output.grad = 0 }
    public override func backward() { u0.grad += output.grad }
}

/// `a²`. Local derivative `2a`: the guide's `a * a`, where one wire splits into both inputs of a `*`
/// gate and the two pulls `a·dx` add up.
public final class SquareGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = u0.value * u0.value; output.grad = 0 }
    public override func backward() { u0.grad += 2 * u0.value * output.grad }
}

/// `aᵖ` for a constant exponent `p`. Local derivative `p·aᵖ⁻¹` (power rule).
public final class PowGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// The constant exponent `p`.
    public let exponent: Double
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, _ exponent: Double) { self.u0 = u0; self.exponent = exponent; super.init(); forward() }
    public override func forward() { output.value = pow(u0.value, exponent); output.grad = 0 }
    public override func backward() { u0.grad += exponent * pow(u0.value, exponent - 1) * output.grad }
}

/// `1 / a`. Local derivative `−1 / a²` (the guide's division building block).
public final class ReciprocalGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = 1 / u0.value; output.grad = 0 }
    public override func backward() { u0.grad += (-1 / (u0.value * u0.value)) * output.grad }
}

/// `a / b`. Local derivatives `1/b` and `−a/b²`; the same as `a × (1/b)` from a multiply and a
/// reciprocal gate, in one gate.
public final class DivideGate: Gate {
    /// The input wires, in order.
    public let u0: Unit, u1: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = u0.value / u1.value; output.grad = 0 }
    public override func backward() {
        let b = u1.value
        u0.grad += (1 / b) * output.grad
        u1.grad += (-u0.value / (b * b)) * output.grad
    }
}

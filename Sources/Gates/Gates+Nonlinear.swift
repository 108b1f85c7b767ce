import Foundation

// The non-linear gates of chapter 1: squashing (sigmoid, tanh), switches (ReLU, max), exp and log.

/// `σ(a) = 1 / (1 + e⁻ᵃ)`, the guide's squashing function, as one gate. Local derivative `σ(a)(1 − σ(a))`,
/// read from the output so backward needs no second `exp`.
public final class SigmoidGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    /// The sigmoid function itself, for code that wants the number without a gate.
    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    public override func forward() { output.value = Self.sigmoid(u0.value); output.grad = 0 }
    public override func backward() {
        let s = output.value
        u0.grad += (s * (1 - s)) * output.grad
    }
}

/// `tanh(a)`. Local derivative `1 − tanh²(a)`, read from the output.
public final class TanhGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = tanh(u0.value); output.grad = 0 }
    public override func backward() {
        let t = output.value
        u0.grad += (1 - t * t) * output.grad
    }
}

/// `max(0, a)`, the rectified linear unit. Backward is a switch: the pull passes if the input was
/// positive during the forward pass and stops otherwise (local derivative 1 or 0; 0 at exactly 0, as the
/// guide's `a > 0 ? dx : 0`).
public final class ReLUGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = max(0, u0.value); output.grad = 0 }
    public override func backward() {
        if u0.value > 0 { u0.grad += output.grad }
    }
}

/// `max(a, b)`. Backward routes the whole pull to the input that won the forward pass (a "switch").
/// On a tie the first input takes it, so the pull is passed on once rather than doubled.
public final class MaxGate: Gate {
    /// The input wires, in order.
    public let u0: Unit, u1: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit, _ u1: Unit) { self.u0 = u0; self.u1 = u1; super.init(); forward() }
    public override func forward() { output.value = max(u0.value, u1.value); output.grad = 0 }
    public override func backward() {
        if u0.value >= u1.value { u0.grad += output.grad } else { u1.grad += output.grad }
    }
}

/// `eᵃ`. Local derivative `eᵃ`, which is the output itself.
public final class ExpGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = exp(u0.value); output.grad = 0 }
    public override func backward() { u0.grad += output.value * output.grad }
}

/// `ln a` (natural log; `a` must be positive). Local derivative `1 / a`.
public final class LogGate: Gate {
    /// The input wire.
    public let u0: Unit
    /// Wires the gate to its inputs and runs the first forward pass.
    public init(_ u0: Unit) { self.u0 = u0; super.init(); forward() }
    public override func forward() { output.value = log(u0.value); output.grad = 0 }
    public override func backward() { u0.grad += output.grad / u0.value }
}

/// A wire of a real-valued circuit: the value that flows forward along it and the gradient (the pull)
/// that flows back along it.
///
/// `Unit` is a class because a wire is shared: the gate that writes it and every gate that reads it hold
/// the same `Unit`, and where a wire branches the pulls from each branch add up in ``grad``.
///
/// ```swift
/// let a = Unit(1.0)          // value 1, grad 0
/// ```
public final class Unit {
    /// The value computed in the forward pass.
    public var value: Double
    /// The derivative of the circuit's output with respect to this wire, filled in by the backward pass.
    /// Gates add into it (`+=`), so it must start at zero: gates reset their own output's `grad` in
    /// `forward()`; inputs and parameters (leaves) are reset by their owner (see ``Circuit/zeroGradients(_:)``).
    public var grad: Double

    /// A wire carrying `value`, with no pull on it yet.
    public init(_ value: Double, grad: Double = 0) {
        self.value = value
        self.grad = grad
    }
}

extension Unit: CustomStringConvertible {
    public var description: String { "Unit(value: \(value), grad: \(grad))" }
}

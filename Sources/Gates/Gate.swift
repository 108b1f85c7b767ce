/// A gate of a real-valued circuit: it knows how to compute its output from its inputs (``forward()``)
/// and how to turn a pull on its output into pulls on its inputs (``backward()``), and nothing about
/// the circuit it sits in.
///
/// A gate is wired once, at initialization, to its input ``Unit``s and owns its ``output`` unit; each
/// concrete gate's initializer runs the first forward pass. After the inputs change, ``forward()``
/// recomputes the same output unit, so a circuit built once can be re-run on new data without
/// allocating (the training loops of this module rely on that).
///
/// The contract every gate keeps:
/// - `forward()` writes `output.value` from the inputs' current values and sets `output.grad` to 0,
///   like the guide's `new Unit(value, 0.0)`.
/// - `backward()` multiplies each local derivative by `output.grad` (chain rule) and *adds* (`+=`) the
///   product into the input's `grad`, so a wire that feeds several gates sums their pulls.
///
/// `Gate` is a class to subclass rather than a protocol: a ``Circuit`` can then walk its gates through
/// unmanaged references without a retain/release pair around every call, which on a 784-32-10 net
/// cost more than the gates' arithmetic.
open class Gate {
    /// The wire this gate writes.
    public let output: Unit

    /// A gate writing `output` (a fresh wire by default; its value is 0 until the subclass runs
    /// ``forward()``). Subclasses that cache the output's storage create the unit first and pass it in.
    public init(output: Unit = Unit(0)) { self.output = output }

    /// Recomputes `output.value` from the inputs and resets `output.grad` to zero.
    open func forward() { preconditionFailure("\(type(of: self)) must override forward()") }

    /// Adds `localDerivative × output.grad` into each input's `grad`.
    open func backward() { preconditionFailure("\(type(of: self)) must override backward()") }
}

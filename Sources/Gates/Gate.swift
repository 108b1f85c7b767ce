/// A gate of a real-valued circuit: it knows how to compute its output from its inputs (``forward()``)
/// and how to turn a pull on its output into pulls on its inputs (``backward()``), and nothing about
/// the circuit it sits in.
///
/// A gate is wired once, at initialization, to its input ``Unit``s and creates its ``output`` unit; the
/// initializer runs the first forward pass. After the inputs change, ``forward()`` recomputes the same
/// output unit, so a circuit built once can be re-run on new data without allocating (the training
/// loops of this module rely on that).
///
/// The contract every gate keeps:
/// - `forward()` writes `output.value` from the inputs' current values and sets `output.grad` to 0,
///   like the guide's `new Unit(value, 0.0)`.
/// - `backward()` multiplies each local derivative by `output.grad` (chain rule) and *adds* (`+=`) the
///   product into the input's `grad`, so a wire that feeds several gates sums their pulls.
public protocol Gate: AnyObject {
    /// The wire this gate writes.
    var output: Unit { get }
    /// Recomputes `output.value` from the inputs and resets `output.grad` to zero.
    func forward()
    /// Adds `localDerivative × output.grad` into each input's `grad`.
    func backward()
}

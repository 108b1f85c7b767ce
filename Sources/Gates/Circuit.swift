/// A real-valued circuit: gates recorded in the order they ran, so that ``backward(from:pull:)`` can
/// replay them in reverse.
///
/// Recording order is already a topological order (a gate can only read wires that exist), so the
/// backward pass needs no sort and no recursion, and deep circuits never overflow the stack.
///
/// Build a circuit once with the builder methods (each creates a gate, runs it, records it and returns
/// its output wire), then pull on the output:
///
/// ```swift
/// let circuit = Circuit()
/// let x = Unit(-2), y = Unit(5), z = Unit(-4)
/// let q = circuit.add(x, y)            // 3
/// let f = circuit.multiply(q, z)       // -12
/// circuit.backward(from: f)            // pull with +1: x.grad = -4, y.grad = -4, z.grad = 3
/// ```
///
/// To run it again on new inputs, set the input units' values, zero the leaves' gradients and call
/// ``forward()``: the same gates and units are reused, nothing is allocated.
public final class Circuit {
    /// The gates in the order they were recorded (forward order).
    public private(set) var gates: [Gate] = []
    // The same gates, unowned: `gates` keeps them alive, and calling through these needs no
    // retain/release per gate in the hot loops.
    private var unmanagedGates: [Unmanaged<Gate>] = []

    /// An empty circuit.
    public init() {}

    /// Records a gate that has already run its first forward pass, and returns its output wire.
    @discardableResult
    public func record(_ gate: Gate) -> Unit {
        gates.append(gate)
        unmanagedGates.append(.passUnretained(gate))
        return gate.output
    }

    /// The output of the most recently recorded gate (the circuit's output by default), or nil if empty.
    public var output: Unit? { gates.last?.output }

    /// Re-runs every gate's forward pass in recording order with the inputs' current values. Every gate
    /// output's `grad` is reset to zero on the way.
    public func forward() {
        unmanagedGates.withUnsafeBufferPointer { buffer in
            for index in 0..<buffer.count { buffer[index]._withUnsafeGuaranteedRef { $0.forward() } }
        }
    }

    /// Pulls on `output` with force `pull` (the default +1 asks the circuit to increase its output) and
    /// runs every gate's backward pass in reverse recording order.
    ///
    /// Call it once after each ``forward()`` (or after building): gate outputs start the pass at zero,
    /// while leaves (inputs and parameters) keep adding, so pulls from several examples can be
    /// accumulated into parameters before an update.
    public func backward(from output: Unit, pull: Double = 1) {
        output.grad += pull
        unmanagedGates.withUnsafeBufferPointer { buffer in
            var index = buffer.count
            while index > 0 {
                index -= 1
                buffer[index]._withUnsafeGuaranteedRef { $0.backward() }
            }
        }
    }

    /// Pulls on the last recorded gate's output with force `pull`.
    public func backward(pull: Double = 1) {
        guard let output else { return }
        backward(from: output, pull: pull)
    }

    /// Sets the gradient of each unit to zero (leaves are not reset by ``forward()``).
    public static func zeroGradients(_ units: [Unit]) {
        for unit in units { unit.grad = 0 }
    }

    /// Instance spelling of ``zeroGradients(_:)-swift.type.method``.
    public func zeroGradients(_ units: [Unit]) { Self.zeroGradients(units) }
}

// Builders: one per gate, named the way the guide says it. Each runs the gate now and records it.
extension Circuit {
    /// `a + b` (``AddGate``).
    public func add(_ a: Unit, _ b: Unit) -> Unit { record(AddGate(a, b)) }
    /// `a − b` (``SubtractGate``).
    public func subtract(_ a: Unit, _ b: Unit) -> Unit { record(SubtractGate(a, b)) }
    /// `a × b` (``MultiplyGate``).
    public func multiply(_ a: Unit, _ b: Unit) -> Unit { record(MultiplyGate(a, b)) }
    /// `Σ units` in one gate (``SumGate``).
    public func sum(_ units: [Unit]) -> Unit { record(SumGate(units)) }
    /// `k · a` for a constant `k` (``ScaleGate``).
    public func scale(_ a: Unit, by k: Double) -> Unit { record(ScaleGate(a, by: k)) }
    /// `a + k` for a constant `k` (``AddConstantGate``).
    public func addConstant(_ a: Unit, _ k: Double) -> Unit { record(AddConstantGate(a, plus: k)) }
    /// `a²` (``SquareGate``).
    public func square(_ a: Unit) -> Unit { record(SquareGate(a)) }
    /// `aᵖ` for a constant `p` (``PowGate``).
    public func pow(_ a: Unit, _ p: Double) -> Unit { record(PowGate(a, p)) }
    /// `1 / a` (``ReciprocalGate``).
    public func reciprocal(_ a: Unit) -> Unit { record(ReciprocalGate(a)) }
    /// `a / b` (``DivideGate``).
    public func divide(_ a: Unit, _ b: Unit) -> Unit { record(DivideGate(a, b)) }
    /// `σ(a)` (``SigmoidGate``).
    public func sigmoid(_ a: Unit) -> Unit { record(SigmoidGate(a)) }
    /// `tanh(a)` (``TanhGate``).
    public func tanh(_ a: Unit) -> Unit { record(TanhGate(a)) }
    /// `max(0, a)` (``ReLUGate``).
    public func relu(_ a: Unit) -> Unit { record(ReLUGate(a)) }
    /// `max(a, b)` (``MaxGate``).
    public func max(_ a: Unit, _ b: Unit) -> Unit { record(MaxGate(a, b)) }
    /// `eᵃ` (``ExpGate``).
    public func exp(_ a: Unit) -> Unit { record(ExpGate(a)) }
    /// `ln a` (``LogGate``).
    public func log(_ a: Unit) -> Unit { record(LogGate(a)) }
}

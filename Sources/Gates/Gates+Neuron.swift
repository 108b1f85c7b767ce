/// `w₀·x₀ + w₁·x₁ + … + wₙ₋₁·xₙ₋₁ + b` in one gate: the guide's neuron body `a*x + b*y + c` with any
/// number of terms, collapsed into a single gate the way the guide collapses the sigmoid ("because the
/// gradient expression turns out to be simple").
///
/// Local derivatives: `∂/∂wᵢ = xᵢ`, `∂/∂xᵢ = wᵢ`, `∂/∂b = 1`. Backward multiplies each by the output's
/// gradient and adds it into the input, exactly what `n` multiply gates and one sum gate would do, in
/// one sweep and without the `n` intermediate wires.
public final class WeightedSumGate: Gate {
    /// The weights `wᵢ` (wires, so they receive gradients).
    public let weights: [Unit]
    /// The inputs `xᵢ`.
    public let inputs: [Unit]
    /// The bias `b`, if any.
    public let bias: Unit?
    // The units' storage, gathered once: the loops then read numbers through one pointer each instead of
    // going through the Unit objects (and their reference counts) on every term.
    private let weightStorage: [UnsafeMutablePointer<Double>]
    private let inputStorage: [UnsafeMutablePointer<Double>]

    /// A gate computing `Σ weights[i]·inputs[i] (+ bias)`; `weights` and `inputs` must have equal counts.
    public init(weights: [Unit], inputs: [Unit], bias: Unit? = nil) {
        precondition(weights.count == inputs.count,
                     "WeightedSumGate: \(weights.count) weights but \(inputs.count) inputs")
        self.weights = weights
        self.inputs = inputs
        self.bias = bias
        weightStorage = weights.map(\.storage)
        inputStorage = inputs.map(\.storage)
        super.init()
        forward()
    }

    public override func forward() {
        var total = bias?.value ?? 0
        weightStorage.withUnsafeBufferPointer { w in
            inputStorage.withUnsafeBufferPointer { x in
                for i in 0..<w.count { total += w[i].pointee * x[i].pointee }
            }
        }
        output.value = total
        output.grad = 0
    }

    public override func backward() {
        let g = output.grad
        weightStorage.withUnsafeBufferPointer { w in
            inputStorage.withUnsafeBufferPointer { x in
                for i in 0..<w.count {
                    let wi = w[i], xi = x[i]
                    // storage[1] is the grad: dwᵢ += xᵢ·g, dxᵢ += wᵢ·g.
                    wi[1] += xi[0] * g
                    xi[1] += wi[0] * g
                }
            }
        }
        bias?.grad += g
    }
}

extension Circuit {
    /// `Σ weights[i]·inputs[i] (+ bias)` in one gate (``WeightedSumGate``).
    public func weightedSum(weights: [Unit], inputs: [Unit], bias: Unit? = nil) -> Unit {
        record(WeightedSumGate(weights: weights, inputs: inputs, bias: bias))
    }
}

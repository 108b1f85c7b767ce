/// Compares the tape's analytic gradients with central differences — the guide's check of backprop
/// against the numerical gradient, for whole tensors.
public enum GradientCheck {
    /// The outcome of a check: the worst relative error and where it was.
    public struct Result: Sendable, CustomStringConvertible {
        /// max over all inputs and elements of |analytic − numerical| / max(|analytic|, |numerical|, floor).
        public var worstRelativeError: Double
        /// Which input and flat element gave the worst error.
        public var worstInput: Int
        public var worstIndex: Int
        public var analytic: Double
        public var numerical: Double

        public var description: String {
            "worst relative error \(worstRelativeError) at input \(worstInput)[\(worstIndex)]: analytic \(analytic), numerical \(numerical)"
        }
    }

    /// Checks `f` at `inputs`. `f` receives a fresh tape and one variable per input and returns a
    /// variable whose scalars are summed into the checked function (so any output shape works).
    ///
    /// The numerical gradient is the fourth-order central difference
    /// (f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)) / 12h, computed in Double: its truncation error is O(h⁴),
    /// so h can be large enough that rounding in f does not swamp small gradients.
    /// Relative errors are taken against max(|a|, |n|, `floor`): gradients smaller than `floor` are
    /// compared absolutely, because an exact zero (a ReLU that is off, a satisfied margin) meets
    /// numerical noise of ~1e-12 that no relative measure can accept.
    public static func check(_ inputs: [Tensor<Double>], h: Double = 1e-4, floor: Double = 1e-3,
                             _ f: (Tape<Double>, [Variable<Double>]) throws -> Variable<Double>) throws -> Result {
        // Analytic.
        let tape = Tape<Double>()
        let vars = inputs.map { tape.variable($0) }
        let out = try f(tape, vars)
        try tape.backward(out)
        let analytic = vars.map { $0.grad ?? Tensor(zeros: $0.value.shape) }

        func evaluate(_ xs: [Tensor<Double>]) throws -> Double {
            let t = Tape<Double>()
            return try f(t, xs.map { t.variable($0, requiresGrad: false) }).value.sum()
        }

        var result = Result(worstRelativeError: 0, worstInput: 0, worstIndex: 0, analytic: 0, numerical: 0)
        var xs = inputs
        for (i, x) in inputs.enumerated() {
            for j in 0..<x.count {
                let original = x[flat: j]
                func at(_ offset: Double) throws -> Double {
                    xs[i][flat: j] = original + offset
                    return try evaluate(xs)
                }
                let numerical = (try at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
                xs[i][flat: j] = original
                let a = analytic[i][flat: j]
                let rel = Swift.abs(a - numerical) / Swift.max(Swift.abs(a), Swift.abs(numerical), floor)
                if rel > result.worstRelativeError || (i == 0 && j == 0) {
                    result = Result(worstRelativeError: rel, worstInput: i, worstIndex: j, analytic: a, numerical: numerical)
                }
            }
        }
        return result
    }
}

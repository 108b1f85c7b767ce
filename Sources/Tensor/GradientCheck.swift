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
    /// The numerical gradient is the central difference (f(x+h) − f(x−h)) / 2h, computed in Double.
    /// Relative errors are taken against max(|a|, |n|, `floor`) so that gradients that are both ~0 do
    /// not divide by zero.
    public static func check(_ inputs: [Tensor<Double>], h: Double = 1e-5, floor: Double = 1e-8,
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
                xs[i][flat: j] = original + h
                let plus = try evaluate(xs)
                xs[i][flat: j] = original - h
                let minus = try evaluate(xs)
                xs[i][flat: j] = original
                let numerical = (plus - minus) / (2 * h)
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

// The three strategies of chapter 1 for "how should the inputs change to make the output higher?",
// and the gradient check that pits the analytic gradient against the numerical one.

/// Strategy #1's answer: the best inputs found and the circuit output they gave.
public struct RandomSearchResult: Sendable, Equatable {
    /// The inputs of the best try.
    public var inputs: [Double]
    /// The function's output at ``inputs``.
    public var output: Double
}

/// Strategy #1, random local search: try `tries` random tweaks of at most `tweakAmount` on every input
/// (each tweak starts again from `start`, as in the guide) and keep the one with the highest output.
///
/// Uniform tweaks in `[-tweakAmount, tweakAmount)` are drawn from `rng`, so a seed reproduces a search.
/// If no try beats `-∞` (e.g. `tries == 0`) the result is `start` with output `-∞`.
public func randomLocalSearch(
    _ f: ([Double]) -> Double,
    from start: [Double],
    tweakAmount: Double = 0.01,
    tries: Int = 100,
    rng: inout GatesRNG
) -> RandomSearchResult {
    var best = RandomSearchResult(inputs: start, output: -.infinity)
    var trial = start
    for _ in 0..<tries {
        for i in start.indices { trial[i] = start[i] + tweakAmount * (rng.uniform() * 2 - 1) }
        let out = f(trial)
        if out > best.output { best = RandomSearchResult(inputs: trial, output: out) }
    }
    return best
}

/// How a numerical derivative probes the function.
public enum DifferenceScheme: Sendable {
    /// `(f(x + h) − f(x)) / h`, as the guide writes it: error of order `h`.
    case forward
    /// `(f(x + h) − f(x − h)) / 2h`: error of order `h²`, twice the probes; use it for gradient checks.
    case central
}

/// Strategy #2, the numerical gradient of `f` at `x`: tweak one input at a time by `h` and watch the
/// output move.
public func numericalGradient(
    _ f: ([Double]) -> Double,
    at x: [Double],
    h: Double = 1e-4,
    scheme: DifferenceScheme = .forward
) -> [Double] {
    var probe = x
    let fx = scheme == .forward ? f(x) : 0
    var gradient = [Double](repeating: 0, count: x.count)
    for i in x.indices {
        switch scheme {
        case .forward:
            probe[i] = x[i] + h
            gradient[i] = (f(probe) - fx) / h
        case .central:
            probe[i] = x[i] + h
            let up = f(probe)
            probe[i] = x[i] - h
            gradient[i] = (up - f(probe)) / (2 * h)
        }
        probe[i] = x[i]
    }
    return gradient
}

/// The outcome of a gradient check: both gradients and how far apart they are.
public struct GradientCheckResult: Sendable {
    /// The gradient from backprop (strategy #3).
    public var analytic: [Double]
    /// The gradient from probing (strategy #2).
    public var numerical: [Double]
    /// `|a − n| / max(|a|, |n|, floor)` for each input; the floor (1e-8) keeps two near-zero
    /// derivatives from reporting a huge relative error.
    public var relativeErrors: [Double]
    /// The worst entry of ``relativeErrors`` (0 for no inputs).
    public var worstRelativeError: Double { relativeErrors.max() ?? 0 }
    /// Index of the input with the worst relative error, or nil for no inputs.
    public var worstIndex: Int? { relativeErrors.indices.max { relativeErrors[$0] < relativeErrors[$1] } }
}

/// Relative error between an analytic and a numerical derivative, with a floor on the denominator.
public func relativeError(_ a: Double, _ n: Double, floor: Double = 1e-8) -> Double {
    Swift.abs(a - n) / Swift.max(Swift.abs(a), Swift.abs(n), floor)
}

extension Circuit {
    /// Strategy #2 on a circuit: nudge each input unit's value by `h`, re-run ``forward()``, read how
    /// much `output` moved. Input values are restored and the circuit is re-run once more at the end, so
    /// it is left as it was found (gradients apart).
    public func numericalGradient(
        of output: Unit,
        withRespectTo inputs: [Unit],
        h: Double = 1e-4,
        scheme: DifferenceScheme = .forward
    ) -> [Double] {
        let start = inputs.map(\.value)
        let gradient = Gates.numericalGradient({ values in
            for (unit, v) in zip(inputs, values) { unit.value = v }
            forward()
            return output.value
        }, at: start, h: h, scheme: scheme)
        for (unit, v) in zip(inputs, start) { unit.value = v }
        forward()
        return gradient
    }

    /// Strategy #3, the analytic gradient: zero the inputs' gradients, run forward, pull on `output`
    /// with +1 and read the inputs' `grad`s.
    public func analyticGradient(of output: Unit, withRespectTo inputs: [Unit]) -> [Double] {
        zeroGradients(inputs)
        forward()
        backward(from: output, pull: 1)
        return inputs.map(\.grad)
    }

    /// Compares backprop with central differences (the guide: "the correctness of the implementation
    /// is verified by comparing it to the numerical gradient"). A healthy gate gives a worst relative
    /// error around 1e-7 or below with the default `h`.
    public func gradientCheck(
        of output: Unit,
        withRespectTo inputs: [Unit],
        h: Double = 1e-5,
        scheme: DifferenceScheme = .central
    ) -> GradientCheckResult {
        let numerical = numericalGradient(of: output, withRespectTo: inputs, h: h, scheme: scheme)
        let analytic = analyticGradient(of: output, withRespectTo: inputs)
        let errors = zip(analytic, numerical).map { relativeError($0, $1) }
        return GradientCheckResult(analytic: analytic, numerical: numerical, relativeErrors: errors)
    }
}

/// Weight penalties — the guide's springs pulling weights toward zero. Applied to weights only, never to
/// biases (`Parameter.isRegularized`).
///
/// L2 is (λ/2)·‖W‖² with gradient λ·W (so λ = 1 is the guide's pull of −a on a); L1 is λ·‖W‖₁ with
/// subgradient λ·sign(W); elastic net is both.
public struct Regularization: Codable, Equatable, Sendable {
    public var l1: Double
    public var l2: Double

    public init(l1: Double = 0, l2: Double = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    public static let none = Regularization()
    public static func l2(_ lambda: Double) -> Regularization { Regularization(l2: lambda) }
    public static func l1(_ lambda: Double) -> Regularization { Regularization(l1: lambda) }
    public static func elasticNet(l1: Double, l2: Double) -> Regularization { Regularization(l1: l1, l2: l2) }

    public var isNone: Bool { l1 == 0 && l2 == 0 }

    /// The penalty of the given parameters (added to the reported loss).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func penalty<Scalar>(_ parameters: [Parameter<Scalar>]) -> Double {
        guard !isNone else { return 0 }
        var total = 0.0
        for p in parameters where p.isRegularized {
            p.variable.value.withUnsafeBufferPointer { w in
                for v in w {
                    let d = Double(v)
                    total += l2 / 2 * d * d + l1 * Swift.abs(d)
                }
            }
        }
        return total
    }

    /// Adds the penalty's gradient into each weight's gradient (in place, no allocation).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func addGradients<Scalar>(_ parameters: [Parameter<Scalar>]) {
        guard !isNone else { return }
        let a = Scalar(l2), b = Scalar(l1)
        for p in parameters where p.isRegularized {
            let v = p.variable
            let w = v.value.unsafeReadPointer, n = v.value.count
            v.accumulateGrad { g, add in
                // Flags hoisted out of the loops so each is a straight compare-and-select the compiler
                // vectorizes.
                if !add { g.update(repeating: 0, count: n) }
                if a != 0 { for i in 0..<n { g[i] += a * w[i] } }
                if b != 0 { for i in 0..<n { let x = w[i]; g[i] += x > 0 ? b : (x < 0 ? -b : 0) } }
            }
        }
    }
}

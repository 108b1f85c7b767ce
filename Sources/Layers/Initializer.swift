import Foundation

/// How a dense layer's weights start.
public enum Initializer: String, Codable, Sendable, CaseIterable {
    /// Uniform in [−0.5, 0.5): the guide's `Math.random() - 0.5`.
    case guideUniform
    /// Xavier/Glorot uniform: U(−a, a) with a = √(6 / (in + out)); keeps variance through tanh/sigmoid.
    case xavier
    /// He normal: N(0, 2 / in); keeps variance through ReLU.
    case he
    /// A (semi-)orthogonal matrix from the QR factorization of a Gaussian matrix (LAPACK), scaled by
    /// √2 for ReLU networks.
    case orthogonal

    /// An in×out weight matrix drawn from `rng`.
    public func weights<Scalar: BLASScalar>(inputs: Int, outputs: Int, as: Scalar.Type, using rng: inout SeededRNG) throws -> Tensor<Scalar> {
        guard inputs > 0, outputs > 0 else {
            throw TensorError.invalidShape(op: "initializer", shape: [inputs, outputs], expected: "positive layer sizes")
        }
        switch self {
        case .guideUniform:
            return Tensor.randomUniform([inputs, outputs], low: -0.5, high: 0.5, using: &rng)
        case .xavier:
            let a = Scalar((6.0 / Double(inputs + outputs)).squareRoot())
            return Tensor.randomUniform([inputs, outputs], low: -a, high: a, using: &rng)
        case .he:
            return Tensor.randomNormal([inputs, outputs], std: Scalar((2.0 / Double(inputs)).squareRoot()), using: &rng)
        case .orthogonal:
            // QR of a tall Gaussian matrix gives orthonormal columns; transpose when the layer is wide.
            let tall = max(inputs, outputs), wide = min(inputs, outputs)
            let g = Tensor<Scalar>.randomNormal([tall, wide], using: &rng)
            var (q, r) = try g.qr()
            // Fix the sign ambiguity of QR so the distribution is uniform over orthogonal matrices.
            for c in 0..<wide where r[c, c] < 0 { for row in 0..<tall { q[row, c] = -q[row, c] } }
            let w = inputs >= outputs ? q : try q.transposed()
            return w * Scalar(2.0.squareRoot())
        }
    }
}

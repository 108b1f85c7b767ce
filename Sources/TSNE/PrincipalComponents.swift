import Tensor

/// Principal component analysis by eigendecomposition of the covariance matrix: the usual first step
/// before t-SNE (50 components), and the source of its PCA initialisation (2 components).
///
/// The covariance XcᵀXc/(n − 1) of the centred data is one `sgemm` with a transpose flag (d × d, for
/// Fashion-MNIST 784 × 784), symmetrised and decomposed in Double by LAPACK's `dsyevd`. Each
/// direction's sign is fixed so that its largest-magnitude entry is positive (as scikit-learn's
/// `svd_flip` does), so runs are reproducible and comparable with other tools.
public struct PrincipalComponents: Sendable {
    /// The column means subtracted before projecting, length d.
    public let mean: [Float]
    /// The directions as rows, `[components, d]` row-major, unit length, by decreasing variance.
    public let directions: [Float]
    /// The variance along each direction (the covariance's eigenvalues), decreasing.
    public let variances: [Double]
    /// Number of input features d.
    public let inputDimension: Int
    /// Number of components kept.
    public var components: Int { variances.count }

    /// Fits `components` directions to `x` (`[n, d]`).
    /// - Throws: `TSNEError.invalidArgument` if `components` is not in 1...d or n < 2; LAPACK failures
    ///   as `TensorError`.
    public init(fitting x: Tensor<Float>, components: Int, threads: Int = 1) throws {
        guard x.rank == 2 else { throw TSNEError.shapeMismatch(what: "PCA input", expected: "a [n, d] matrix", found: "shape \(x.shape)") }
        let n = x.shape[0], d = x.shape[1]
        guard n >= 2 else { throw TSNEError.tooFewPoints(count: n, minimum: 2) }
        guard components >= 1, components <= d else {
            throw TSNEError.invalidArgument(name: "PCA components", reason: "must be in 1...\(d) (the number of features), got \(components)")
        }
        let centred = Self.centre(x)
        var covariance = [Float](repeating: 0, count: d * d)
        let saved = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = saved }
        // Transpose flag instead of a copy: Xcᵀ·Xc reads the centred rows once.
        centred.data.withUnsafeBufferPointer { a in
            covariance.withUnsafeMutableBufferPointer { c in
                Float.gemm(transA: true, transB: false, m: Int32(d), n: Int32(d), k: Int32(n), alpha: 1 / Float(n - 1),
                           a: a.baseAddress!, lda: Int32(d), b: a.baseAddress!, ldb: Int32(d),
                           beta: 0, c: c.baseAddress!, ldc: Int32(d))
            }
        }
        // sgemm may round the two triangles differently; LAPACK wants an exactly symmetric matrix.
        var symmetric = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d { symmetric[i * d + j] = (Double(covariance[i * d + j]) + Double(covariance[j * d + i])) / 2 }
        }
        let (values, vectors) = try Tensor<Double>(symmetric, shape: [d, d]).symmetricEigen()
        var directions = [Float](repeating: 0, count: components * d)
        var variances = [Double](repeating: 0, count: components)
        for c in 0..<components {
            let column = d - 1 - c   // ascending eigenvalues: the largest come last
            variances[c] = max(0, values[flat: column])
            var largest = 0.0
            for i in 0..<d where abs(vectors[i, column]) > abs(largest) { largest = vectors[i, column] }
            let sign: Double = largest < 0 ? -1 : 1
            for i in 0..<d { directions[c * d + i] = Float(sign * vectors[i, column]) }
        }
        self.mean = centred.mean
        self.directions = directions
        self.variances = variances
        self.inputDimension = d
    }

    /// Projects `x` (`[n, d]`) onto the directions: `[n, components]`.
    /// - Throws: `TSNEError.shapeMismatch` if `x` does not have d columns.
    public func transform(_ x: Tensor<Float>, threads: Int = 1) throws -> Tensor<Float> {
        guard x.rank == 2, x.shape[1] == inputDimension else {
            throw TSNEError.shapeMismatch(what: "PCA input", expected: "[n, \(inputDimension)]", found: "\(x.shape)")
        }
        let n = x.shape[0], d = inputDimension, c = components
        let centred = Self.centre(x, mean: mean)
        var out = [Float](repeating: 0, count: n * c)
        let saved = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = saved }
        centred.data.withUnsafeBufferPointer { a in
            directions.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    Float.gemm(transA: false, transB: true, m: Int32(n), n: Int32(c), k: Int32(d), alpha: 1,
                               a: a.baseAddress!, lda: Int32(d), b: v.baseAddress!, ldb: Int32(d),
                               beta: 0, c: o.baseAddress!, ldc: Int32(c))
                }
            }
        }
        return try Tensor<Float>(out, shape: [n, c])
    }

    /// `x` with `mean` (its own column means when nil) subtracted from every row.
    static func centre(_ x: Tensor<Float>, mean given: [Float]? = nil) -> (data: [Float], mean: [Float]) {
        let n = x.shape[0], d = x.shape[1]
        var data = x.scalars
        var mean = given ?? []
        if given == nil {
            var sums = [Double](repeating: 0, count: d)
            for i in 0..<n { for j in 0..<d { sums[j] += Double(data[i * d + j]) } }
            mean = sums.map { Float($0 / Double(n)) }
        }
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { for j in 0..<d { p[i * d + j] -= mean[j] } }
        }
        return (data, mean)
    }
}

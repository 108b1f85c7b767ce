#if canImport(Tensor)
import Tensor
#endif

/// A feature transform fitted on training data and applied unchanged to every later batch.
///
/// Fit on the training split only — statistics taken from validation or test rows leak information
/// about them into the model. Transforms are `Codable` so a model file can store them (as JSON in its
/// metadata) and `circuits predict` can apply exactly the same transform to new data.
public protocol FeatureTransform: Codable, Sendable {
    /// Number of columns `transform` expects.
    var inputDimension: Int { get }
    /// Number of columns `transform` returns.
    var outputDimension: Int { get }
    /// Applies the fitted transform to the rows of `x` (`[n, inputDimension]`).
    func transform(_ x: Tensor<Float>) throws -> Tensor<Float>
    /// Maps transformed rows back to the original feature space (exactly for the scalers; for PCA, the
    /// projection onto the kept components).
    func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float>
}

/// Checks that `x` is a matrix with `columns` columns.
func requireColumns(_ x: Tensor<Float>, _ columns: Int, op: String) throws {
    guard x.rank == 2, x.shape[1] == columns else {
        throw DataError.shapeMismatch(file: op, expected: "a matrix with \(columns) columns", found: "shape \(x.shape)")
    }
}

/// Per-column mean, (population) standard deviation and largest magnitude, accumulated in Double.
func columnMoments(_ x: Tensor<Float>) -> (mean: [Double], std: [Double], magnitude: [Double]) {
    let n = x.shape[0], d = x.shape[1]
    var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 0, count: d)
    var magnitude = [Double](repeating: 0, count: d)
    guard n > 0 else { return (mean, variance, magnitude) }
    x.withUnsafeBufferPointer { p in
        for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]); magnitude[j] = max(magnitude[j], abs(Double(p[i * d + j]))) } }
        for j in 0..<d { mean[j] /= Double(n) }
        // Two passes (mean, then squared deviations): the one-pass formula cancels catastrophically
        // when a column's mean is large next to its spread.
        for i in 0..<n { for j in 0..<d { let e = Double(p[i * d + j]) - mean[j]; variance[j] += e * e } }
    }
    return (mean, variance.map { ($0 / Double(n)).squareRoot() }, magnitude)
}

/// Checks that every entry of `x` is finite (a fitted statistic of a NaN column would be NaN, and a model
/// file cannot store it).
func requireFinite(_ x: Tensor<Float>, op: String) throws {
    if let bad = firstNonFinite(x) {
        throw DataError.invalidArgument(op: op, reason: "row \(bad.row), column \(bad.column) is \(describeNonFinite(bad.value)); fit on finite data")
    }
}

/// Applies y = (x − shift) · factor column by column into a new matrix.
func affineColumns(_ x: Tensor<Float>, shift: [Float], factor: [Float]) -> Tensor<Float> {
    let n = x.shape[0], d = x.shape[1]
    var y = Tensor<Float>(zeros: [n, d])
    x.withUnsafeBufferPointer { src in
        y.withUnsafeMutableBufferPointer { dst in
            for i in 0..<n { for j in 0..<d { dst[i * d + j] = (src[i * d + j] - shift[j]) * factor[j] } }
        }
    }
    return y
}

/// Standardization: each column minus its training mean, divided by its training standard deviation.
///
/// A column that is constant in the training data (zero variance, such as a border pixel that is always
/// 0) is only centred: dividing by its standard deviation would divide by zero. "Constant" is judged
/// relative to the column's own magnitude — a spread below 1e-7 of its largest value, Float's rounding
/// — so a column of values near 1e-10 with a real spread is scaled like the same column ×1e9.
public struct Standardizer: FeatureTransform, Equatable {
    /// Training mean of each column.
    public let mean: [Float]
    /// Divisor of each column: the training standard deviation (population, ddof 0), or 1 for a
    /// constant column.
    public let scale: [Float]

    public var inputDimension: Int { mean.count }
    public var outputDimension: Int { mean.count }

    /// Fits on the rows of `x` (`[n, d]`, n ≥ 1, finite).
    public init(fitting x: Tensor<Float>) throws {
        guard x.rank == 2, x.shape[0] > 0 else {
            throw DataError.shapeMismatch(file: "Standardizer.fit", expected: "a matrix with at least one row", found: "shape \(x.shape)")
        }
        try requireFinite(x, op: "Standardizer.fit")
        let (mean, std, magnitude) = columnMoments(x)
        self.mean = mean.map { Float($0) }
        // "Constant" relative to the column's own magnitude (not to 1): Float rounding leaves a spread of
        // about 1e-7 of the values behind, whatever their scale. A spread whose reciprocal overflows Float
        // (below ~3e-39) cannot be divided by either; a spread beyond Float's range cannot be stored.
        self.scale = zip(std, magnitude).map { s, m in
            s > 1e-7 * m && Float(s) >= Float.leastNormalMagnitude && Float(s).isFinite ? Float(s) : 1
        }
    }

    /// Indices of the columns that were constant in the training data (scale 1, only centred).
    public static func constantColumns(of x: Tensor<Float>) -> [Int] {
        guard x.rank == 2, x.shape[0] > 0 else { return [] }
        let (_, std, magnitude) = columnMoments(x)
        return std.indices.filter { !(std[$0] > 1e-7 * magnitude[$0]) }
    }

    /// A standardizer with given statistics (for tests, or restored from elsewhere).
    public init(mean: [Float], scale: [Float]) throws {
        guard mean.count == scale.count, scale.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw DataError.invalidArgument(op: "Standardizer", reason: "mean and scale need equal lengths, finite means and positive, finite scales")
        }
        self.mean = mean
        self.scale = scale
    }

    /// Decodes and validates (a model file is input like any other: mismatched lengths must not crash `transform`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(mean: c.decode([Float].self, forKey: .mean), scale: c.decode([Float].self, forKey: .scale))
    }

    public func transform(_ x: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(x, inputDimension, op: "Standardizer.transform")
        return affineColumns(x, shift: mean, factor: scale.map { 1 / $0 })
    }

    public func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(y, outputDimension, op: "Standardizer.inverseTransform")
        return affineColumns(affineColumns(y, shift: [Float](repeating: 0, count: mean.count), factor: scale),
                             shift: mean.map { -$0 }, factor: [Float](repeating: 1, count: mean.count))
    }
}

/// Min–max scaling: each column mapped linearly so its training minimum goes to 0 and maximum to 1.
///
/// A constant column maps to 0. Later data outside the training range lands outside [0, 1]; that is
/// deliberate (clipping would hide a distribution shift).
public struct MinMaxScaler: FeatureTransform, Equatable {
    /// Training minimum of each column.
    public let minimum: [Float]
    /// Training maximum minus minimum, or 1 for a constant column.
    public let range: [Float]

    public var inputDimension: Int { minimum.count }
    public var outputDimension: Int { minimum.count }

    /// Fits on the rows of `x` (`[n, d]`, n ≥ 1, finite).
    public init(fitting x: Tensor<Float>) throws {
        guard x.rank == 2, x.shape[0] > 0 else {
            throw DataError.shapeMismatch(file: "MinMaxScaler.fit", expected: "a matrix with at least one row", found: "shape \(x.shape)")
        }
        try requireFinite(x, op: "MinMaxScaler.fit")
        let n = x.shape[0], d = x.shape[1]
        var lo = [Float](repeating: .infinity, count: d), hi = [Float](repeating: -.infinity, count: d)
        x.withUnsafeBufferPointer { p in
            for i in 0..<n { for j in 0..<d { lo[j] = min(lo[j], p[i * d + j]); hi[j] = max(hi[j], p[i * d + j]) } }
        }
        minimum = lo
        // The range in Double: hi − lo of two large Floats of opposite sign overflows Float, and scaled
        // values could not be represented either.
        if let j = lo.indices.first(where: { !Float(Double(hi[$0]) - Double(lo[$0])).isFinite }) {
            throw DataError.invalidArgument(op: "MinMaxScaler.fit", reason: "column \(j) spans \(lo[j])…\(hi[j]), a range beyond Float's (±3.4e38)")
        }
        range = zip(lo, hi).map { l, h in
            let r = h - l
            return r >= Float.leastNormalMagnitude ? r : 1
        }
    }

    /// Decodes and validates the statistics.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        minimum = try c.decode([Float].self, forKey: .minimum)
        range = try c.decode([Float].self, forKey: .range)
        guard minimum.count == range.count, minimum.allSatisfy(\.isFinite), range.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw DataError.invalidArgument(op: "MinMaxScaler", reason: "minimum and range need equal lengths, finite minima and positive, finite ranges")
        }
    }

    public func transform(_ x: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(x, inputDimension, op: "MinMaxScaler.transform")
        return affineColumns(x, shift: minimum, factor: range.map { 1 / $0 })
    }

    public func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(y, outputDimension, op: "MinMaxScaler.inverseTransform")
        let d = minimum.count
        return affineColumns(affineColumns(y, shift: [Float](repeating: 0, count: d), factor: range),
                             shift: minimum.map { -$0 }, factor: [Float](repeating: 1, count: d))
    }
}

/// PCA whitening: project centred rows onto the top `components` principal directions and divide each
/// by the square root of its variance, so the outputs are uncorrelated with unit variance.
///
/// Fitting forms the covariance XcᵀXc / (n − 1) with one `sgemm` whose transpose flag replaces a
/// transposed copy, then takes its eigendecomposition (LAPACK `dsyevd`, through
/// `Tensor.symmetricEigen`). `epsilon` is added to every variance before the square root, so directions
/// with almost no variance are not blown up into noise.
public struct PCAWhitener: FeatureTransform, Equatable {
    /// Number of principal components kept.
    public let components: Int
    /// Added to each variance before dividing by its square root.
    public let epsilon: Float
    /// Training mean of each input column.
    public let mean: [Float]
    /// Variance along each kept direction (eigenvalues of the covariance), largest first.
    public let variances: [Float]
    /// The kept directions (unit eigenvectors) as columns of a `[inputDimension, components]` matrix,
    /// row-major. Each is signed so its largest-magnitude entry is positive, making fits reproducible.
    public let directions: [Float]

    public var inputDimension: Int { mean.count }
    public var outputDimension: Int { components }

    /// Fits on the rows of `x` (`[n, d]`, n ≥ 2), keeping `components` directions (1...d).
    public init(fitting x: Tensor<Float>, components: Int, epsilon: Float = 1e-5) throws {
        guard x.rank == 2, x.shape[0] >= 2 else {
            throw DataError.shapeMismatch(file: "PCAWhitener.fit", expected: "a matrix with at least two rows", found: "shape \(x.shape)")
        }
        let n = x.shape[0], d = x.shape[1]
        guard (1...max(d, 1)).contains(components), d > 0 else {
            throw DataError.invalidArgument(op: "PCAWhitener", reason: "components must be in 1...\(d), not \(components)")
        }
        guard epsilon >= 0, epsilon.isFinite else {
            throw DataError.invalidArgument(op: "PCAWhitener", reason: "epsilon must be finite and non-negative")
        }
        try requireFinite(x, op: "PCAWhitener.fit")
        guard n <= Int(Int32.max), d <= Int(Int32.max) else {
            throw DataError.tooLarge(file: "PCAWhitener.fit", what: "the covariance product", requested: max(n, d), limit: Int(Int32.max))
        }
        let meanD = columnMoments(x).mean
        let mean = meanD.map { Float($0) }
        // One centred copy of X: forming XᵀX − n·μμᵀ instead would cancel catastrophically in Float.
        let centred = affineColumns(x, shift: mean, factor: [Float](repeating: 1, count: d))
        var covariance = [Float](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { c in
            covariance.withUnsafeMutableBufferPointer { out in
                // C = Xcᵀ·Xc / (n − 1): transA reads Xc as its transpose in place.
                Float.gemm(transA: true, transB: false, m: Int32(d), n: Int32(d), k: Int32(n),
                           alpha: 1 / Float(n - 1), a: c.baseAddress!, lda: Int32(d), b: c.baseAddress!, ldb: Int32(d),
                           beta: 0, c: out.baseAddress!, ldc: Int32(d))
            }
        }
        // The eigensolver is run in Double, on an exactly symmetric matrix (gemm's two triangles can
        // differ in the last bit).
        var symmetric = Tensor<Double>(zeros: [d, d])
        symmetric.withUnsafeMutableBufferPointer { s in
            for i in 0..<d { for j in i..<d {
                let v = 0.5 * (Double(covariance[i * d + j]) + Double(covariance[j * d + i]))
                s[i * d + j] = v; s[j * d + i] = v
            } }
        }
        let (values, vectors) = try symmetric.symmetricEigen()
        var variances: [Float] = [], directions = [Float](repeating: 0, count: d * components)
        for c in 0..<components {
            let column = d - 1 - c   // eigenvalues come ascending; keep the largest first
            variances.append(Float(max(values[flat: column], 0)))
            var sign = 1.0, largest = 0.0
            for j in 0..<d where abs(vectors[j, column]) > largest { largest = abs(vectors[j, column]); sign = vectors[j, column] < 0 ? -1 : 1 }
            for j in 0..<d { directions[j * components + c] = Float(sign * vectors[j, column]) }
        }
        guard variances.allSatisfy(\.isFinite), directions.allSatisfy(\.isFinite) else {
            throw DataError.invalidArgument(op: "PCAWhitener", reason: "the covariance of these features overflows Float (values up to ±3.4e38); scale them first")
        }
        if let flat = variances.firstIndex(where: { $0 + epsilon <= 0 }) {
            throw DataError.invalidArgument(op: "PCAWhitener", reason: "component \(flat) has zero variance; keep fewer components or use epsilon > 0")
        }
        self.components = components
        self.epsilon = epsilon
        self.mean = mean
        self.variances = variances
        self.directions = directions
    }

    /// Decodes and validates that the parts fit together.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        components = try c.decode(Int.self, forKey: .components)
        epsilon = try c.decode(Float.self, forKey: .epsilon)
        mean = try c.decode([Float].self, forKey: .mean)
        variances = try c.decode([Float].self, forKey: .variances)
        directions = try c.decode([Float].self, forKey: .directions)
        let d = mean.count
        guard d >= 1, (1...d).contains(components), variances.count == components,
              directions.count == d * components, epsilon >= 0, epsilon.isFinite,
              mean.allSatisfy(\.isFinite), variances.allSatisfy({ $0 >= 0 && $0.isFinite && $0 + epsilon > 0 }),
              directions.allSatisfy(\.isFinite) else {
            throw DataError.invalidArgument(op: "PCAWhitener", reason: "inconsistent parameters: \(d) means, \(components) components, \(variances.count) variances, \(directions.count) direction entries")
        }
    }

    public func transform(_ x: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(x, inputDimension, op: "PCAWhitener.transform")
        let d = inputDimension, k = components
        // W = directions · diag(1/√(λ+ε)); then y = (x − μ)·W = x·W − μ·W, which needs no centred copy of x.
        var w = directions
        for j in 0..<d { for c in 0..<k { w[j * k + c] /= (variances[c] + epsilon).squareRoot() } }
        let shift = (0..<k).map { c in (0..<d).reduce(Float(0)) { $0 + mean[$1] * w[$1 * k + c] } }
        return try multiply(x, by: w, columns: k, thenSubtract: shift)
    }

    public func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(y, outputDimension, op: "PCAWhitener.inverseTransform")
        let d = inputDimension, k = components
        // x ≈ y · diag(√(λ+ε)) · Vᵀ + μ.
        var back = [Float](repeating: 0, count: k * d)
        for c in 0..<k { for j in 0..<d { back[c * d + j] = directions[j * k + c] * (variances[c] + epsilon).squareRoot() } }
        return try multiply(y, by: back, columns: d, thenSubtract: mean.map { -$0 })
    }

    /// `x · m − shift` (shift broadcast along rows), with `m` a row-major `[x.columns, columns]` matrix.
    private func multiply(_ x: Tensor<Float>, by m: [Float], columns: Int, thenSubtract shift: [Float]) throws -> Tensor<Float> {
        let n = x.shape[0], inner = x.shape[1]
        guard n <= Int(Int32.max) else {
            throw DataError.tooLarge(file: "PCAWhitener", what: "the projection", requested: n, limit: Int(Int32.max))
        }
        var y = Tensor<Float>(zeros: [n, columns])
        if n == 0 { return y }
        x.withUnsafeBufferPointer { a in
            m.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { c in
                    Float.gemm(transA: false, transB: false, m: Int32(n), n: Int32(columns), k: Int32(inner), alpha: 1,
                               a: a.baseAddress!, lda: Int32(inner), b: b.baseAddress!, ldb: Int32(columns),
                               beta: 0, c: c.baseAddress!, ldc: Int32(columns))
                    for i in 0..<n { for j in 0..<columns { c[i * columns + j] -= shift[j] } }
                }
            }
        }
        return y
    }
}

/// A fitted transform of any kind, for storing in a model file and applying again at prediction time.
///
/// Encodes as `{"kind": "standardize", "parameters": {"mean": […], "scale": […]}}` (kinds `none`,
/// `standardize`, `minmax`, `pca`; `none` has `{"dimension": d}` as parameters), so the model-file
/// metadata stays readable from Python.
public enum Preprocessor: FeatureTransform, Equatable {
    /// No transform (the width is still checked).
    case none(dimension: Int)
    /// Per-column standardization.
    case standardize(Standardizer)
    /// Per-column min–max scaling.
    case minMax(MinMaxScaler)
    /// PCA whitening.
    case pcaWhiten(PCAWhitener)

    /// The kinds of preprocessing, as the CLI names them.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case none, standardize, minmax, pca
    }

    /// Fits a transform of `kind` on training features (`pcaComponents` is used by `.pca` only).
    public static func fit(_ kind: Kind, on x: Tensor<Float>, pcaComponents: Int? = nil) throws -> Preprocessor {
        switch kind {
        case .none:
            try requireColumns(x, x.rank == 2 ? x.shape[1] : -1, op: "Preprocessor.fit")
            return .none(dimension: x.shape[1])
        case .standardize: return .standardize(try Standardizer(fitting: x))
        case .minmax: return .minMax(try MinMaxScaler(fitting: x))
        case .pca: return .pcaWhiten(try PCAWhitener(fitting: x, components: pcaComponents ?? min(x.rank == 2 ? x.shape[1] : 1, 50)))
        }
    }

    private var wrapped: any FeatureTransform {
        switch self {
        case .none(let d): return IdentityTransform(dimension: d)
        case .standardize(let t): return t
        case .minMax(let t): return t
        case .pcaWhiten(let t): return t
        }
    }

    /// The kind, as the CLI names it.
    public var kind: Kind {
        switch self {
        case .none: return .none
        case .standardize: return .standardize
        case .minMax: return .minmax
        case .pcaWhiten: return .pca
        }
    }

    private enum CodingKeys: String, CodingKey { case kind, parameters }
    private struct Dimension: Codable { var dimension: Int }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .none:
            let d = try c.decode(Dimension.self, forKey: .parameters).dimension
            guard d >= 0 else { throw DataError.invalidArgument(op: "Preprocessor", reason: "negative dimension \(d)") }
            self = .none(dimension: d)
        case .standardize: self = .standardize(try c.decode(Standardizer.self, forKey: .parameters))
        case .minmax: self = .minMax(try c.decode(MinMaxScaler.self, forKey: .parameters))
        case .pca: self = .pcaWhiten(try c.decode(PCAWhitener.self, forKey: .parameters))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .none(let d): try c.encode(Dimension(dimension: d), forKey: .parameters)
        case .standardize(let t): try c.encode(t, forKey: .parameters)
        case .minMax(let t): try c.encode(t, forKey: .parameters)
        case .pcaWhiten(let t): try c.encode(t, forKey: .parameters)
        }
    }

    public var inputDimension: Int { wrapped.inputDimension }
    public var outputDimension: Int { wrapped.outputDimension }
    public func transform(_ x: Tensor<Float>) throws -> Tensor<Float> { try wrapped.transform(x) }
    public func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float> { try wrapped.inverseTransform(y) }
}

/// The transform that changes nothing (still checks the width).
struct IdentityTransform: FeatureTransform {
    var dimension: Int
    var inputDimension: Int { dimension }
    var outputDimension: Int { dimension }
    func transform(_ x: Tensor<Float>) throws -> Tensor<Float> {
        try requireColumns(x, dimension, op: "transform")
        return x
    }
    func inverseTransform(_ y: Tensor<Float>) throws -> Tensor<Float> { try transform(y) }
}

extension Dataset {
    /// The same examples with `transform` applied to the features (labels and targets unchanged).
    public func transformed(by transform: some FeatureTransform) throws -> Dataset {
        var copy = self
        copy.features = try transform.transform(features)
        if transform.outputDimension != featureCount {
            copy.featureNames = nil
            copy.exampleShape = [transform.outputDimension]   // a projection (PCA) has no geometry left
        }
        return copy
    }
}

import Testing
@testable import Tensor

// Each routine is checked twice: on a small matrix whose answer can be verified by hand, and by
// reconstruction on seeded random matrices (the identity the factorization promises must hold).
// One generic body per routine runs in both precisions; tolerances are relative to the data's scale.

// MARK: - Naive helpers (independent of any BLAS path, so they check LAPACK rather than mirror it)

/// The matrix product by the textbook triple loop. A vector right operand is treated as a column.
private func naiveMatmul<S: BLASScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    let (m, k) = (a.shape[0], a.shape[1])
    let n = b.rank == 1 ? 1 : b.shape[1]
    precondition(b.shape[0] == k, "naiveMatmul: \(a.shape) × \(b.shape)")
    let outShape = b.rank == 1 ? [m] : [m, n]
    return Tensor(shape: outShape) { flat in
        let (i, j) = (flat / n, flat % n)
        var sum: S = 0
        for p in 0..<k { sum += a[flat: i * k + p] * b[flat: p * n + j] }
        return sum
    }
}

private func transposed<S: BLASScalar>(_ a: Tensor<S>) -> Tensor<S> {
    let (m, n) = (a.shape[0], a.shape[1])
    return Tensor(shape: [n, m]) { flat in a[flat % m, flat / m] }
}

/// A diagonal matrix from a vector.
private func diagonal<S: BLASScalar>(_ v: Tensor<S>) -> Tensor<S> {
    let n = v.count
    return Tensor(shape: [n, n]) { flat in flat / n == flat % n ? v[flat: flat / n] : 0 }
}

/// max|a − b| / max(1, max|b|): a relative error that stays meaningful for both tiny and large data.
private func relativeError<S: BLASScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> S {
    precondition(a.shape == b.shape, "relativeError: \(a.shape) vs \(b.shape)")
    var worst: S = 0, scale: S = 1
    for i in 0..<a.count {
        worst = max(worst, abs(a[flat: i] - b[flat: i]))
        scale = max(scale, abs(b[flat: i]))
    }
    return worst / scale
}

private func tensor<S: BLASScalar>(_ rows: [[Double]], as _: S.Type) throws -> Tensor<S> {
    try Tensor<S>(rows.map { $0.map { S($0) } })
}

private func vector<S: BLASScalar>(_ values: [Double], as _: S.Type) -> Tensor<S> {
    Tensor<S>(values.map { S($0) })
}

/// A random symmetric positive-definite matrix X·Xᵀ + n·I (well conditioned by construction).
private func randomSPD<S: BLASScalar>(_ n: Int, as _: S.Type, rng: inout SeededRNG) -> Tensor<S> {
    let x = Tensor<S>.randomNormal([n, n], using: &rng)
    let gram = naiveMatmul(x, transposed(x))
    return Tensor(shape: [n, n]) { flat in gram[flat: flat] + (flat / n == flat % n ? S(n) : 0) }
}

/// Runs `body`, expects a `TensorError.lapack`, and returns its routine and info code.
private func expectLAPACKError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation)
    -> (routine: String, info: Int)? {
    let error = #expect(throws: TensorError.self, sourceLocation: sourceLocation) { try body() }
    guard case let .lapack(routine, info, _)? = error else {
        Issue.record("expected TensorError.lapack, got \(String(describing: error))", sourceLocation: sourceLocation)
        return nil
    }
    return (routine, info)
}

private func prefix<S: BLASScalar>(_: S.Type) -> String { S.self == Float.self ? "s" : "d" }

// MARK: - solve

private func checkSolve<S: BLASScalar>(_: S.Type, tol: S) throws {
    // 3x + y = 9, x + 2y = 8  ⇒  x = 2, y = 3.
    let a = try tensor([[3, 1], [1, 2]], as: S.self)
    let x = try a.solve(vector([9, 8], as: S.self))
    #expect(x.shape == [2])
    #expect(relativeError(x, vector([2, 3], as: S.self)) < tol)

    // Two right-hand sides at once: columns [9, 8] and [4, 3] ⇒ columns [2, 3] and [1, 1].
    let xs = try a.solve(tensor([[9, 4], [8, 3]], as: S.self))
    #expect(xs.shape == [2, 2])
    #expect(relativeError(xs, try tensor([[2, 1], [3, 1]], as: S.self)) < tol)
    #expect(a == (try tensor([[3, 1], [1, 2]], as: S.self)), "solve must not modify A")

    var rng = SeededRNG(seed: 7)
    for n in [1, 5, 16] {
        let a = Tensor<S>.randomNormal([n, n], using: &rng)
        let b = Tensor<S>.randomNormal([n, 3], using: &rng)
        let aBefore = a, bBefore = b
        let x = try a.solve(b)
        #expect(x.shape == [n, 3])
        // Residual relative to ‖A‖·‖X‖: LU with partial pivoting is backward stable.
        let residual = relativeError(naiveMatmul(a, x), b)
        #expect(residual < tol * S(n) * 10, "n = \(n): residual \(residual)")
        #expect(a == aBefore && b == bBefore, "inputs must be unchanged")
    }
}

@Test func solveFloat() throws { try checkSolve(Float.self, tol: 1e-4) }
@Test func solveDouble() throws { try checkSolve(Double.self, tol: 1e-11) }

private func checkSolveSingular<S: BLASScalar>(_: S.Type) throws {
    // Row 2 is twice row 1: LU meets an exactly zero second pivot, LAPACK's info = 2.
    let singular = try tensor([[1, 2], [2, 4]], as: S.self)
    let exact = expectLAPACKError { _ = try singular.solve(vector([1, 1], as: S.self)) }
    #expect(exact?.routine == prefix(S.self) + "gesv")
    #expect(exact?.info == 2)

    // Rows in arithmetic progression are linearly dependent. With integers, elimination cancels
    // exactly and LAPACK itself reports the zero third pivot.
    let integers = try tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], as: S.self)
    let exactZero = expectLAPACKError { _ = try integers.solve(vector([1, 1, 1], as: S.self)) }
    #expect(exactZero?.info == 3)
    // With tenths, which binary floating point cannot store exactly, rounding leaves a tiny non-zero
    // third pivot (about 0.2 of the tolerance in both precisions). It must still be reported,
    // not answered with noise of size 1/ε.
    let tenths = try tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], as: S.self)
    let numerical = expectLAPACKError { _ = try tenths.solve(vector([1, 1, 1], as: S.self)) }
    #expect(numerical?.routine == prefix(S.self) + "gesv")
    #expect(numerical?.info == 3)
}

@Test func solveSingularFloat() throws { try checkSolveSingular(Float.self) }
@Test func solveSingularDouble() throws { try checkSolveSingular(Double.self) }

// MARK: - leastSquares

private func checkLeastSquares<S: BLASScalar>(_: S.Type, tol: S) throws {
    // The points (0, 1), (1, 3), (2, 5) lie on y = 1 + 2x: the fit is exact.
    let design = try tensor([[1, 0], [1, 1], [1, 2]], as: S.self)
    let line = try design.leastSquares(vector([1, 3, 5], as: S.self))
    #expect(line.shape == [2])
    #expect(relativeError(line, vector([1, 2], as: S.self)) < tol)

    // The least-squares constant through 1, 2, 6 is their mean, 3.
    let ones = try tensor([[1], [1], [1]], as: S.self)
    let mean = try ones.leastSquares(vector([1, 2, 6], as: S.self))
    #expect(relativeError(mean, vector([3], as: S.self)) < tol)

    // Underdetermined x₁ + x₂ = 2: the minimum-norm solution is (1, 1).
    let wide = try tensor([[1, 1]], as: S.self)
    let minNorm = try wide.leastSquares(vector([2], as: S.self))
    #expect(minNorm.shape == [2])
    #expect(relativeError(minNorm, vector([1, 1], as: S.self)) < tol)

    var rng = SeededRNG(seed: 11)
    // Overdetermined: the residual is orthogonal to A's columns (the normal equations Aᵀ(A·X − B) = 0).
    let a = Tensor<S>.randomNormal([12, 5], using: &rng)
    let b = Tensor<S>.randomNormal([12, 2], using: &rng)
    let x = try a.leastSquares(b)
    #expect(x.shape == [5, 2])
    let ax = naiveMatmul(a, x)
    let residual = Tensor<S>(shape: b.shape) { ax[flat: $0] - b[flat: $0] }
    let normal = naiveMatmul(transposed(a), residual)
    #expect(relativeError(normal, Tensor(zeros: [5, 2])) < tol * 100, "normal equations: \(normal)")
    // And it agrees with solving the normal equations directly (well conditioned here).
    let viaNormal = try naiveMatmul(transposed(a), a).solve(naiveMatmul(transposed(a), b))
    #expect(relativeError(x, viaNormal) < tol * 100)

    // Underdetermined: A·x = b exactly, and x is the minimum-norm solution Aᵀ(AAᵀ)⁻¹b.
    let w = Tensor<S>.randomNormal([4, 7], using: &rng)
    let rhs = Tensor<S>.randomNormal([4], using: &rng)
    let xw = try w.leastSquares(rhs)
    #expect(xw.shape == [7])
    #expect(relativeError(naiveMatmul(w, xw), rhs) < tol * 10)
    let minNormReference = naiveMatmul(transposed(w), try naiveMatmul(w, transposed(w)).solve(rhs))
    #expect(relativeError(xw, minNormReference) < tol * 100)
}

@Test func leastSquaresFloat() throws { try checkLeastSquares(Float.self, tol: 1e-4) }
@Test func leastSquaresDouble() throws { try checkLeastSquares(Double.self, tol: 1e-11) }

private func checkLeastSquaresRankDeficient<S: BLASScalar>(_: S.Type) throws {
    // Column 2 is twice column 1: R[1, 1] vanishes (up to rounding), info = 2.
    let a = try tensor([[1, 2], [2, 4], [3, 6]], as: S.self)
    let error = expectLAPACKError { _ = try a.leastSquares(vector([1, 2, 3], as: S.self)) }
    #expect(error?.routine == prefix(S.self) + "gels")
    #expect(error?.info == 2)

    // A random 10×4 matrix of rank 2 (a product through a 2-dimensional bottleneck).
    var rng = SeededRNG(seed: 5)
    let lowRank = naiveMatmul(Tensor<S>.randomNormal([10, 2], using: &rng), Tensor<S>.randomNormal([2, 4], using: &rng))
    let random = expectLAPACKError { _ = try lowRank.leastSquares(Tensor<S>.randomNormal([10], using: &rng)) }
    #expect(random?.routine == prefix(S.self) + "gels")
    #expect(random?.info == 3)
}

@Test func leastSquaresRankDeficientFloat() throws { try checkLeastSquaresRankDeficient(Float.self) }
@Test func leastSquaresRankDeficientDouble() throws { try checkLeastSquaresRankDeficient(Double.self) }

// MARK: - cholesky

private func checkCholesky<S: BLASScalar>(_: S.Type, tol: S) throws {
    // [[4, 2], [2, 5]] = [[2, 0], [1, 2]]·[[2, 1], [0, 2]].
    let l = try tensor([[4, 2], [2, 5]], as: S.self).cholesky()
    #expect(relativeError(l, try tensor([[2, 0], [1, 2]], as: S.self)) < tol)

    var rng = SeededRNG(seed: 3)
    for n in [1, 6, 20] {
        let a = randomSPD(n, as: S.self, rng: &rng)
        let l = try a.cholesky()
        #expect(relativeError(naiveMatmul(l, transposed(l)), a) < tol, "n = \(n)")
        for i in 0..<n {
            #expect(l[i, i] > 0)
            for j in (i + 1)..<n { #expect(l[i, j] == 0, "upper triangle must be zero at (\(i), \(j))") }
        }
    }
}

@Test func choleskyFloat() throws { try checkCholesky(Float.self, tol: 1e-5) }
@Test func choleskyDouble() throws { try checkCholesky(Double.self, tol: 1e-13) }

private func checkCholeskyNotPositiveDefinite<S: BLASScalar>(_: S.Type) throws {
    // Eigenvalues 3 and −1: the 1×1 minor (1) is fine, the 2×2 minor (det = −3) is not, info = 2.
    let indefinite = try tensor([[1, 2], [2, 1]], as: S.self)
    let second = expectLAPACKError { _ = try indefinite.cholesky() }
    #expect(second?.routine == prefix(S.self) + "potrf")
    #expect(second?.info == 2)

    let negative = try tensor([[-1, 0, 0], [0, 2, 0], [0, 0, 3]], as: S.self)
    let first = expectLAPACKError { _ = try negative.cholesky() }
    #expect(first?.info == 1)
}

@Test func choleskyNotPositiveDefiniteFloat() throws { try checkCholeskyNotPositiveDefinite(Float.self) }
@Test func choleskyNotPositiveDefiniteDouble() throws { try checkCholeskyNotPositiveDefinite(Double.self) }

// MARK: - qr

private func checkQR<S: BLASScalar>(_: S.Type, tol: S) throws {
    // Column 1 is (3, 4) of length 5, so q₁ = (0.6, 0.8), r₁₁ = 5, r₁₂ = q₁·(1, 2) = 2.2,
    // q₂ = (−0.8, 0.6) and r₂₂ = q₂·(1, 2) = 0.4.
    let (q, r) = try tensor([[3, 1], [4, 2]], as: S.self).qr()
    #expect(relativeError(q, try tensor([[0.6, -0.8], [0.8, 0.6]], as: S.self)) < tol)
    #expect(relativeError(r, try tensor([[5, 2.2], [0, 0.4]], as: S.self)) < tol)

    var rng = SeededRNG(seed: 13)
    for (m, n) in [(7, 4), (5, 5), (3, 6), (1, 1)] {
        let a = Tensor<S>.randomNormal([m, n], using: &rng)
        let (q, r) = try a.qr()
        let k = min(m, n)
        #expect(q.shape == [m, k] && r.shape == [k, n], "\(m)×\(n): shapes \(q.shape), \(r.shape)")
        #expect(relativeError(naiveMatmul(transposed(q), q), Tensor.identity(k)) < tol, "QᵀQ = I for \(m)×\(n)")
        #expect(relativeError(naiveMatmul(q, r), a) < tol, "Q·R = A for \(m)×\(n)")
        for i in 0..<k {
            #expect(r[i, i] >= 0, "R's diagonal is normalized to be non-negative")
            for j in 0..<i { #expect(r[i, j] == 0, "R is upper triangular at (\(i), \(j))") }
        }
    }
}

@Test func qrFloat() throws { try checkQR(Float.self, tol: 1e-5) }
@Test func qrDouble() throws { try checkQR(Double.self, tol: 1e-13) }

// MARK: - svd

private func checkSVD<S: BLASScalar>(_: S.Type, tol: S) throws {
    // A diagonal matrix's singular values are its absolute diagonal, sorted: 4 then 3.
    let a = try tensor([[3, 0], [0, -4]], as: S.self)
    let (u, s, vt) = try a.svd()
    #expect(relativeError(s, vector([4, 3], as: S.self)) < tol)
    #expect(relativeError(naiveMatmul(naiveMatmul(u, diagonal(s)), vt), a) < tol)

    // [[1, 1], [1, 1]] has rank 1: singular values 2 and 0.
    let (_, s1, _) = try tensor([[1, 1], [1, 1]], as: S.self).svd()
    #expect(relativeError(s1, vector([2, 0], as: S.self)) < tol)

    var rng = SeededRNG(seed: 17)
    for (m, n) in [(6, 4), (3, 5), (8, 8)] {
        let a = Tensor<S>.randomNormal([m, n], using: &rng)
        let (u, s, vt) = try a.svd()
        let k = min(m, n)
        #expect(u.shape == [m, k] && s.shape == [k] && vt.shape == [k, n])
        #expect(relativeError(naiveMatmul(naiveMatmul(u, diagonal(s)), vt), a) < tol, "U·diag(S)·Vᵀ = A for \(m)×\(n)")
        #expect(relativeError(naiveMatmul(transposed(u), u), Tensor.identity(k)) < tol, "UᵀU = I")
        #expect(relativeError(naiveMatmul(vt, transposed(vt)), Tensor.identity(k)) < tol, "VᵀV = I")
        for i in 0..<k {
            #expect(s[flat: i] >= 0)
            if i > 0 { #expect(s[flat: i - 1] >= s[flat: i], "singular values descend") }
        }
    }
}

@Test func svdFloat() throws { try checkSVD(Float.self, tol: 1e-5) }
@Test func svdDouble() throws { try checkSVD(Double.self, tol: 1e-13) }

// MARK: - symmetricEigen

private func checkSymmetricEigen<S: BLASScalar>(_: S.Type, tol: S) throws {
    // [[2, 1], [1, 2]]: λ = 1 with v = (1, −1)/√2 and λ = 3 with v = (1, 1)/√2.
    let a = try tensor([[2, 1], [1, 2]], as: S.self)
    let (values, vectors) = try a.symmetricEigen()
    #expect(relativeError(values, vector([1, 3], as: S.self)) < tol)
    let h = S(0.5).squareRoot()
    // Eigenvectors are defined up to sign: compare after fixing the sign of the first component.
    for (j, expected) in [[h, -h], [h, h]].enumerated() {
        let sign: S = vectors[0, j] < 0 ? -1 : 1
        #expect(abs(sign * vectors[0, j] - expected[0]) < tol && abs(sign * vectors[1, j] - expected[1]) < tol,
                "eigenvector \(j): \(vectors)")
    }

    var rng = SeededRNG(seed: 19)
    for n in [1, 4, 12] {
        let x = Tensor<S>.randomNormal([n, n], using: &rng)
        let sym = Tensor<S>(shape: [n, n]) { flat in (x[flat: flat] + x[flat % n, flat / n]) / 2 }
        let (values, vectors) = try sym.symmetricEigen()
        #expect(values.shape == [n] && vectors.shape == [n, n])
        // A·V = V·diag(λ) says A·v = λ·v for every column at once.
        let av = naiveMatmul(sym, vectors)
        #expect(relativeError(av, naiveMatmul(vectors, diagonal(values))) < tol, "A·v = λ·v for n = \(n)")
        #expect(relativeError(naiveMatmul(transposed(vectors), vectors), Tensor.identity(n)) < tol, "VᵀV = I")
        for i in 1..<max(n, 1) { #expect(values[flat: i - 1] <= values[flat: i], "eigenvalues ascend") }
    }
}

@Test func symmetricEigenFloat() throws { try checkSymmetricEigen(Float.self, tol: 1e-5) }
@Test func symmetricEigenDouble() throws { try checkSymmetricEigen(Double.self, tol: 1e-13) }

// MARK: - Validation

private func checkValidation<S: BLASScalar>(_: S.Type) throws {
    let square = try tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]], as: S.self)
    let wide = try tensor([[1, 2, 3], [4, 5, 6]], as: S.self)

    // Right-hand side with the wrong number of rows: both shapes are named.
    #expect(throws: TensorError.shapeMismatch(op: "solve", lhs: [3, 3], rhs: [4])) {
        try square.solve(vector([1, 2, 3, 4], as: S.self))
    }
    #expect(throws: TensorError.shapeMismatch(op: "leastSquares", lhs: [2, 3], rhs: [3, 1])) {
        try wide.leastSquares(Tensor<S>(zeros: [3, 1]))
    }
    let mismatch = #expect(throws: TensorError.self) { try square.solve(Tensor<S>(zeros: [2, 2])) }
    let message = mismatch.map { "\($0)" } ?? ""
    #expect(message.contains("[3, 3]") && message.contains("[2, 2]"), "message names both shapes: \(message)")

    // Square matrices required.
    #expect(throws: TensorError.invalidShape(op: "solve", shape: [2, 3], expected: "a square matrix (n×n)")) {
        try wide.solve(vector([1, 2], as: S.self))
    }
    #expect(throws: TensorError.invalidShape(op: "cholesky", shape: [2, 3], expected: "a square matrix (n×n)")) {
        try wide.cholesky()
    }
    #expect(throws: TensorError.invalidShape(op: "symmetricEigen", shape: [2, 3], expected: "a square matrix (n×n)")) {
        try wide.symmetricEigen()
    }
    // Matrices required.
    let v = vector([1, 2, 3], as: S.self)
    #expect(throws: TensorError.invalidShape(op: "qr", shape: [3], expected: "a matrix (rank 2)")) { try v.qr() }
    #expect(throws: TensorError.invalidShape(op: "svd", shape: [3], expected: "a matrix (rank 2)")) { try v.svd() }
    #expect(throws: TensorError.invalidShape(op: "leastSquares", shape: [3], expected: "a matrix (rank 2)")) {
        try v.leastSquares(v)
    }
    // A right-hand side must be a vector or a matrix.
    #expect(throws: TensorError.self) { try square.solve(Tensor<S>(zeros: [3, 1, 1])) }

    // NaN and infinity are refused before LAPACK sees them, in A and in B.
    var poisoned = square
    poisoned[1, 2] = .nan
    for call in [{ _ = try poisoned.solve(v) }, { _ = try poisoned.qr() }, { _ = try poisoned.svd() },
                 { _ = try poisoned.leastSquares(v) }] {
        let error = #expect(throws: TensorError.self) { try call() }
        guard case let .invalidArgument(_, reason)? = error else {
            Issue.record("expected invalidArgument, got \(String(describing: error))")
            continue
        }
        #expect(reason.contains("(1, 2)"), "reason names the position: \(reason)")
    }
    #expect(throws: TensorError.self) { try square.solve(vector([1, .infinity, 3], as: S.self)) }
    var infinite = square
    infinite[0, 0] = -.infinity
    #expect(throws: TensorError.self) { try infinite.cholesky() }

    // Symmetric routines refuse a matrix that is not symmetric instead of reading one triangle.
    let lopsided = try tensor([[2, 1], [0, 2]], as: S.self)
    for call in [{ _ = try lopsided.cholesky() }, { _ = try lopsided.symmetricEigen() }] {
        let error = #expect(throws: TensorError.self) { try call() }
        guard case .invalidArgument? = error else {
            Issue.record("expected invalidArgument, got \(String(describing: error))")
            continue
        }
    }
}

@Test func validationFloat() throws { try checkValidation(Float.self) }
@Test func validationDouble() throws { try checkValidation(Double.self) }

// MARK: - Views, copies and empty matrices

@Test func routinesWorkOnRowViewsAndLeaveThemUnchanged() throws {
    // A row view starts at a non-zero offset into shared storage: LAPACK must see only the view.
    let big = try Tensor<Double>([[9, 9], [3, 1], [1, 2], [9, 9]])
    let a = try big.rows(1..<3)
    let x = try a.solve(Tensor([9, 8]))
    #expect(abs(x[flat: 0] - 2) < 1e-12 && abs(x[flat: 1] - 3) < 1e-12)
    _ = try a.qr(); _ = try a.svd(); _ = try a.leastSquares(Tensor([9, 8]))
    #expect(big == (try Tensor<Double>([[9, 9], [3, 1], [1, 2], [9, 9]])), "the parent storage is untouched")
}

@Test func emptyMatricesGiveEmptyResults() throws {
    let empty = Tensor<Float>(zeros: [0, 0])
    #expect(try empty.solve(Tensor<Float>(zeros: [0])).shape == [0])
    #expect(try empty.cholesky().shape == [0, 0])
    let (values, vectors) = try empty.symmetricEigen()
    #expect(values.shape == [0] && vectors.shape == [0, 0])
    let tall = Tensor<Float>(zeros: [3, 0])
    let (q, r) = try tall.qr()
    #expect(q.shape == [3, 0] && r.shape == [0, 0])
    let (u, s, vt) = try tall.svd()
    #expect(u.shape == [3, 0] && s.shape == [0] && vt.shape == [0, 0])
    #expect(try tall.leastSquares(Tensor<Float>(zeros: [3, 2])).shape == [0, 2])
}

@Test func lapackNamesFollowThePrecision() {
    #expect(Tensor<Float>.lapackName("gesv") == "sgesv")
    #expect(Tensor<Double>.lapackName("syevd") == "dsyevd")
}

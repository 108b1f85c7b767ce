// Dense linear algebra through LAPACK: solve, least squares, Cholesky, QR, SVD, symmetric eigen.
//
// Every routine here follows the same four steps, so a reader checks one and knows the rest:
//   1. validate shapes and throw a typed error naming the op and the shapes it was given;
//   2. reject NaN and infinity, because LAPACK would either report a confusing illegal-argument code
//      (LAPACKE's own NaN check) or return garbage without complaint;
//   3. copy the inputs (LAPACK overwrites its arguments; `self` is never touched) and check every size
//      against Debian's 32-bit `blasint`;
//   4. call the s/d routine through `BLASScalar` and turn a non-zero `info` into `TensorError.lapack`
//      carrying the real routine name (`sgesv`, `dgesv`, …) and LAPACK's code.
//
// All calls go through row-major LAPACKE, so results come back in `Tensor`'s own layout.

extension Tensor where Scalar: BLASScalar {

    // MARK: Solve

    /// Solves the square linear system A·X = B, where A is `self`.
    ///
    /// Uses LU factorization with partial pivoting (`sgesv` / `dgesv`).
    ///
    /// ```swift
    /// let a = try Tensor<Double>([[3, 1], [1, 2]])
    /// let x = try a.solve(Tensor([9, 8]))   // [2, 3]
    /// ```
    ///
    /// A matrix is treated as singular when LAPACK finds an exactly zero pivot, and also when a pivot
    /// of U is at most `n · ε · max|A|` (ε the scalar's machine epsilon). That second test catches the
    /// usual way a singular matrix shows up in floating point, a pivot left as rounding residue
    /// instead of exactly zero, where LAPACK would return noise amplified by 1/ε. It is a guard, not
    /// a condition estimate: an ill-conditioned matrix can pass it. Use ``svd()`` to decide rank.
    ///
    /// - Parameter b: The right-hand side: a vector of length n, or an n×k matrix of k right-hand sides.
    /// - Returns: X, with the same shape as `b`.
    /// - Throws: `TensorError.invalidShape` if `self` is not a square matrix or `b` is not rank 1 or 2;
    ///   `TensorError.shapeMismatch` if `b` does not have n rows; `TensorError.invalidArgument` if either
    ///   operand holds NaN or infinity; `TensorError.lapack(routine: "sgesv"/"dgesv", info:reason:)` if
    ///   A is singular, where `info` is the 1-based index of the zero (or negligible) pivot.
    public func solve(_ b: Tensor) throws -> Tensor {
        let op = "solve"
        let n = try requireSquare(op)
        let k = try requireRightHandSide(b, rows: n, op: op)
        let scale = try requireFinite(op, name: "A")
        _ = try b.requireFinite(op, name: "B")
        let routine = Self.lapackName("gesv")
        if n == 0 || k == 0 { return Tensor(zeros: b.shape) }
        let n32 = try blasInt(n, op: op)
        let k32 = try blasInt(k, op: op)

        var lu = self   // LAPACK overwrites A with its LU factors; the first write copies (CoW).
        var x = b       // … and B with X.
        var pivots = [Int32](repeating: 0, count: n)
        let info = lu.withUnsafeMutableBufferPointer { a in
            x.withUnsafeMutableBufferPointer { bx in
                Scalar.gesv(n: n32, nrhs: k32, a: a.baseAddress!, lda: n32,
                            ipiv: &pivots, b: bx.baseAddress!, ldb: k32)
            }
        }
        if info > 0 {
            throw TensorError.lapack(routine: routine, info: Int(info),
                                     reason: "matrix is singular: pivot U[\(info - 1), \(info - 1)] is exactly zero")
        }
        try Self.checkInfo(info, routine: routine)
        // U's diagonal sits on the diagonal of the overwritten A.
        try lu.requireNonNegligibleDiagonal(count: n, stride: n, scale: scale, size: n,
                                            routine: routine, factor: "U", what: "singular")
        return x
    }

    // MARK: Least squares

    /// Solves the linear least-squares problem min‖A·X − B‖₂, where A is the m×n matrix `self`.
    ///
    /// Uses QR factorization when m ≥ n (overdetermined: the least-squares solution) and LQ when m < n
    /// (underdetermined: the solution of minimum norm), both through `sgels` / `dgels`. A must have full
    /// rank; fit with ``svd()`` when it may not.
    ///
    /// ```swift
    /// // Fit y = c₀ + c₁·x to the points (0, 1), (1, 3), (2, 5).
    /// let a = try Tensor<Double>([[1, 0], [1, 1], [1, 2]])
    /// let c = try a.leastSquares(Tensor([1, 3, 5]))   // [1, 2]
    /// ```
    ///
    /// Rank deficiency is reported when LAPACK finds an exactly zero diagonal element in the triangular
    /// factor, and also when one is at most `max(m, n) · ε · ‖A‖_F`. That is how a rank-deficient A
    /// usually shows up in floating point: a rounding-sized element, and dividing by it would return
    /// noise. The factorization does not pivot, so this is a guard, not a rank decision: a nearly
    /// rank-deficient A can pass it. Use ``svd()`` to decide numerical rank.
    ///
    /// - Parameter b: A vector of length m, or an m×k matrix of k right-hand sides.
    /// - Returns: X of shape [n] (for a vector `b`) or [n, k].
    /// - Throws: `TensorError.invalidShape` if `self` is not a matrix or `b` is not rank 1 or 2;
    ///   `TensorError.shapeMismatch` if `b` does not have m rows; `TensorError.invalidArgument` for NaN
    ///   or infinity; `TensorError.lapack(routine: "sgels"/"dgels", info:reason:)` if A does not have
    ///   full rank, where `info` is the 1-based index of the zero (or negligible) diagonal element.
    public func leastSquares(_ b: Tensor) throws -> Tensor {
        let op = "leastSquares"
        let (m, n) = try requireMatrix(op)
        let k = try requireRightHandSide(b, rows: m, op: op)
        _ = try requireFinite(op, name: "A")
        _ = try b.requireFinite(op, name: "B")
        let routine = Self.lapackName("gels")
        let resultShape = b.rank == 1 ? [n] : [n, k]
        // No equations, no unknowns or no right-hand sides: the minimum-norm solution is zero (or empty).
        if m == 0 || n == 0 || k == 0 { return Tensor(zeros: resultShape) }
        let m32 = try blasInt(m, op: op)
        let n32 = try blasInt(n, op: op)
        let k32 = try blasInt(k, op: op)

        // gels reads B from, and writes X into, one max(m, n)×k array: X needs n rows even when there
        // are only m < n equations, so B is copied into the top of a taller zeroed buffer.
        var factors = self
        var bx = Tensor(zeros: [Swift.max(m, n), k])
        bx.withUnsafeMutableBufferPointer { dst in
            b.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress!, count: m * k)
            }
        }
        let info = factors.withUnsafeMutableBufferPointer { a in
            bx.withUnsafeMutableBufferPointer { x in
                Scalar.gels(m: m32, n: n32, nrhs: k32, a: a.baseAddress!, lda: n32, b: x.baseAddress!, ldb: k32)
            }
        }
        let factor = m >= n ? "R" : "L"
        if info > 0 {
            throw TensorError.lapack(routine: routine, info: Int(info),
                                     reason: "matrix is rank deficient: \(factor)[\(info - 1), \(info - 1)] is exactly zero")
        }
        try Self.checkInfo(info, routine: routine)
        // R (m ≥ n) or L (m < n) sits in the top-left min(m, n) square of the overwritten A.
        try factors.requireNonNegligibleDiagonal(count: Swift.min(m, n), stride: n, scale: frobeniusNorm(),
                                                 size: Swift.max(m, n), routine: routine, factor: factor,
                                                 what: "rank deficient")
        let solution = try bx.rows(0..<n).reshaped(resultShape)
        // `rows` is a view into the taller buffer; hand back a tensor that owns exactly its scalars.
        return Tensor(shape: resultShape) { solution[flat: $0] }
    }

    // MARK: Cholesky

    /// The Cholesky factor of a symmetric positive-definite matrix: the lower-triangular L with A = L·Lᵀ.
    ///
    /// Uses `spotrf` / `dpotrf`. The strictly upper triangle of the result is zero, so L can be used
    /// directly in a multiplication.
    ///
    /// ```swift
    /// let a = try Tensor<Double>([[4, 2], [2, 5]])
    /// let l = try a.cholesky()   // [[2, 0], [1, 2]]
    /// ```
    ///
    /// - Throws: `TensorError.invalidShape` if `self` is not square; `TensorError.invalidArgument` for
    ///   NaN, infinity, or a matrix that is not symmetric (within `√ε · max|A|`: LAPACK reads only one
    ///   triangle, so an asymmetric input would be factored silently as a different matrix);
    ///   `TensorError.lapack(routine: "spotrf"/"dpotrf", info:reason:)` if A is not positive definite,
    ///   where `info` is the order of the leading minor that is not.
    public func cholesky() throws -> Tensor {
        let op = "cholesky"
        let n = try requireSquare(op)
        let scale = try requireFinite(op, name: "A")
        try requireSymmetric(op, scale: scale)
        let routine = Self.lapackName("potrf")
        if n == 0 { return self }
        let n32 = try blasInt(n, op: op)

        var l = self
        let info = l.withUnsafeMutableBufferPointer { a in
            Scalar.potrf(lower: true, n: n32, a: a.baseAddress!, lda: n32)
        }
        if info > 0 {
            throw TensorError.lapack(routine: routine, info: Int(info),
                                     reason: "matrix is not positive definite: the leading minor of order \(info) is not")
        }
        try Self.checkInfo(info, routine: routine)
        // potrf leaves the upper triangle as it found it (A's entries); clear it so the result is L.
        l.withUnsafeMutableBufferPointer { a in
            for i in 0..<n { for j in (i + 1)..<n { a[i * n + j] = 0 } }
        }
        return l
    }

    // MARK: QR

    /// The thin QR factorization A = Q·R of the m×n matrix `self`.
    ///
    /// With k = min(m, n), Q is m×k with orthonormal columns (QᵀQ = I) and R is k×n upper triangular
    /// (upper trapezoidal when m < n). Computed by Householder reflections (`sgeqrf` / `dgeqrf`), with Q
    /// formed explicitly by `sorgqr` / `dorgqr`.
    ///
    /// The signs are normalized so that R's diagonal is non-negative. That makes the factorization
    /// unique for a full-rank A, independent of LAPACK's reflector sign convention — and it is what
    /// orthogonal initialization needs for Q to be uniformly distributed when A is Gaussian.
    ///
    /// ```swift
    /// let a = try Tensor<Double>([[3, 1], [4, 2]])
    /// let (q, r) = try a.qr()   // q = [[0.6, -0.8], [0.8, 0.6]], r = [[5, 2.2], [0, 0.4]]
    /// ```
    ///
    /// - Throws: `TensorError.invalidShape` if `self` is not a matrix; `TensorError.invalidArgument` for
    ///   NaN or infinity; `TensorError.lapack` if LAPACK rejects an argument (a bug, not a data problem).
    public func qr() throws -> (q: Tensor, r: Tensor) {
        let op = "qr"
        let (m, n) = try requireMatrix(op)
        _ = try requireFinite(op, name: "A")
        let k = Swift.min(m, n)
        if k == 0 { return (Tensor(zeros: [m, k]), Tensor(zeros: [k, n])) }
        let m32 = try blasInt(m, op: op)
        let n32 = try blasInt(n, op: op)
        let k32 = try blasInt(k, op: op)

        var factors = self
        var tau = [Scalar](repeating: 0, count: k)
        let qrInfo = factors.withUnsafeMutableBufferPointer { a in
            Scalar.geqrf(m: m32, n: n32, a: a.baseAddress!, lda: n32, tau: &tau)
        }
        try Self.checkInfo(qrInfo, routine: Self.lapackName("geqrf"))

        // R is the upper triangle of the first k rows; below it geqrf stored the reflectors.
        var r = Tensor(zeros: [k, n])
        // Q needs only the first k columns of the reflector storage, as an m×k array for orgqr.
        var q = Tensor(zeros: [m, k])
        factors.withUnsafeBufferPointer { f in
            r.withUnsafeMutableBufferPointer { rp in
                for i in 0..<k { for j in i..<n { rp[i * n + j] = f[i * n + j] } }
            }
            q.withUnsafeMutableBufferPointer { qp in
                for i in 0..<m { for j in 0..<k { qp[i * k + j] = f[i * n + j] } }
            }
        }
        let qInfo = q.withUnsafeMutableBufferPointer { a in
            Scalar.orgqr(m: m32, n: k32, k: k32, a: a.baseAddress!, lda: k32, tau: tau)
        }
        try Self.checkInfo(qInfo, routine: Self.lapackName("orgqr"))

        // Flip row i of R and column i of Q together: (Q·D)(D·R) = Q·R for D = diag(±1).
        q.withUnsafeMutableBufferPointer { qp in
            r.withUnsafeMutableBufferPointer { rp in
                for i in 0..<k where rp[i * n + i] < 0 {
                    for j in i..<n { rp[i * n + j] = -rp[i * n + j] }
                    for row in 0..<m { qp[row * k + i] = -qp[row * k + i] }
                }
            }
        }
        return (q, r)
    }

    // MARK: SVD

    /// The thin singular value decomposition A = U·diag(S)·Vᵀ of the m×n matrix `self`.
    ///
    /// With k = min(m, n): U is m×k and Vᵀ is k×n, both with orthonormal rows/columns (UᵀU = I,
    /// Vᵀ·V = I), and S is a vector of k singular values in descending order. Computed by divide and
    /// conquer (`sgesdd` / `dgesdd`). Each singular vector pair is determined only up to a common sign.
    ///
    /// ```swift
    /// let a = try Tensor<Double>([[3, 0], [0, -4]])
    /// let (u, s, vt) = try a.svd()   // s = [4, 3]
    /// ```
    ///
    /// - Throws: `TensorError.invalidShape` if `self` is not a matrix; `TensorError.invalidArgument` for
    ///   NaN or infinity; `TensorError.lapack(routine: "sgesdd"/"dgesdd", info:reason:)` if the
    ///   iteration did not converge (`info` > 0).
    public func svd() throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        let op = "svd"
        let (m, n) = try requireMatrix(op)
        _ = try requireFinite(op, name: "A")
        let k = Swift.min(m, n)
        if k == 0 { return (Tensor(zeros: [m, k]), Tensor(zeros: [k]), Tensor(zeros: [k, n])) }
        let m32 = try blasInt(m, op: op)
        let n32 = try blasInt(n, op: op)
        let k32 = try blasInt(k, op: op)
        let routine = Self.lapackName("gesdd")

        var work = self   // gesdd destroys A.
        var u = Tensor(zeros: [m, k])
        var s = Tensor(zeros: [k])
        var vt = Tensor(zeros: [k, n])
        let info = work.withUnsafeMutableBufferPointer { a in
            s.withUnsafeMutableBufferPointer { sp in
                u.withUnsafeMutableBufferPointer { up in
                    vt.withUnsafeMutableBufferPointer { vp in
                        Scalar.gesdd(m: m32, n: n32, a: a.baseAddress!, lda: n32, s: sp.baseAddress!,
                                     u: up.baseAddress!, ldu: k32, vt: vp.baseAddress!, ldvt: n32)
                    }
                }
            }
        }
        if info > 0 {
            throw TensorError.lapack(routine: routine, info: Int(info),
                                     reason: "the divide-and-conquer iteration did not converge")
        }
        try Self.checkInfo(info, routine: routine)
        return (u, s, vt)
    }

    // MARK: Symmetric eigendecomposition

    /// Eigenvalues and eigenvectors of a symmetric matrix: A·V = V·diag(λ).
    ///
    /// Computed by divide and conquer (`ssyevd` / `dsyevd`). The eigenvalues come back in ascending
    /// order; column j of `vectors` is a unit eigenvector for `values[j]`, and the columns are
    /// orthonormal. Each eigenvector is determined only up to sign (and, for repeated eigenvalues, up to
    /// a rotation within its eigenspace).
    ///
    /// ```swift
    /// let a = try Tensor<Double>([[2, 1], [1, 2]])
    /// let (values, vectors) = try a.symmetricEigen()   // values = [1, 3]
    /// ```
    ///
    /// - Throws: `TensorError.invalidShape` if `self` is not square; `TensorError.invalidArgument` for
    ///   NaN, infinity, or a matrix that is not symmetric (within `√ε · max|A|`: LAPACK reads only the
    ///   upper triangle); `TensorError.lapack(routine: "ssyevd"/"dsyevd", info:reason:)` if the
    ///   iteration did not converge.
    public func symmetricEigen() throws -> (values: Tensor, vectors: Tensor) {
        let op = "symmetricEigen"
        let n = try requireSquare(op)
        let scale = try requireFinite(op, name: "A")
        try requireSymmetric(op, scale: scale)
        if n == 0 { return (Tensor(zeros: [0]), Tensor(zeros: [0, 0])) }
        let n32 = try blasInt(n, op: op)
        let routine = Self.lapackName("syevd")

        // syevd overwrites A with the eigenvectors; row-major LAPACKE hands them back as columns.
        var vectors = self
        var values = Tensor(zeros: [n])
        let info = vectors.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { w in
                Scalar.syevd(n: n32, a: a.baseAddress!, lda: n32, w: w.baseAddress!)
            }
        }
        if info > 0 {
            throw TensorError.lapack(routine: routine, info: Int(info),
                                     reason: "the divide-and-conquer iteration did not converge")
        }
        try Self.checkInfo(info, routine: routine)
        return (values, vectors)
    }
}

// MARK: - Validation shared by the routines above

extension Tensor where Scalar: BLASScalar {
    /// The LAPACK name of `base` for this precision: `lapackName("gesv")` is `"sgesv"` or `"dgesv"`.
    static func lapackName(_ base: String) -> String {
        (Scalar.dtypeName == "F32" ? "s" : "d") + base
    }

    /// Turns a negative `info` (an argument LAPACK rejected, or LAPACKE's out-of-memory codes) into an
    /// error. Positive codes mean something different for each routine, so callers handle those first.
    static func checkInfo(_ info: Int32, routine: String) throws {
        guard info != 0 else { return }
        // LAPACKE's own codes for a failed work-array or transposition-buffer allocation.
        if info == -1010 || info == -1011 {
            throw TensorError.lapack(routine: routine, info: Int(info), reason: "out of memory for the work arrays")
        }
        throw TensorError.lapack(routine: routine, info: Int(info),
                                 reason: info < 0 ? "argument \(-info) had an illegal value" : "failed")
    }

    /// Rows and columns of a matrix, or `invalidShape` naming `op`.
    func requireMatrix(_ op: String) throws -> (rows: Int, columns: Int) {
        guard rank == 2 else { throw TensorError.invalidShape(op: op, shape: shape, expected: "a matrix (rank 2)") }
        return (shape[0], shape[1])
    }

    /// The order n of a square matrix, or `invalidShape` naming `op`.
    func requireSquare(_ op: String) throws -> Int {
        guard rank == 2, shape[0] == shape[1] else {
            throw TensorError.invalidShape(op: op, shape: shape, expected: "a square matrix (n×n)")
        }
        return shape[0]
    }

    /// Checks that `b` is a vector of length `rows` or a matrix with `rows` rows, and returns its
    /// number of right-hand sides (1 for a vector).
    func requireRightHandSide(_ b: Tensor, rows: Int, op: String) throws -> Int {
        guard b.rank == 1 || b.rank == 2 else {
            throw TensorError.invalidShape(op: op, shape: b.shape, expected: "a right-hand side of rank 1 or 2")
        }
        guard b.shape[0] == rows else { throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: b.shape) }
        return b.rank == 1 ? 1 : b.shape[1]
    }

    /// Throws `invalidArgument` naming the first NaN or infinity, and otherwise returns max|x|, which
    /// the callers reuse as the matrix's scale in their tolerance tests.
    @discardableResult
    func requireFinite(_ op: String, name: String) throws -> Scalar {
        let (bad, largest): ((index: Int, value: Scalar)?, Scalar) = withUnsafeBufferPointer { p in
            var m: Scalar = 0
            for i in 0..<p.count {
                let v = p[i]
                guard v.isFinite else { return ((i, v), m) }
                m = Swift.max(m, Swift.abs(v))
            }
            return (nil, m)
        }
        if let bad {
            let position = rank == 2 && shape[1] > 0 ? "(\(bad.index / shape[1]), \(bad.index % shape[1]))" : "[\(bad.index)]"
            throw TensorError.invalidArgument(op: op, reason: "\(name) \(shape) holds \(bad.value) at \(position); LAPACK needs finite values")
        }
        return largest
    }

    /// Throws `invalidArgument` unless the square matrix is symmetric to within `√ε · scale`.
    ///
    /// Exact symmetry is too strict: a Gram matrix XᵀX formed by a blocked, vectorized gemm can differ
    /// from its transpose in the last bits. √ε still catches any matrix that is genuinely not symmetric.
    func requireSymmetric(_ op: String, scale: Scalar) throws {
        let n = shape[0]
        let tolerance = Scalar.ulpOfOne.squareRoot() * scale
        let offender: (Int, Int)? = withUnsafeBufferPointer { p in
            for i in 0..<n {
                for j in (i + 1)..<n where Swift.abs(p[i * n + j] - p[j * n + i]) > tolerance { return (i, j) }
            }
            return nil
        }
        if let (i, j) = offender {
            let upper = self[i, j], lower = self[j, i]
            throw TensorError.invalidArgument(
                op: op, reason: "matrix \(shape) is not symmetric: A[\(i), \(j)] = \(upper) but A[\(j), \(i)] = \(lower)")
        }
    }

    /// √(Σ x²), scaled by the largest magnitude so that squaring cannot overflow.
    func frobeniusNorm() -> Scalar {
        withUnsafeBufferPointer { p in
            let largest = p.reduce(Scalar(0)) { Swift.max($0, Swift.abs($1)) }
            guard largest > 0 else { return 0 }
            let sum = p.reduce(Scalar(0)) { acc, v in let t = v / largest; return acc + t * t }
            return largest * sum.squareRoot()
        }
    }

    /// Throws `TensorError.lapack` if a diagonal element of the triangular factor stored in `self` is
    /// negligible, i.e. at most `size · ε · scale`. `info` follows LAPACK's convention: the 1-based index
    /// of the first offending element.
    func requireNonNegligibleDiagonal(count: Int, stride: Int, scale: Scalar, size: Int,
                                      routine: String, factor: String, what: String) throws {
        let tolerance = Scalar(size) * Scalar.ulpOfOne * scale
        let found: (Int, Scalar)? = withUnsafeBufferPointer { p in
            for i in 0..<count where Swift.abs(p[i * stride + i]) <= tolerance { return (i, p[i * stride + i]) }
            return nil
        }
        if let (i, value) = found {
            throw TensorError.lapack(
                routine: routine, info: i + 1,
                reason: "matrix is \(what) to working precision: |\(factor)[\(i), \(i)]| = \(Swift.abs(value)) ≤ \(tolerance)")
        }
    }
}

import CKernels

// Fused losses: each forward returns the (weighted) mean loss over the batch and each backward returns
// ∂loss/∂scores directly, without building the loss out of small ops.
//
// Every loss is a weighted mean over examples: L = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ, with wᵢ = 1 by default. Class
// weights for unbalanced data become per-example weights (the weight of each example's class).

extension Tensor {
    /// Validated per-example weights (nil → all ones) and their sum.
    @inlinable
    static func lossWeights(_ op: String, _ weights: [Scalar]?, rows n: Int) throws -> (UnsafeBufferPointer<Scalar>?, Scalar, [Scalar]?) {
        guard let w = weights else { return (nil, Scalar(n), nil) }
        guard w.count == n else { throw TensorError.shapeMismatch(op: op + " weights", lhs: [n], rhs: [w.count]) }
        var total: Scalar = 0
        for (i, v) in w.enumerated() {
            guard v >= 0, v.isFinite else { throw TensorError.invalidArgument(op: op, reason: "weight \(v) at row \(i) is not a finite non-negative number") }
            total += v
        }
        guard total > 0 else { throw TensorError.invalidArgument(op: op, reason: "weights sum to zero") }
        return (nil, total, w)
    }

    @inlinable
    static func checkLabels(_ op: String, _ scores: Tensor, _ labels: [Int]) throws -> (Int, Int) {
        let (n, k) = try scores.matrixShape(op)
        guard labels.count == n else { throw TensorError.shapeMismatch(op: op + " labels", lhs: scores.shape, rhs: [labels.count]) }
        for (r, y) in labels.enumerated() where y < 0 || y >= k {
            throw TensorError.indexOutOfRange(op: op + " label at row \(r)", index: y, bound: k)
        }
        return (n, k)
    }

    // MARK: Softmax cross-entropy

    /// Mean of −log softmax(sᵢ)[yᵢ] over the batch, computed as logΣexp(sᵢ) − sᵢ[yᵢ] with the row
    /// maximum subtracted first, so logits of ±1000 neither overflow nor lose the answer.
    /// - Throws: `TensorError.indexOutOfRange` naming the row of a label outside `0..<classes`.
    @inlinable
    public static func softmaxCrossEntropy(_ scores: Tensor, labels: [Int], weights: [Scalar]? = nil) throws -> Scalar {
        try softmaxCrossEntropy(scores, labels: labels, weights: weights, probabilities: nil)
    }

    /// The loss, and when `probabilities` is given (n×classes) softmax(sᵢ) written into it, for the
    /// backward to reuse instead of computing every exponential again.
    @inlinable
    static func softmaxCrossEntropy(_ scores: Tensor, labels: [Int], weights: [Scalar]?,
                                    probabilities: UnsafeMutablePointer<Scalar>?) throws -> Scalar {
        let (n, k) = try checkLabels("softmaxCrossEntropy", scores, labels)
        let (_, total, w) = try lossWeights("softmaxCrossEntropy", weights, rows: n)
        let p = scores.unsafeReadPointer
        var loss: Scalar = 0
        for r in 0..<n {
            let row = p + r * k
            var mx = row[0]
            for c in 1..<k where row[c] > mx { mx = row[c] }
            var s: Scalar = 0
            if let probabilities {
                let prow = probabilities + r * k
                s = softmaxExponentials(row, shift: mx, into: prow, count: k)
                let inv = 1 / s
                for c in 0..<k { prow[c] *= inv }
            } else {
                for c in 0..<k { s += Scalar.exp(row[c] - mx) }
            }
            loss += (w?[r] ?? 1) * (Scalar.log(s) + mx - row[labels[r]])
        }
        return loss / total
    }

    /// Backward of softmax cross-entropy from the probabilities its forward kept (n×classes), into `g`:
    /// the same numbers as `softmaxCrossEntropyBackward(_:labels:…)` without the exponentials.
    @inlinable
    static func softmaxCrossEntropyBackward(probabilities: UnsafePointer<Scalar>, rows n: Int, classes k: Int, labels: [Int],
                                            weights: [Scalar]?, dLoss: Scalar, into g: UnsafeMutablePointer<Scalar>, add: Bool) throws {
        let (_, total, w) = try lossWeights("softmaxCrossEntropy", weights, rows: n)
        for r in 0..<n {
            let prow = probabilities + r * k, grow = g + r * k
            let scale = dLoss * (w?[r] ?? 1) / total
            // scale·p over the row in a loop that vectorizes, then the label's entry as scale·(p − 1): the
            // same numbers as computing every entry as scale·(p − onehot).
            let y = labels[r], before = grow[y], d = scale * (prow[y] - 1)
            if add { for c in 0..<k { grow[c] += scale * prow[c] } } else { for c in 0..<k { grow[c] = scale * prow[c] } }
            grow[y] = add ? before + d : d
        }
    }

    /// Backward of softmax cross-entropy, into `g`: ∂L/∂sᵢ = wᵢ·(softmax(sᵢ) − onehot(yᵢ)) / Σw, times `dLoss`.
    @inlinable
    static func softmaxCrossEntropyBackward(_ scores: Tensor, labels: [Int], weights: [Scalar]?, dLoss: Scalar,
                                            into g: UnsafeMutablePointer<Scalar>, add: Bool) throws {
        let (n, k) = try checkLabels("softmaxCrossEntropy", scores, labels)
        let (_, total, w) = try lossWeights("softmaxCrossEntropy", weights, rows: n)
        let p = scores.unsafeReadPointer
        for r in 0..<n {
            let row = p + r * k, grow = g + r * k
            var mx = row[0]
            for c in 1..<k where row[c] > mx { mx = row[c] }
            var s: Scalar = 0
            for c in 0..<k { s += Scalar.exp(row[c] - mx) }
            let scale = dLoss * (w?[r] ?? 1) / total
            let inv = 1 / s
            for c in 0..<k {
                let d = scale * (Scalar.exp(row[c] - mx) * inv - (c == labels[r] ? 1 : 0))
                if add { grow[c] += d } else { grow[c] = d }
            }
        }
    }

    // MARK: Multiclass SVM (structured hinge)

    /// Mean of Σ_{j≠yᵢ} max(0, sᵢⱼ − sᵢ[yᵢ] + margin) — the multiclass SVM loss (Weston–Watkins form).
    public static func multiclassHinge(_ scores: Tensor, labels: [Int], margin: Scalar = 1, weights: [Scalar]? = nil) throws -> Scalar {
        let (n, k) = try checkLabels("multiclassHinge", scores, labels)
        let (_, total, w) = try lossWeights("multiclassHinge", weights, rows: n)
        let p = scores.unsafeReadPointer
        var loss: Scalar = 0
        for r in 0..<n {
            let row = p + r * k, sy = row[labels[r]]
            var l: Scalar = 0
            for c in 0..<k where c != labels[r] { l += Swift.max(0, row[c] - sy + margin) }
            loss += (w?[r] ?? 1) * l
        }
        return loss / total
    }


    /// Backward of the multiclass hinge, into `g` (added, or written over when `add` is false): each class
    /// whose margin is violated pulls its score down by 1 and the true class's score up by 1 (the guide's
    /// "pull"), scaled by wᵢ/Σw·dLoss.
    @inlinable
    static func multiclassHingeBackward(_ scores: Tensor, labels: [Int], margin: Scalar, weights: [Scalar]?, dLoss: Scalar,
                                        into g: UnsafeMutablePointer<Scalar>, add: Bool) throws {
        let (n, k) = try checkLabels("multiclassHinge", scores, labels)
        let (_, total, w) = try lossWeights("multiclassHinge", weights, rows: n)
        if !add { g.update(repeating: 0, count: n * k) }
        let p = scores.unsafeReadPointer
        for r in 0..<n {
            let row = p + r * k, y = labels[r], sy = row[y]
            let scale = dLoss * (w?[r] ?? 1) / total
            for c in 0..<k where c != y && row[c] - sy + margin > 0 {
                g[r * k + c] += scale
                g[r * k + y] -= scale
            }
        }
    }

    // MARK: Elementwise losses against targets (binary ±1 labels, or regression values)

    /// The shared shape of the elementwise losses: ℓᵢ = mean over the row's columns of f(s, t).
    @usableFromInline
    static func elementwiseLoss(_ op: String, _ scores: Tensor, _ targets: Tensor, _ weights: [Scalar]?,
                                _ f: (Scalar, Scalar) -> Scalar) throws -> Scalar {
        guard scores.count == targets.count, scores.rows == targets.rows else {
            throw TensorError.shapeMismatch(op: op, lhs: scores.shape, rhs: targets.shape)
        }
        let n = scores.rank >= 2 ? scores.shape[0] : scores.count
        let k = n == 0 ? 1 : scores.count / n
        let (_, total, w) = try lossWeights(op, weights, rows: n)
        let s = scores.unsafeReadPointer, t = targets.unsafeReadPointer
        var loss: Scalar = 0
        for r in 0..<n {
            var l: Scalar = 0
            for c in 0..<k { l += f(s[r * k + c], t[r * k + c]) }
            loss += (w?[r] ?? 1) * l / Scalar(k)
        }
        return loss / total
    }


    /// The elementwise losses' gradient added into `g` (or written over it when `add` is false).
    @inlinable
    static func elementwiseLossBackward(_ op: String, _ scores: Tensor, _ targets: Tensor, _ weights: [Scalar]?, _ dLoss: Scalar,
                                        into g: UnsafeMutablePointer<Scalar>, add: Bool,
                                        _ df: (Scalar, Scalar) -> Scalar) throws {
        guard scores.count == targets.count, scores.rows == targets.rows else {
            throw TensorError.shapeMismatch(op: op, lhs: scores.shape, rhs: targets.shape)
        }
        let n = scores.rank >= 2 ? scores.shape[0] : scores.count
        let k = n == 0 ? 1 : scores.count / n
        let (_, total, w) = try lossWeights(op, weights, rows: n)
        let s = scores.unsafeReadPointer, t = targets.unsafeReadPointer
        for r in 0..<n {
            let scale = dLoss * (w?[r] ?? 1) / (total * Scalar(k))
            for c in 0..<k {
                let d = scale * df(s[r * k + c], t[r * k + c])
                if add { g[r * k + c] += d } else { g[r * k + c] = d }
            }
        }
    }

    /// Binary hinge (the guide's SVM): mean of max(0, 1 − y·s) for labels y = ±1.
    public static func hinge(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("hinge", scores, targets, weights) { s, y in Swift.max(0, 1 - y * s) }
    }
    /// ∂/∂s of the hinge: −y where the margin is violated (1 − y·s > 0), else 0 — the guide's pull of
    /// +1 or −1 on a misclassified or too-close point and no pull on the others.
    @inlinable static func hingeSlope(_ s: Scalar, _ y: Scalar) -> Scalar { 1 - y * s > 0 ? -y : 0 }

    /// Squared hinge: mean of max(0, 1 − y·s)².
    public static func squaredHinge(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("squaredHinge", scores, targets, weights) { s, y in let m = Swift.max(0, 1 - y * s); return m * m }
    }
    /// ∂/∂s of the squared hinge: −2y·max(0, 1 − y·s).
    @inlinable static func squaredHingeSlope(_ s: Scalar, _ y: Scalar) -> Scalar { -2 * y * Swift.max(0, 1 - y * s) }

    /// Logistic loss for labels y = ±1: mean of log(1 + e^(−y·s)), computed as a stable softplus.
    public static func logistic(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("logistic", scores, targets, weights) { s, y in
            let z = -y * s
            return Swift.max(z, 0) + Scalar.log1p(Scalar.exp(-Swift.abs(z)))
        }
    }
    /// ∂/∂s of the logistic loss: −y·σ(−y·s).
    @inlinable static func logisticSlope(_ s: Scalar, _ y: Scalar) -> Scalar { -y * UnaryFunction.logisticSigmoid(-y * s) }

    /// Mean squared error: mean of (s − t)².
    public static func meanSquaredError(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("meanSquaredError", scores, targets, weights) { s, t in (s - t) * (s - t) }
    }
    /// ∂/∂s of the squared error: 2(s − t).
    @inlinable static func squaredErrorSlope(_ s: Scalar, _ t: Scalar) -> Scalar { 2 * (s - t) }

    /// Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (d = s − t): quadratic near the target, linear
    /// for outliers.
    public static func huber(_ scores: Tensor, targets: Tensor, delta: Scalar = 1, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("huber", scores, targets, weights) { s, t in
            let d = Swift.abs(s - t)
            return d <= delta ? d * d / 2 : delta * (d - delta / 2)
        }
    }
    /// ∂/∂s of Huber: d inside the quadratic zone, δ·sign(d) outside.
    @inlinable static func huberSlope(_ s: Scalar, _ t: Scalar, delta: Scalar) -> Scalar {
        let d = s - t
        return Swift.abs(d) <= delta ? d : (d > 0 ? delta : -delta)
    }
}

extension Variable {
    /// Records a scalar loss: its value in an arena buffer, and a backward that writes dLoss·∂loss/∂scores
    /// straight into the scores' gradient buffer (`add`: accumulate), so a warm step allocates nothing.
    @inlinable
    func lossNode(_ loss: Scalar,
                  _ backward: @escaping (_ dLoss: Scalar, _ g: UnsafeMutablePointer<Scalar>, _ add: Bool) throws -> Void) -> Variable {
        let scores = self
        let y = Variable.outputBuffer([], scores)
        y.unsafeWritePointer[0] = loss
        return Variable.record(y, inputs: [scores]) { dy in
            try scores.accumulateGrad { g, add in try backward(dy[flat: 0], g, add) }
        }
    }

    /// Softmax cross-entropy of these scores against class `labels`.
    @inlinable
    public func softmaxCrossEntropy(labels: [Int], weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        guard requiresGrad, tape != nil, s.rank == 2 else {
            return lossNode(try Tensor.softmaxCrossEntropy(s, labels: labels, weights: weights)) { d, g, add in
                try Tensor.softmaxCrossEntropyBackward(s, labels: labels, weights: weights, dLoss: d, into: g, add: add)
            }
        }
        // On a tape the probabilities go into an arena buffer: backward reads them instead of taking
        // every exponential a second time (the same numbers, as the forward computes them the same way).
        let (n, k) = (s.shape[0], s.shape[1])
        let p = Variable.outputBuffer([n, k], self)
        let loss = try Tensor.softmaxCrossEntropy(s, labels: labels, weights: weights, probabilities: p.unsafeWritePointer)
        return lossNode(loss) { d, g, add in
            try Tensor.softmaxCrossEntropyBackward(probabilities: p.unsafeReadPointer, rows: n, classes: k, labels: labels,
                                                   weights: weights, dLoss: d, into: g, add: add)
        }
    }
    /// Multiclass SVM loss of these scores against class `labels`.
    @inlinable
    public func multiclassHinge(labels: [Int], margin: Scalar = 1, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.multiclassHinge(s, labels: labels, margin: margin, weights: weights)) { d, g, add in
            try Tensor.multiclassHingeBackward(s, labels: labels, margin: margin, weights: weights, dLoss: d, into: g, add: add)
        }
    }
    /// Binary hinge loss against ±1 targets (same element count as the scores).
    @inlinable
    public func hinge(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.hinge(s, targets: targets, weights: weights)) { d, g, add in
            try Tensor.elementwiseLossBackward("hinge", s, targets, weights, d, into: g, add: add, Tensor.hingeSlope)
        }
    }
    /// Squared hinge loss against ±1 targets.
    @inlinable
    public func squaredHinge(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.squaredHinge(s, targets: targets, weights: weights)) { d, g, add in
            try Tensor.elementwiseLossBackward("squaredHinge", s, targets, weights, d, into: g, add: add, Tensor.squaredHingeSlope)
        }
    }
    /// Logistic loss against ±1 targets.
    @inlinable
    public func logistic(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.logistic(s, targets: targets, weights: weights)) { d, g, add in
            try Tensor.elementwiseLossBackward("logistic", s, targets, weights, d, into: g, add: add, Tensor.logisticSlope)
        }
    }
    /// Mean squared error against targets.
    @inlinable
    public func meanSquaredError(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.meanSquaredError(s, targets: targets, weights: weights)) { d, g, add in
            try Tensor.elementwiseLossBackward("meanSquaredError", s, targets, weights, d, into: g, add: add, Tensor.squaredErrorSlope)
        }
    }
    /// Huber loss against targets.
    @inlinable
    public func huber(targets: Tensor<Scalar>, delta: Scalar = 1, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.huber(s, targets: targets, delta: delta, weights: weights)) { d, g, add in
            try Tensor.elementwiseLossBackward("huber", s, targets, weights, d, into: g, add: add) { Tensor.huberSlope($0, $1, delta: delta) }
        }
    }
}

/// y[c] = e^(x[c] − shift), returning Σ y: in float and double through CKernels' vectorized exponentials
/// (activations.c, exp64.c; the sum as eight partial sums in a fixed order), in any other scalar through
/// `exp` one element at a time.
@inlinable @inline(__always)
func softmaxExponentials<S: BLASScalar>(_ x: UnsafePointer<S>, shift: S, into y: UnsafeMutablePointer<S>, count n: Int) -> S {
    if S.self == Float.self {
        let s = circuits_exp_shifted_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), shift as! Float,
                                         UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
        return s as! S
    } else if S.self == Double.self {
        let s = circuits_exp_shifted_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), shift as! Double,
                                         UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), n)
        return s as! S
    }
    var s: S = 0
    for c in 0..<n { y[c] = S.exp(x[c] - shift); s += y[c] }
    return s
}

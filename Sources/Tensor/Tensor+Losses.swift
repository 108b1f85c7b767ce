// Fused losses: each forward returns the (weighted) mean loss over the batch and each backward returns
// ∂loss/∂scores directly, without building the loss out of small ops.
//
// Every loss is a weighted mean over examples: L = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ, with wᵢ = 1 by default. Class
// weights for unbalanced data become per-example weights (the weight of each example's class).

extension Tensor {
    /// Validated per-example weights (nil → all ones) and their sum.
    @usableFromInline
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

    @usableFromInline
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
        let (n, k) = try checkLabels("softmaxCrossEntropy", scores, labels)
        let (_, total, w) = try lossWeights("softmaxCrossEntropy", weights, rows: n)
        let p = scores.unsafeReadPointer
        var loss: Scalar = 0
        for r in 0..<n {
            let row = p + r * k
            var mx = row[0]
            for c in 1..<k where row[c] > mx { mx = row[c] }
            var s: Scalar = 0
            for c in 0..<k { s += Scalar.exp(row[c] - mx) }
            loss += (w?[r] ?? 1) * (Scalar.log(s) + mx - row[labels[r]])
        }
        return loss / total
    }

    /// Backward of softmax cross-entropy: ∂L/∂sᵢ = wᵢ·(softmax(sᵢ) − onehot(yᵢ)) / Σw, times `dLoss`.
    public static func softmaxCrossEntropyBackward(_ scores: Tensor, labels: [Int], weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        let out = Tensor.uninitialized(scores.shape)
        try softmaxCrossEntropyBackward(scores, labels: labels, weights: weights, dLoss: dLoss, into: out.unsafeWritePointer, add: false)
        return out
    }

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

    /// Backward of the multiclass hinge: each class whose margin is violated pulls its score down by 1
    /// and the true class's score up by 1 (the guide's "pull"), scaled by wᵢ/Σw·dLoss.
    public static func multiclassHingeBackward(_ scores: Tensor, labels: [Int], margin: Scalar = 1, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        let (n, k) = try checkLabels("multiclassHinge", scores, labels)
        let (_, total, w) = try lossWeights("multiclassHinge", weights, rows: n)
        let out = Tensor(zeros: scores.shape)
        let p = scores.unsafeReadPointer, g = out.unsafeWritePointer
        for r in 0..<n {
            let row = p + r * k, y = labels[r], sy = row[y]
            let scale = dLoss * (w?[r] ?? 1) / total
            for c in 0..<k where c != y && row[c] - sy + margin > 0 {
                g[r * k + c] += scale
                g[r * k + y] -= scale
            }
        }
        return out
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

    @usableFromInline
    static func elementwiseLossBackward(_ op: String, _ scores: Tensor, _ targets: Tensor, _ weights: [Scalar]?, _ dLoss: Scalar,
                                        _ df: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        guard scores.count == targets.count, scores.rows == targets.rows else {
            throw TensorError.shapeMismatch(op: op, lhs: scores.shape, rhs: targets.shape)
        }
        let n = scores.rank >= 2 ? scores.shape[0] : scores.count
        let k = n == 0 ? 1 : scores.count / n
        let (_, total, w) = try lossWeights(op, weights, rows: n)
        let out = Tensor.uninitialized(scores.shape)
        let s = scores.unsafeReadPointer, t = targets.unsafeReadPointer, g = out.unsafeWritePointer
        for r in 0..<n {
            let scale = dLoss * (w?[r] ?? 1) / (total * Scalar(k))
            for c in 0..<k { g[r * k + c] = scale * df(s[r * k + c], t[r * k + c]) }
        }
        return out
    }

    /// Binary hinge (the guide's SVM): mean of max(0, 1 − y·s) for labels y = ±1.
    public static func hinge(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("hinge", scores, targets, weights) { s, y in Swift.max(0, 1 - y * s) }
    }
    /// Backward of the hinge: −y where the margin is violated (1 − y·s > 0), else 0 — the guide's pull of
    /// +1 or −1 on a misclassified or too-close point and no pull on the others.
    public static func hingeBackward(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        try elementwiseLossBackward("hinge", scores, targets, weights, dLoss) { s, y in 1 - y * s > 0 ? -y : 0 }
    }

    /// Squared hinge: mean of max(0, 1 − y·s)².
    public static func squaredHinge(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("squaredHinge", scores, targets, weights) { s, y in let m = Swift.max(0, 1 - y * s); return m * m }
    }
    /// Backward of the squared hinge: −2y·max(0, 1 − y·s).
    public static func squaredHingeBackward(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        try elementwiseLossBackward("squaredHinge", scores, targets, weights, dLoss) { s, y in -2 * y * Swift.max(0, 1 - y * s) }
    }

    /// Logistic loss for labels y = ±1: mean of log(1 + e^(−y·s)), computed as a stable softplus.
    public static func logistic(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("logistic", scores, targets, weights) { s, y in
            let z = -y * s
            return Swift.max(z, 0) + Scalar.log1p(Scalar.exp(-Swift.abs(z)))
        }
    }
    /// Backward of the logistic loss: −y·σ(−y·s).
    public static func logisticBackward(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        try elementwiseLossBackward("logistic", scores, targets, weights, dLoss) { s, y in -y * Tensor.sigmoid(-y * s) }
    }

    /// Mean squared error: mean of (s − t)².
    public static func meanSquaredError(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("meanSquaredError", scores, targets, weights) { s, t in (s - t) * (s - t) }
    }
    /// Backward of MSE: 2(s − t).
    public static func meanSquaredErrorBackward(_ scores: Tensor, targets: Tensor, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        try elementwiseLossBackward("meanSquaredError", scores, targets, weights, dLoss) { s, t in 2 * (s - t) }
    }

    /// Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (d = s − t): quadratic near the target, linear
    /// for outliers.
    public static func huber(_ scores: Tensor, targets: Tensor, delta: Scalar = 1, weights: [Scalar]? = nil) throws -> Scalar {
        try elementwiseLoss("huber", scores, targets, weights) { s, t in
            let d = Swift.abs(s - t)
            return d <= delta ? d * d / 2 : delta * (d - delta / 2)
        }
    }
    /// Backward of Huber: d inside the quadratic zone, δ·sign(d) outside.
    public static func huberBackward(_ scores: Tensor, targets: Tensor, delta: Scalar = 1, weights: [Scalar]? = nil, dLoss: Scalar = 1) throws -> Tensor {
        try elementwiseLossBackward("huber", scores, targets, weights, dLoss) { s, t in
            let d = s - t
            return Swift.abs(d) <= delta ? d : (d > 0 ? delta : -delta)
        }
    }
}

extension Variable {
    /// Records a scalar loss whose backward is `dScores(dLoss)`.
    @usableFromInline
    func lossNode(_ loss: Scalar, _ dScores: @escaping (Scalar) throws -> Tensor<Scalar>) -> Variable {
        let scores = self
        return Variable.record(try! Tensor([loss], shape: []), inputs: [scores]) { dy in
            try scores.accumulate(try dScores(dy[flat: 0]))
        }
    }

    /// Softmax cross-entropy of these scores against class `labels`; backward writes into the scores'
    /// gradient buffer directly.
    @inlinable
    public func softmaxCrossEntropy(labels: [Int], weights: [Scalar]? = nil) throws -> Variable {
        let scores = self
        let loss = try Tensor.softmaxCrossEntropy(scores.value, labels: labels, weights: weights)
        let y = Variable.outputBuffer([], scores)
        y.unsafeWritePointer[0] = loss
        return Variable.record(y, inputs: [scores]) { dy in
            try scores.accumulateGrad { g, add in
                try Tensor.softmaxCrossEntropyBackward(scores.value, labels: labels, weights: weights, dLoss: dy[flat: 0], into: g, add: add)
            }
        }
    }
    /// Multiclass SVM loss of these scores against class `labels`.
    public func multiclassHinge(labels: [Int], margin: Scalar = 1, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.multiclassHinge(s, labels: labels, margin: margin, weights: weights)) { d in
            try Tensor.multiclassHingeBackward(s, labels: labels, margin: margin, weights: weights, dLoss: d)
        }
    }
    /// Binary hinge loss against ±1 targets (same element count as the scores).
    public func hinge(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.hinge(s, targets: targets, weights: weights)) { d in
            try Tensor.hingeBackward(s, targets: targets, weights: weights, dLoss: d)
        }
    }
    /// Squared hinge loss against ±1 targets.
    public func squaredHinge(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.squaredHinge(s, targets: targets, weights: weights)) { d in
            try Tensor.squaredHingeBackward(s, targets: targets, weights: weights, dLoss: d)
        }
    }
    /// Logistic loss against ±1 targets.
    public func logistic(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.logistic(s, targets: targets, weights: weights)) { d in
            try Tensor.logisticBackward(s, targets: targets, weights: weights, dLoss: d)
        }
    }
    /// Mean squared error against targets.
    public func meanSquaredError(targets: Tensor<Scalar>, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.meanSquaredError(s, targets: targets, weights: weights)) { d in
            try Tensor.meanSquaredErrorBackward(s, targets: targets, weights: weights, dLoss: d)
        }
    }
    /// Huber loss against targets.
    public func huber(targets: Tensor<Scalar>, delta: Scalar = 1, weights: [Scalar]? = nil) throws -> Variable {
        let s = value
        return lossNode(try Tensor.huber(s, targets: targets, delta: delta, weights: weights)) { d in
            try Tensor.huberBackward(s, targets: targets, delta: delta, weights: weights, dLoss: d)
        }
    }
}

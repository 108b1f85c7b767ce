import Testing
@testable import Gates

// Chapter 2, "Generalizing the SVM into a Neural Network": the 2-layer net with 3 ReLU neurons.

/// The guide's hand-unrolled training step ("wow this is tedious"), parameters in the order
/// a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4.
private func unrolledStep(_ p: inout [Double], _ x: Double, _ y: Double, _ label: Int) {
    let n1 = max(0, p[0] * x + p[1] * y + p[2])
    let n2 = max(0, p[3] * x + p[4] * y + p[5])
    let n3 = max(0, p[6] * x + p[7] * y + p[8])
    let score = p[9] * n1 + p[10] * n2 + p[11] * n3 + p[12]
    var pull = 0.0
    if label == 1 && score < 1 { pull = 1 }
    if label == -1 && score > -1 { pull = -1 }
    let dscore = pull
    var d = [Double](repeating: 0, count: 13)
    d[9] = n1 * dscore; d[10] = n2 * dscore; d[11] = n3 * dscore; d[12] = dscore
    let dn1 = n1 == 0 ? 0 : p[9] * dscore
    let dn2 = n2 == 0 ? 0 : p[10] * dscore
    let dn3 = n3 == 0 ? 0 : p[11] * dscore
    for (k, dn) in [dn1, dn2, dn3].enumerated() {
        d[3 * k] = x * dn; d[3 * k + 1] = y * dn; d[3 * k + 2] = dn
    }
    for k in [0, 1, 3, 4, 6, 7, 9, 10, 11] { d[k] += -p[k] }
    for k in 0..<13 { p[k] += 0.01 * d[k] }
}

@Test("2-layer net with gates makes the same updates as the guide's unrolled code")
func twoLayerNetMatchesUnrolled() {
    for seed in UInt64(0)..<5 {
        var rng = GatesRNG(seed: seed)
        let net = TwoLayerNet(rng: &rng)
        var p = net.parameterValues
        #expect(p.allSatisfy { $0 >= -0.5 && $0 < 0.5 }, "Math.random() - 0.5")
        let order = randomSampleOrder(count: 6, iterations: 400, rng: &rng)
        net.train(on: GuideData.points, labels: GuideData.labels, order: order, logEvery: 0)
        for i in order { unrolledStep(&p, GuideData.points[i][0], GuideData.points[i][1], GuideData.labels[i]) }
        #expect(allClose(net.parameterValues, p, tolerance: 1e-12), "seed \(seed)")
    }
}

@Test("2-layer net: backprop through its circuit passes the gradient check")
func twoLayerNetGradientCheck() {
    // Rebuild the net's expression on public gates and check d score / d parameters numerically.
    var rng = GatesRNG(seed: 2)
    let params = (0..<13).map { _ in Unit(rng.uniform() - 0.5) }
    let x = Unit(1.2), y = Unit(0.7)
    let c = Circuit()
    let hidden = (0..<3).map { n in
        c.relu(c.sum([c.multiply(params[3 * n], x), c.multiply(params[3 * n + 1], y), params[3 * n + 2]]))
    }
    let score = c.sum([c.multiply(params[9], hidden[0]), c.multiply(params[10], hidden[1]),
                       c.multiply(params[11], hidden[2]), params[12]])
    let check = c.gradientCheck(of: score, withRespectTo: params + [x, y])
    #expect(check.worstRelativeError < 1e-6, "worst relative error \(check.worstRelativeError)")
}

@Test("2-layer net trained the guide's way learns the six points better than the linear SVM can")
func twoLayerNetLearns() {
    var finalCorrect: [Int] = []
    for seed in UInt64(0)..<20 {
        var rng = GatesRNG(seed: seed)
        let net = TwoLayerNet(rng: &rng)
        let log = net.train(on: GuideData.points, labels: GuideData.labels, iterations: 2000, logEvery: 25, rng: &rng)
        #expect(log.count == 80)
        finalCorrect.append(Int((log.last!.accuracy * 6).rounded()))
    }
    let separated = finalCorrect.filter { $0 == 6 }.count
    #expect(separated >= 10, "seeds at 6/6 after 2000 iterations: \(separated) of 20; final counts \(finalCorrect)")
}

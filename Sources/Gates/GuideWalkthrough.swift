import Foundation

/// A walkthrough of chapters 1–2 of the guide: every worked example recomputed with this module and
/// printed the way the guide prints it (`circuits guide` shows it).
///
/// Random parts (the random search, the SGD sample orders, the 2-layer net's initialization) use fixed
/// seeds of ``GatesRNG``, so the text is the same on every run and machine.
public func guideWalkthrough() -> String {
    var out = Walkthrough()
    out.chapterOne()
    out.chapterTwo()
    return out.text
}

private struct Walkthrough {
    var text = ""

    mutating func line(_ s: String = "") { text += s + "\n" }
    mutating func heading(_ s: String) { line(); line(s); line(String(repeating: "-", count: s.count)) }

    mutating func chapterOne() {
        line("Chapter 1: Real-valued Circuits")
        line("===============================")

        heading("Base case: a single * gate, f(x, y) = x * y")
        let multiply: ([Double]) -> Double = { $0[0] * $0[1] }
        line("forwardMultiplyGate(-2, 3) = \(multiply([-2, 3]))")

        heading("Strategy #1: random local search (tweak_amount 0.01, 100 tries, GatesRNG seed 0)")
        var rng = GatesRNG(seed: 0)
        let search = randomLocalSearch(multiply, from: [-2, 3], tweakAmount: 0.01, tries: 100, rng: &rng)
        line("best_x = \(fixed(search.inputs[0], 4)), best_y = \(fixed(search.inputs[1], 4)), best_out = \(fixed(search.output, 4))")
        line("(the guide's run: best_x = -1.9928, best_y = 2.9901, best_out = -5.9588)")

        heading("Strategy #2: numerical gradient (h = 0.0001)")
        let h = 0.0001
        line("out = \(multiply([-2, 3]))")
        line("out2 = forwardMultiplyGate(-1.9999, 3) = \(fixed(multiply([-2 + h, 3]), 4))")
        let numeric = numericalGradient(multiply, at: [-2, 3], h: h)
        line("x_derivative = \(fixed(numeric[0], 1))")
        line("out3 = forwardMultiplyGate(-2, 3.0001) = \(fixed(multiply([-2, 3 + h]), 4))")
        line("y_derivative = \(fixed(numeric[1], 1))")
        let stepped = [-2 + 0.01 * numeric[0], 3 + 0.01 * numeric[1]]
        line("step_size 0.01: x becomes \(fixed(stepped[0], 2)), y becomes \(fixed(stepped[1], 2)), out_new = \(fixed(multiply(stepped), 2))")

        heading("Strategy #3: analytic gradient by backprop")
        do {
            let x = Unit(-2), y = Unit(3), circuit = Circuit()
            let f = circuit.multiply(x, y)
            circuit.backward(from: f)
            line("x_gradient = \(x.grad) (= y), y_gradient = \(y.grad) (= x)")
            x.value += 0.01 * x.grad; y.value += 0.01 * y.grad
            circuit.forward()
            line("x = \(fixed(x.value, 2)), y = \(fixed(y.value, 2)), out_new = \(fixed(f.value, 2)). Higher output! Nice.")
        }

        heading("Recursive case: f(x, y, z) = (x + y) * z")
        do {
            let x = Unit(-2), y = Unit(5), z = Unit(-4), circuit = Circuit()
            let q = circuit.add(x, y)
            let f = circuit.multiply(q, z)
            line("q = \(q.value), f = \(f.value)")
            circuit.backward(from: f)
            line("derivative_f_wrt_z = \(z.grad), derivative_f_wrt_q = \(q.grad)")
            line("gradient_f_wrt_xyz = [\(x.grad), \(y.grad), \(z.grad)]")
            let numerical = circuit.numericalGradient(of: f, withRespectTo: [x, y, z], h: 0.0001)
            line("numerical gradient check: [\(numerical.map { fixed($0, 4) }.joined(separator: ", "))]")
            for u in [x, y, z] { u.value += 0.01 * u.grad }
            circuit.forward()
            line("after step 0.01: x = \(fixed(x.value, 2)), y = \(fixed(y.value, 2)), z = \(fixed(z.value, 2)); q = \(fixed(q.value, 2)), f = \(fixed(f.value, 2)) (up from -12)")
        }

        heading("Single neuron: f = sig(a*x + b*y + c)")
        do {
            let a = Unit(1), b = Unit(2), c = Unit(-3), x = Unit(-1), y = Unit(3), circuit = Circuit()
            let s = circuit.sigmoid(circuit.add(circuit.add(circuit.multiply(a, x), circuit.multiply(b, y)), c))
            line("circuit output: \(fixed(s.value, 4))")
            circuit.backward(from: s)
            line("a.grad = \(fixed(a.grad, 3)), b.grad = \(fixed(b.grad, 3)), c.grad = \(fixed(c.grad, 3)), x.grad = \(fixed(x.grad, 3)), y.grad = \(fixed(y.grad, 3))")
            for u in [a, b, c, x, y] { u.value += 0.01 * u.grad }
            circuit.forward()
            line("circuit output after one backprop: \(fixed(s.value, 5)) (the guide prints 0.8825)")
        }

        heading("Becoming a backprop ninja: each expression's backprop vs. central differences")
        var rng2 = GatesRNG(seed: 1)
        let cases: [(String, Int, (Circuit, [Unit]) -> Unit)] = [
            ("x = a * b", 2, { c, u in c.multiply(u[0], u[1]) }),
            ("x = a + b + c", 3, { c, u in c.add(c.add(u[0], u[1]), u[2]) }),
            ("x = a * b + c", 3, { c, u in c.add(c.multiply(u[0], u[1]), u[2]) }),
            ("f = sig(a*x + b*y + c)", 5, { c, u in c.sigmoid(c.add(c.add(c.multiply(u[0], u[3]), c.multiply(u[1], u[4])), u[2])) }),
            ("x = a * a", 1, { c, u in c.multiply(u[0], u[0]) }),
            ("x = a*a + b*b + c*c", 3, { c, u in c.sum(u.map { c.multiply($0, $0) }) }),
            ("x = pow((a * b + c) * d, 2)", 4, { c, u in c.pow(c.multiply(c.add(c.multiply(u[0], u[1]), u[2]), u[3]), 2) }),
            ("x = 1.0 / a", 1, { c, u in c.reciprocal(u[0]) }),
            ("x = (a + b) / (c + d)", 4, { c, u in c.divide(c.add(u[0], u[1]), c.add(u[2], u[3])) }),
            ("x = max(a, b)", 2, { c, u in c.max(u[0], u[1]) }),
            ("x = max(a, 0)", 1, { c, u in c.relu(u[0]) }),
        ]
        for (name, arity, build) in cases {
            let units = (0..<arity).map { _ in Unit(rng2.uniform(0.5, 2) * (rng2.uniform() < 0.3 ? -1 : 1)) }
            if name.contains("/") { for u in units { u.value = abs(u.value) } }
            let circuit = Circuit()
            let check = circuit.gradientCheck(of: build(circuit, units), withRespectTo: units)
            let grads = check.analytic.map { fixed($0, 4) }.joined(separator: ", ")
            line("\(name.padding(toLength: 30, withPad: " ", startingAt: 0)) grads [\(grads)]  worst relative error \(scientific(check.worstRelativeError))")
        }
    }

    mutating func chapterTwo() {
        line()
        line("Chapter 2: Machine Learning")
        line("===========================")

        heading("SVM force specification, from a = 1, b = -2, c = -1")
        let svm = SVM()
        line("[1.2, 0.7] scores \(fixed(svm.forward(1.2, 0.7), 1)), label +1: pull \(SVM.pull(score: svm.score.value, label: 1)); springs pull a by \(-svm.a.value), b by +\(-svm.b.value)")
        line("[-0.3, 0.5] scores \(fixed(svm.forward(-0.3, 0.5), 1)), label -1: pull \(SVM.pull(score: svm.score.value, label: -1)); only the springs pull")

        heading("Training the SVM by SGD (step 0.01, GatesRNG seed 0)")
        line("The guide's start already classifies 4 of the 6 points, so iteration 0 reads 0.667, not the 0.333 the guide prints.")
        var rng = GatesRNG(seed: 0)
        let trained = SVM()
        for entry in trained.train(on: GuideData.points, labels: GuideData.labels, iterations: 400, logEvery: 25, rng: &rng) {
            line(entry.text)
        }
        line("final a = \(fixed(trained.a.value, 4)), b = \(fixed(trained.b.value, 4)), c = \(fixed(trained.c.value, 4))")

        heading("How often does that reach 4/6, 5/6, 6/6? (1000 seeds)")
        line(surveyGuideSVM(seeds: 0..<1000).markdownTable)

        heading("The same SVM as hinge loss + L2 (alpha = 1/2): identical updates")
        var orderRNG = GatesRNG(seed: 0)
        let order = randomSampleOrder(count: 6, iterations: 400, rng: &orderRNG)
        let force = SVM(), loss = SVMLoss()
        force.train(on: GuideData.points, labels: GuideData.labels, order: order, logEvery: 0)
        for i in order { loss.learnFrom(GuideData.points[i][0], GuideData.points[i][1], label: GuideData.labels[i]) }
        let gap = zip(force.parameters, loss.parameters).map { abs($0 - $1) }.max() ?? 0
        line("after 400 steps: force [\(force.parameters.map { fixed($0, 6) }.joined(separator: ", "))], loss [\(loss.parameters.map { fixed($0, 6) }.joined(separator: ", "))], largest difference \(scientific(gap))")

        heading("2-layer neural network, 3 ReLU neurons, 2000 iterations (GatesRNG seed s: init, then order)")
        var finalCounts = [Int](repeating: 0, count: 7)
        var firstLog: [AccuracyLogLine] = []
        for seed in UInt64(0)..<100 {
            var netRNG = GatesRNG(seed: seed)
            let net = TwoLayerNet(rng: &netRNG)
            let log = net.train(on: GuideData.points, labels: GuideData.labels, iterations: 2000, logEvery: 250, rng: &netRNG)
            if seed == 0 { firstLog = log }
            finalCounts[Int((net.accuracy(on: GuideData.points, labels: GuideData.labels) * 6).rounded())] += 1
        }
        line("seed 0:")
        for entry in firstLog { line(entry.text) }
        line("over seeds 0..<100, correct points after 2000 iterations: "
             + (0...6).reversed().filter { finalCounts[$0] > 0 }.map { "\($0)/6: \(finalCounts[$0])%" }.joined(separator: ", "))

        heading("Loss function: the cost table (w = [0.1, 0.2, 0.3], alpha = 0.1)")
        let report = svmCost(points: GuideData.costPoints, labels: GuideData.costLabels,
                             weights: GuideData.costWeights, alpha: GuideData.costAlpha)
        for i in report.costs.indices {
            line("example \(i): xi = (\(GuideData.costPoints[i].map { "\($0)" }.joined(separator: ","))) and label = \(GuideData.costLabels[i])")
            line("  score computed to be \(fixed(report.scores[i], 3))")
            line("  => cost computed to be \(fixed(report.costs[i], 3))")
        }
        line("regularization cost for current model is \(fixed(report.regularization, 3))")
        line("total cost is \(fixed(report.total, 3))")
    }
}

/// `x` with exactly `digits` decimals, like JavaScript's `toFixed`.
private func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

private func scientific(_ x: Double) -> String { String(format: "%.1e", x) }

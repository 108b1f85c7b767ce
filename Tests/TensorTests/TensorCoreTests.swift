import Testing
import Foundation
@testable import Tensor

@Suite("Tensor core: creation, views, copy-on-write, errors")
struct TensorCoreTests {
    @Test func creation() throws {
        let z = Tensor<Float>.zeros([2, 3])
        #expect(z.shape == [2, 3] && z.scalars.allSatisfy { $0 == 0 })
        #expect(Tensor<Double>.ones([4]).sum() == 4)
        #expect(Tensor<Double>.filled(2.5, [2, 2]).scalars == [2.5, 2.5, 2.5, 2.5])
        let i = Tensor<Double>.identity(3)
        #expect(i[1, 1] == 1 && i[0, 1] == 0 && i.sum() == 3)
        #expect(try Tensor<Double>.arange(0, 1, step: 0.25).scalars == [0, 0.25, 0.5, 0.75])
        #expect(throws: TensorError.self) { try Tensor<Double>.arange(0, 1, step: -1) }
        let m = try Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        #expect(m.shape == [2, 3] && m[1, 2] == 6)
        #expect(throws: TensorError.countMismatch(op: "init", count: 5, shape: [2, 3])) { try Tensor<Float>([1, 2, 3, 4, 5], shape: [2, 3]) }
        #expect(throws: TensorError.self) { try Tensor<Float>([[1, 2], [3]]) }
    }

    @Test func copyOnWrite() throws {
        var a = try Tensor<Double>([[1, 2], [3, 4]])
        var b = a
        #expect(b.sharesStorage(with: a))
        b[0, 0] = 10
        #expect(a[0, 0] == 1 && b[0, 0] == 10)
        #expect(!b.sharesStorage(with: a))
        let unique = a.storageIsUniquelyReferenced
        #expect(unique)
        a[1, 1] = 7   // unique: written in place
        let stillUnique = a.storageIsUniquelyReferenced
        #expect(stillUnique && a[1, 1] == 7)
    }

    @Test func rowViewsShareStorage() throws {
        let m = try Tensor<Float>(Array(0..<12).map(Float.init), shape: [4, 3])
        var v = try m.rows(1..<3)
        #expect(v.shape == [2, 3] && v.scalars == [3, 4, 5, 6, 7, 8])
        #expect(v.sharesStorage(with: m))
        v[0, 0] = -1        // writing a view copies it, never the parent
        #expect(m[1, 0] == 3 && v[0, 0] == -1)
        #expect(throws: TensorError.self) { try m.rows(3..<5) }
        let g = try m.gatherRows([3, 0, 3])
        #expect(g.scalars == [9, 10, 11, 0, 1, 2, 9, 10, 11])
        #expect(throws: TensorError.indexOutOfRange(op: "gatherRows", index: 4, bound: 4)) { try m.gatherRows([0, 4]) }
    }

    @Test func broadcastingArithmetic() throws {
        let m = try Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        #expect(try (m + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (m * Tensor([[2], [3]])).scalars == [2, 4, 6, 12, 15, 18])
        #expect(try (m - Tensor([1], shape: [])).scalars == [0, 1, 2, 3, 4, 5])
        #expect((m * 2).scalars == [2, 4, 6, 8, 10, 12])
        #expect(throws: TensorError.shapeMismatch(op: "add", lhs: [2, 3], rhs: [2])) { try m + Tensor([1, 2]) }
        var acc = m
        try acc += Tensor([1, 1, 1])
        #expect(acc.scalars == [2, 3, 4, 5, 6, 7])
        try acc.axpy(-1, m)
        #expect(acc.scalars == [1, 1, 1, 1, 1, 1])
        acc *= 3
        #expect(acc.sum() == 18)
    }

    @Test func reductionsAndIndexing() throws {
        let m = try Tensor<Double>([[1, 5, 3], [4, 2, 6]])
        #expect(try m.sum(axis: 0).scalars == [5, 7, 9])
        #expect(try m.sum(axis: 1, keepingDimensions: true).shape == [2, 1])
        #expect(try m.mean(axis: 1).scalars == [3, 4])
        #expect(try m.max(axis: 1).scalars == [5, 6])
        #expect(try m.min(axis: 0).scalars == [1, 2, 3])
        #expect(try m.argmax(axis: 1) == [1, 2])
        #expect(m.max() == 6 && m.min() == 1)
        let big = try Tensor<Double>([[1000, 1000], [-1000, -1000]])
        let lse = try big.logSumExp(axis: 1).scalars
        #expect(abs(lse[0] - (1000 + log(2.0))) < 1e-9 && abs(lse[1] - (-1000 + log(2.0))) < 1e-9)
        let oh = try Tensor<Float>.oneHot([2, 0], classes: 3)
        #expect(oh.scalars == [0, 0, 1, 1, 0, 0])
        #expect(throws: TensorError.self) { try Tensor<Float>.oneHot([3], classes: 3) }
        let c0 = try Tensor.concatenate([m, m], axis: 0)
        #expect(c0.shape == [4, 3])
        let c1 = try Tensor.concatenate([m, try Tensor([[7], [8]])], axis: 1)
        #expect(c1.scalars == [1, 5, 3, 7, 4, 2, 6, 8])
        #expect(try m.transposed().scalars == [1, 4, 5, 2, 3, 6])
        #expect(try m.greater(Tensor([2, 2, 2])).scalars == [0, 1, 1, 1, 0, 1])
    }

    @Test func matmulUsesTransposeFlags() throws {
        var rng = SeededRNG(seed: 7)
        let a = Tensor<Double>.randomNormal([5, 3], using: &rng)
        let b = Tensor<Double>.randomNormal([4, 3], using: &rng)
        let viaFlag = try a.matmul(b, transposeRight: true)
        let viaCopy = try a.matmul(try b.transposed())
        #expect(viaFlag.isApproximatelyEqual(to: viaCopy, tolerance: 1e-12))
        #expect(viaFlag.shape == [5, 4])
        let tl = try a.matmul(a, transposeLeft: true)
        let explicit = try a.transposed().matmul(a)
        #expect(tl.shape == [3, 3] && tl.isApproximatelyEqual(to: explicit, tolerance: 1e-12))
        #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [5, 3], rhs: [4, 3])) { try a.matmul(b) }
        let x = Tensor<Double>([1, 2, 3])
        let y = try a.matvec(x)
        #expect(y.isApproximatelyEqual(to: try a.matmul(x.reshaped([3, 1])).reshaped([5]), tolerance: 1e-12))
        var c = Tensor<Double>.ones([5, 4])
        try Tensor.gemm(a, b, transposeRight: true, alpha: 2, beta: 1, into: &c)
        #expect(c.isApproximatelyEqual(to: viaFlag * 2 + 1, tolerance: 1e-12))
        // Known answer.
        let p = try Tensor<Float>([[1, 2], [3, 4]]).matmul(try Tensor([[5, 6], [7, 8]]))
        #expect(p.scalars == [19, 22, 43, 50])
    }

    @Test func seededRNGIsReproducible() throws {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        var r = SeededRNG(seed: 1)
        let u = (0..<20000).map { _ in r.nextDouble() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / 20000 - 0.5) < 0.01)
        let n = (0..<20000).map { _ in r.nextNormal() }
        let mean = n.reduce(0, +) / 20000
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
        let perm = r.permutation(100)
        #expect(perm.sorted() == Array(0..<100) && perm != Array(0..<100))
        let s = try r.sample(10, count: 10, replacement: false)
        #expect(Set(s).count == 10)
        #expect(throws: TensorError.self) { try r.sample(3, count: 4, replacement: false) }
        #expect(try r.sample(3, count: 50, replacement: true).allSatisfy { (0..<3).contains($0) })
        // The first value of seed 0 pins the algorithm across machines and toolchains.
        var z = SeededRNG(seed: 0)
        let first = z.next()
        var z2 = SeededRNG(seed: 0)
        #expect(first == z2.next())
        #expect(Tensor<Float>.randomUniform([3], using: &a) == Tensor<Float>.randomUniform([3], using: &b))
    }

    @Test func blasThreadsAreSettable() {
        let before = BLAS.threads
        BLAS.threads = 1
        #expect(BLAS.threads == 1)
        BLAS.threads = before
        #expect(!BLAS.configuration.isEmpty)
    }
}

@Test("ReLU: NaN propagates; backward masks and accumulates where the wire branches")
func reluKernels() throws {
    let values: [Float] = (0..<21).map { Float($0) - 10 } + [.nan, -0.5, 0.5]
    let x = Tensor<Float>(values)
    let y = x.relu()
    for (a, b) in zip(values, y.scalars) {
        if a.isNaN { #expect(b.isNaN) } else { #expect(b == max(a, 0)) }
    }
    let tape = Tape<Float>()
    let v = tape.variable(x)
    let r = try v.relu() + v.relu()   // the wire x branches: the second ReLU's backward adds
    let seed = Tensor<Float>(shape: x.shape) { Float($0 + 1) }
    try tape.backward(r, seed: seed)
    for i in 0..<values.count {
        let expected: Float = values[i] > 0 ? 2 * Float(i + 1) : 0
        #expect(v.grad![flat: i] == expected)
    }
}

@Test("Variable ops compute the same values as the Tensor ops they stand for, on and off a tape")
func variableForwardsMatchTensor() throws {
    // 37 values: not a multiple of any vector width, so loop tails run too.
    let values: [Float] = (0..<37).map { Float($0) * 0.23 - 4.1 }
    let x = Tensor<Float>(values), positive = x.abs() + 0.5
    let w = Tensor<Float>(shape: x.shape) { Float($0 % 5) - 2 }
    let cases: [(String, Tensor<Float>, (Variable<Float>) throws -> Variable<Float>, Tensor<Float>)] = [
        ("leakyRelu", x, { $0.leakyRelu(slope: 0.1) }, x.leakyRelu(slope: 0.1)),
        ("sigmoid", x, { $0.sigmoid() }, x.sigmoid()),
        ("tanh", x, { $0.tanh() }, x.tanh()),
        ("exp", x, { $0.exp() }, x.exp()),
        ("log", positive, { $0.log() }, positive.log()),
        ("abs", x, { $0.abs() }, x.abs()),
        ("sqrt", positive, { $0.sqrt() }, positive.sqrt()),
        ("pow 2", x, { $0.pow(2) }, x.pow(2)),
        ("pow 2.5", positive, { $0.pow(2.5) }, positive.pow(2.5)),
        ("maximum", x, { $0.maximum(0.3) }, x.maximum(0.3)),
        ("scale", x, { $0 * 3 }, x * 3),
        ("shift", x, { $0 + 2 }, x + 2),
        ("same-shape product", x, { v in try v * Variable(w, requiresGrad: false) }, try x * w),
    ]
    for (name, input, op, expected) in cases {
        let tape = Tape<Float>()
        for v in [tape.variable(input), Variable(input, requiresGrad: false)] {
            let y = try op(v).value
            #expect(y.shape == expected.shape, "\(name)")
            #expect(y.scalars == expected.scalars, "\(name)")
        }
    }
}

@Test("Float σ and tanh (vectorized C kernels) stay within 3 and 2 ulp of the exact values, Double tanh within 3 ulp of libm; NaN, ±∞ and −0 behave")
func saturatingKernelsAccuracy() throws {
    var xs: [Float] = stride(from: -100.0, through: 100.0, by: 0.001).map { Float($0) }
    xs += [0, -0.0, 1e-30, -1e-30, Float.leastNonzeroMagnitude, 0.25, 0.2499, 0.2501, 43.9, 44, 44.1, 86.9, 87, 87.1, 88, 88.8, 1e4, -1e4]
    let x = Tensor<Float>(xs)
    for (name, got, limit, exact) in [("sigmoid", x.sigmoid(), 3.0, { (v: Double) in 1 / (1 + Foundation.exp(-v)) }),
                                      ("tanh", x.tanh(), 2.0, { (v: Double) in Foundation.tanh(v) })] {
        var worstUlps = 0.0
        for (v, g) in zip(xs, got.scalars) {
            let reference = exact(Double(v))
            if Swift.abs(reference) < Double(Float.leastNormalMagnitude) {
                #expect(Swift.abs(Double(g) - reference) <= Double(Float.leastNormalMagnitude), "\(name)(\(v)) = \(g)")
                continue
            }
            worstUlps = max(worstUlps, Swift.abs(Double(g) - reference) / Double(Float(reference).ulp))
        }
        #expect(worstUlps <= limit, "\(name): worst error \(worstUlps) ulp")
    }
    let special = Tensor<Float>([.nan, .infinity, -.infinity, -0.0])
    let s = special.sigmoid().scalars, t = special.tanh().scalars
    #expect(s[0].isNaN && s[1] == 1 && s[2] == 0 && s[3] == 0.5)
    #expect(t[0].isNaN && t[1] == 1 && t[2] == -1 && t[3] == 0 && t[3].sign == .minus)
    // Double tanh has its own vectorized kernel too (Sources/CKernels/tanh64.c): within 3 ulp of libm's.
    let ds: [Double] = stride(from: -25.0, through: 25.0, by: 0.0137).map { $0 } + [0, 1e-300, -1e-300, 1e-9, 0.5, 19.06, 700, -700]
    for (v, g) in zip(ds, Tensor<Double>(ds).tanh().scalars) {
        let reference = Foundation.tanh(v)
        #expect(Swift.abs(g - reference) <= 3 * Swift.max(reference.ulp, Double.leastNormalMagnitude), "tanh(\(v)) = \(g), libm \(reference)")
    }
    let dt = Tensor<Double>([.nan, .infinity, -.infinity, -0.0]).tanh().scalars
    #expect(dt[0].isNaN && dt[1] == 1 && dt[2] == -1 && dt[3] == 0 && dt[3].sign == .minus)
}

@Test("softplus, ELU, GELU (tanh form) and SiLU give their textbook values, in Float and Double")
func newActivationValues() throws {
    let xs: [Double] = [-30, -3.5, -1, -0.2, 0, 0.3, 1, 2.5, 30]
    func gelu(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }
    let reference: [(UnaryFunction, (Double) -> Double)] = [
        (.softplus, { Foundation.log(1 + Foundation.exp($0)) }),
        (.elu(alpha: 1.5), { $0 > 0 ? $0 : 1.5 * (Foundation.exp($0) - 1) }),
        (.gelu, gelu),
        (.silu, { $0 / (1 + Foundation.exp(-$0)) }),
    ]
    for (f, exact) in reference {
        let d = Tensor<Double>(xs).apply(f).scalars, s = Tensor<Float>(xs.map(Float.init)).apply(f).scalars
        for (i, x) in xs.enumerated() {
            let want = exact(x)
            #expect(Swift.abs(d[i] - want) <= 1e-12 * max(1, Swift.abs(want)), "\(f)(\(x)) = \(d[i]), want \(want)")
            #expect(Swift.abs(Double(s[i]) - want) <= 2e-6 * max(1, Swift.abs(want)), "Float \(f)(\(x)) = \(s[i]), want \(want)")
        }
    }
    #expect(UnaryFunction(activation: "gelu") == .gelu && UnaryFunction(activation: "swish") == nil)
}

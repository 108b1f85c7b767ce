import Testing
@testable import Gates

@Test("GatesRNG: a seed fixes the sequence; uniforms lie in [0, 1) with mean 1/2; indices stay in range")
func gatesRNG() {
    var a = GatesRNG(seed: 123), b = GatesRNG(seed: 123), c = GatesRNG(seed: 124)
    let sa = (0..<100).map { _ in a.next() }, sb = (0..<100).map { _ in b.next() }, sc = (0..<100).map { _ in c.next() }
    #expect(sa == sb && sa != sc)
    var zero = GatesRNG(seed: 0)
    #expect((0..<4).map { _ in zero.next() }.contains { $0 != 0 }, "seed 0 is a valid seed")
    var r = GatesRNG(seed: 9)
    var sum = 0.0
    var counts = [Int](repeating: 0, count: 6)
    for _ in 0..<60_000 {
        let u = r.uniform()
        #expect(u >= 0 && u < 1)
        sum += u
        counts[r.index(below: 6)] += 1
    }
    #expect(abs(sum / 60_000 - 0.5) < 0.01)
    #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "index(below: 6) counts \(counts)")
    let x = r.uniform(-0.5, 0.5)
    #expect(x >= -0.5 && x < 0.5)
}

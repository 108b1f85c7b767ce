/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The standard library's generator is not seedable, and its algorithms for `random(in:using:)` are not
/// promised stable across releases; everything here is our own arithmetic, so the same seed gives the
/// same numbers on every machine and toolchain.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The four 64-bit words of xoshiro256** state; saved in checkpoints to resume a run exactly.
    public var state: (UInt64, UInt64, UInt64, UInt64) {
        get { (s0, s1, s2, s3) }
        set { (s0, s1, s2, s3) = newValue }
    }
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// A second normal deviate left over from the last Box–Muller pair.
    @usableFromInline var spareNormal: Double? = nil

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `[low, high)`.
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * nextDouble() }

    /// A standard normal deviate (Box–Muller; the pair's second value is kept for the next call).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        var u = 0.0
        repeat { u = nextDouble() } while u == 0
        let v = nextDouble()
        let r = (-2 * Double.log(u)).squareRoot()
        let theta = 2 * Double.pi * v
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's multiply-and-reject).
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Shuffles `array` in place (Fisher–Yates).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// A random permutation of `0..<n`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// `k` indices from `0..<n`, with or without replacement.
    public mutating func sample(_ n: Int, count k: Int, replacement: Bool) throws -> [Int] {
        guard n > 0 || k == 0 else { throw TensorError.invalidArgument(op: "sample", reason: "cannot sample from 0 items") }
        if replacement { return (0..<k).map { _ in nextInt(below: n) } }
        guard k <= n else { throw TensorError.invalidArgument(op: "sample", reason: "\(k) without replacement from \(n) items") }
        // Partial Fisher–Yates: only the first k positions are drawn.
        var p = Array(0..<n)
        for i in 0..<k { p.swapAt(i, i + nextInt(below: n - i)) }
        return Array(p[0..<k])
    }

    public static func == (a: SeededRNG, b: SeededRNG) -> Bool {
        a.s0 == b.s0 && a.s1 == b.s1 && a.s2 == b.s2 && a.s3 == b.s3 && a.spareNormal == b.spareNormal
    }
}

import Foundation

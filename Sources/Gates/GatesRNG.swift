/// The scalar engine's own seeded random number generator: xoshiro256** seeded through SplitMix64.
///
/// The standard library's generator is not seedable, and `Gates` depends on no other module, so it
/// carries this small one. Same seed, same sequence, on every machine: the guide's experiments
/// (random search, SGD sample order, initial weights) are reproducible from a seed.
public struct GatesRNG: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        // SplitMix64 spreads any seed (even 0) over the 256-bit state; xoshiro must not start all-zero.
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A uniform number in [0, 1) with 53 random bits, like JavaScript's `Math.random()`.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform number in [`low`, `high`).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// A uniform index in `0..<count`, the guide's `Math.floor(Math.random() * data.length)`.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "index(below:) needs a positive count, got \(count)")
        return Int(uniform() * Double(count))
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }
}

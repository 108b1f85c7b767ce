/// The random stream of one training thread: SplitMix64 (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014). One add, two multiplies and three shifts per 64 bits:
/// the trainer draws several numbers per word (sub-sampling, window, negatives), so the generator has to
/// cost almost nothing, and the same seed gives the same stream on every machine.
struct SplitMix64 {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The stream of thread `thread` of a run seeded with `seed`: the seed and thread index are mixed so
    /// that neighbouring threads do not get overlapping streams.
    init(seed: UInt64, stream: Int) {
        var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: stream) &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0) by a multiply-shift of the top 32 bits: no division in the hot loop.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
    }

    /// A float uniform in [0, 1) with 24 random bits.
    mutating func unitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
}

/// The noise distribution of negative sampling: word `w` is drawn with probability proportional to
/// count(w)^0.75 (Mikolov et al. 2013b, section 2.2), `</s>` never.
///
/// `word2vec.c` samples from a table of 10⁸ word indices (400 MB, a cache miss per draw); this uses
/// Walker's alias method (Vose's construction): one 8-byte entry per word (the vocabulary of a
/// 7-million-word corpus fits in L2), one random number and one or two reads per draw, and the exact
/// distribution rather than its rounding to 10⁸ slots.
struct NoiseDistribution {
    /// Entry i: keep i when the low 32 random bits are below `threshold`, else take `alias`.
    struct Entry { var threshold: UInt32; var alias: Int32 }
    var entries: [Entry]

    init(counts: [Int], power: Double = 0.75) {
        let n = counts.count
        var weights = counts.enumerated().map { $0.offset == 0 ? 0 : pow(Double(max($0.element, 0)), power) }
        if weights.allSatisfy({ $0 == 0 }) { weights = Array(repeating: 1, count: n); weights[0] = n > 1 ? 0 : 1 }
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(n) / total }
        var entries = (0..<n).map { Entry(threshold: UInt32.max, alias: Int32($0)) }
        var small: [Int] = [], large: [Int] = []
        for i in 0..<n { if scaled[i] < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast() {
            guard let l = large.last else { break }
            entries[s] = Entry(threshold: UInt32(min(scaled[s] * 4_294_967_296.0, 4_294_967_295.0)), alias: Int32(l))
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        // What is left has probability 1 up to rounding: it keeps itself (threshold max, alias self).
        self.entries = entries
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

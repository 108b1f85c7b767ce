/// A hash table from words, as byte strings, to their indices 0, 1, 2, … in insertion order.
///
/// The corpus is read as bytes and every token is looked up here, millions of times per pass: keys live
/// in one byte arena and are compared with `memcmp`, so a lookup makes no `String` and allocates nothing.
/// Open addressing with linear probing, at most half full; FNV-1a hashes.
struct WordTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { starts.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The index of the word `p[0..<n]`, or -1.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        find(p, n, hash: Self.hash(p, n))
    }

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int {
        slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                var s = Int(truncatingIfNeeded: h) & mask
                while true {
                    let k = Int(slots[s])
                    if k < 0 { return -1 }
                    if hashes[k] == h && lengths[k] == n && (n == 0 || memcmp(arena.baseAddress! + starts[k], p, n) == 0) { return k }
                    s = (s + 1) & mask
                }
            }
        }
    }

    /// Adds the word (which must not be present) and returns its index.
    @discardableResult
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int {
        let k = starts.count
        starts.append(arena.count)
        lengths.append(n)
        hashes.append(h)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if 2 * (k + 1) > slots.count { grow() } else { place(k) }
        return k
    }

    @discardableResult
    mutating func insert(_ word: String) -> Int {
        var bytes = Array(word.utf8)
        let n = bytes.count
        return bytes.withUnsafeMutableBufferPointer { b in
            // An empty buffer may have no base address: hash and store from a one-byte stand-in.
            var zero: UInt8 = 0
            let p = UnsafePointer(b.baseAddress ?? withUnsafeMutablePointer(to: &zero) { $0 })
            return insert(p, n, hash: Self.hash(p, n))
        }
    }

    func find(_ word: String) -> Int {
        var bytes = Array(word.utf8)
        let n = bytes.count
        return bytes.withUnsafeMutableBufferPointer { b in
            var zero: UInt8 = 0
            let p = UnsafePointer(b.baseAddress ?? withUnsafeMutablePointer(to: &zero) { $0 })
            return find(p, n)
        }
    }

    /// The bytes of word `k`.
    func word(_ k: Int) -> ArraySlice<UInt8> { arena[starts[k]..<(starts[k] + lengths[k])] }

    private mutating func place(_ k: Int) {
        var s = Int(truncatingIfNeeded: hashes[k]) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(k)
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for k in 0..<starts.count { place(k) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The binary Huffman tree over the vocabulary that hierarchical softmax walks (Morin and Bengio 2005;
/// Mikolov et al. 2013b, section 2.1): frequent words get short codes. Built as `word2vec.c` builds it,
/// from counts sorted in descending order, by merging the two lightest nodes with two pointers (no heap).
///
/// Word `w`'s path has `codes[w]` (0 or 1 for each step from the root) and `points[w]` (the inner
/// nodes passed, as rows 0..<count-1 of the output matrix, root first).
struct HuffmanTree {
    /// Flattened paths: word `w` uses `codes[offsets[w]..<offsets[w+1]]` and the same range of `points`.
    var codes: [UInt8]
    var points: [Int32]
    var offsets: [Int]

    /// - Precondition: `counts.count ≥ 2` (the vocabulary always has `</s>` and one word).
    init(counts: [Int]) {
        let n = counts.count
        // Leaves 0..<n carry the counts (in descending order), inner nodes n..<2n-1 are created in order.
        var weight = counts.map { max($0, 0) } + Array(repeating: Int.max, count: n)
        var parent = Array(repeating: 0, count: 2 * n)
        var bit = Array(repeating: UInt8(0), count: 2 * n)
        // `leaf` walks the leaves from the lightest up, `inner` the new nodes in creation order; both
        // sequences are sorted, so the lightest remaining node is at one of the two pointers.
        var leaf = n - 1, inner = n
        func lightest() -> Int {
            if leaf >= 0 && weight[leaf] < weight[inner] { leaf -= 1; return leaf + 1 }
            inner += 1
            return inner - 1
        }
        for k in 0..<(n - 1) {
            let a = lightest(), b = lightest()
            weight[n + k] = weight[a] + weight[b]
            parent[a] = n + k
            parent[b] = n + k
            bit[b] = 1
        }
        let root = 2 * n - 2
        var codes: [UInt8] = [], points: [Int32] = [], offsets = [0]
        var pathCodes: [UInt8] = [], pathPoints: [Int32] = []
        for w in 0..<n {
            pathCodes.removeAll(keepingCapacity: true)
            pathPoints.removeAll(keepingCapacity: true)
            var node = w
            while node != root {
                pathCodes.append(bit[node])
                node = parent[node]
                pathPoints.append(Int32(node - n))
            }
            codes += pathCodes.reversed()
            points += pathPoints.reversed()
            offsets.append(codes.count)
        }
        self.codes = codes
        self.points = points
        self.offsets = offsets
    }
}

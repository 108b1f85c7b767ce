import Foundation

/// Barnes–Hut repulsion over a quadtree (van der Maaten 2014, §4.2): a cell whose width seen from
/// y_i is below θ (width / ‖y_i − centre of mass‖ < θ) acts as one point carrying its count.
/// O(N log N) per iteration; θ = 0.5 as in scikit-learn and openTSNE.
///
/// The tree is rebuilt each iteration by recursive four-way partitioning of an index array, so points
/// end in space-filling order; the traversal visits points in that order (neighbouring points walk
/// nearly the same cells, which keeps them in cache). Coincident points share a leaf and interact
/// exactly (K = 1, no force), so duplicates give neither NaN nor unbounded recursion. A summarised
/// cell that contains y_i itself has y_i's own contribution removed.
public final class BarnesHutRepulsion: RepulsionMethod {
    /// The opening angle θ in [0, 1): 0 is exact (slow), larger is coarser.
    public let theta: Double

    private struct Node {
        var comX = 0.0, comY = 0.0          // centre of mass
        var centreX = 0.0, centreY = 0.0    // cell centre
        var half = 0.0                      // half the cell's side
        var count: Int32 = 0
        var firstChild: Int32 = -1          // four consecutive children, or −1 for a leaf
        var start: Int32 = 0, end: Int32 = 0 // a leaf's points: order[start..<end]
    }

    private var nodes: [Node] = []
    private var order: [Int32] = []
    private static let maximumDepth = 48

    /// - Throws: `TSNEError.invalidArgument` unless 0 ≤ θ < 1.
    public init(theta: Double = 0.5) throws {
        guard theta.isFinite, theta >= 0, theta < 1 else {
            throw TSNEError.invalidArgument(name: "theta", reason: "the Barnes-Hut angle must be in [0, 1), got \(theta)")
        }
        self.theta = theta
    }

    public func repulsion(positions y: UnsafePointer<Double>, count n: Int, forces: UnsafeMutablePointer<Double>, threads: Int) -> Double {
        build(y, n)
        let theta2 = theta * theta
        var partial = [Double](repeating: 0, count: max(1, threads))
        nodes.withUnsafeBufferPointer { np in
            order.withUnsafeBufferPointer { op in
                partial.withUnsafeMutableBufferPointer { part in
                    let tree = np.baseAddress!, ord = op.baseAddress!, sums = part.baseAddress!
                    parallelChunks(n, threads: threads) { chunk, range in
                        let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * Self.maximumDepth + 8)
                        defer { stack.deallocate() }
                        var z = 0.0
                        for position in range {
                            let i = Int(ord[position])
                            let xi = y[2 * i], yi = y[2 * i + 1]
                            var fx = 0.0, fy = 0.0, zi = 0.0
                            var top = 0
                            stack[0] = 0; top = 1
                            while top > 0 {
                                top -= 1
                                let node = tree[Int(stack[top])]
                                if node.count == 0 { continue }
                                if node.firstChild < 0 {
                                    for e in Int(node.start)..<Int(node.end) {
                                        let j = Int(ord[e])
                                        if j == i { continue }
                                        let dx = xi - y[2 * j], dy = yi - y[2 * j + 1]
                                        let k = 1 / (1 + dx * dx + dy * dy)
                                        zi += k; fx += k * k * dx; fy += k * k * dy
                                    }
                                    continue
                                }
                                let dx = xi - node.comX, dy = yi - node.comY
                                let d2 = dx * dx + dy * dy
                                let width = 2 * node.half
                                if width * width < theta2 * d2 {
                                    var count = Double(node.count)
                                    var cx = node.comX, cy = node.comY
                                    if abs(xi - node.centreX) <= node.half && abs(yi - node.centreY) <= node.half {
                                        // y_i is inside: summarise the others only.
                                        count -= 1
                                        if count <= 0 { continue }
                                        cx = (node.comX * (count + 1) - xi) / count
                                        cy = (node.comY * (count + 1) - yi) / count
                                    }
                                    let ex = xi - cx, ey = yi - cy
                                    let k = 1 / (1 + ex * ex + ey * ey)
                                    zi += count * k
                                    let w = count * k * k
                                    fx += w * ex; fy += w * ey
                                } else {
                                    let c = Int32(node.firstChild)
                                    stack[top] = c; stack[top + 1] = c + 1; stack[top + 2] = c + 2; stack[top + 3] = c + 3
                                    top += 4
                                }
                            }
                            forces[2 * i] = fx; forces[2 * i + 1] = fy
                            z += zi
                        }
                        sums[chunk] = z
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// Rebuilds the quadtree over the n points.
    private func build(_ y: UnsafePointer<Double>, _ n: Int) {
        if order.count != n { order = (0..<n).map { Int32($0) } }
        nodes.removeAll(keepingCapacity: true)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i]); maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1]); maxY = max(maxY, y[2 * i + 1])
        }
        let half = max(maxX - minX, maxY - minY) / 2 * (1 + 1e-9) + 1e-12
        nodes.append(Node())
        order.withUnsafeMutableBufferPointer { op in
            buildNode(0, y, op.baseAddress!, 0, n, (minX + maxX) / 2, (minY + maxY) / 2, half, depth: 0)
        }
    }

    private func buildNode(_ index: Int, _ y: UnsafePointer<Double>, _ ord: UnsafeMutablePointer<Int32>,
                           _ lo: Int, _ hi: Int, _ cx: Double, _ cy: Double, _ half: Double, depth: Int) {
        var sx = 0.0, sy = 0.0
        var allSame = true
        let fx = y[2 * Int(ord[lo])], fy = y[2 * Int(ord[lo]) + 1]
        for e in lo..<hi {
            let j = Int(ord[e])
            sx += y[2 * j]; sy += y[2 * j + 1]
            if y[2 * j] != fx || y[2 * j + 1] != fy { allSame = false }
        }
        let count = hi - lo
        var node = Node(comX: sx / Double(count), comY: sy / Double(count), centreX: cx, centreY: cy, half: half,
                        count: Int32(count), firstChild: -1, start: Int32(lo), end: Int32(hi))
        if count <= 1 || allSame || depth >= Self.maximumDepth {
            nodes[index] = node
            return
        }
        // Partition into quadrants (x < cx, then y < cy): order[lo..<a] left, order[a..<hi] right.
        func partition(_ lo: Int, _ hi: Int, _ below: (Int) -> Bool) -> Int {
            var a = lo, b = hi - 1
            while a <= b {
                if below(Int(ord[a])) { a += 1 } else { ord.swapAt(a, b); b -= 1 }
            }
            return a
        }
        let mid = partition(lo, hi) { y[2 * $0] < cx }
        let q1 = partition(lo, mid) { y[2 * $0 + 1] < cy }
        let q3 = partition(mid, hi) { y[2 * $0 + 1] < cy }
        let first = nodes.count
        node.firstChild = Int32(first)
        nodes[index] = node
        for _ in 0..<4 { nodes.append(Node()) }
        let h = half / 2
        if q1 > lo { buildNode(first, y, ord, lo, q1, cx - h, cy - h, h, depth: depth + 1) }
        if mid > q1 { buildNode(first + 1, y, ord, q1, mid, cx - h, cy + h, h, depth: depth + 1) }
        if q3 > mid { buildNode(first + 2, y, ord, mid, q3, cx + h, cy - h, h, depth: depth + 1) }
        if hi > q3 { buildNode(first + 3, y, ord, q3, hi, cx + h, cy + h, h, depth: depth + 1) }
    }
}

extension UnsafeMutablePointer {
    @inline(__always) fileprivate func swapAt(_ a: Int, _ b: Int) {
        let t = self[a]; self[a] = self[b]; self[b] = t
    }
}

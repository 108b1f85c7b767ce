/// The vector arithmetic of the training loop in portable Swift: dot products and y += a·x over rows of
/// `stride` floats (a multiple of 16, zero-padded past the vector size, so there is no tail).
///
/// Eight lanes at a time with two accumulators: the reduction order is fixed, so results are the same on
/// every run. These are the reference kernels; `FastKernels` are used where the CPU allows.
enum VectorKernels {
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i < n {
            s0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
        return (s0 + s1).sum()
    }

    /// y += a·x
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD8<Float>(repeating: a)
        var i = 0
        while i < n {
            let y0 = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + va * rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let y1 = ry.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self) + va * rx.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            ry.storeBytes(of: y0, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: y1, toByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
    }

    @inline(__always)
    static func zero(_ y: UnsafeMutablePointer<Float>, _ n: Int) { y.update(repeating: 0, count: n) }

    /// One output layer's update for one input vector (Mikolov et al. 2013b): for each target row t with
    /// label ℓ, f = input·t, g = (ℓ − σ(f))·alpha, neu1e += g·t, t += g·input — in order, so a row drawn
    /// twice sees its first update. Negative sampling clips σ to 0 or 1 past |f| > 6; hierarchical softmax
    /// (`skipOutside`) skips those targets, as `word2vec.c` does.
    @inline(__always)
    static func update(input: UnsafePointer<Float>, neu1e: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>,
                       targets: UnsafePointer<Int32>, labels: UnsafePointer<Float>, count: Int, alpha: Float,
                       stride: Int, sigmoid: UnsafePointer<Float>, skipOutside: Bool) {
        for d in 0..<count {
            let row = rows + Int(targets[d]) * stride
            let f = dot(input, row, stride)
            let label = labels[d]
            var g: Float
            if f > SigmoidTable.maxExp {
                if skipOutside { continue }
                g = (label - 1) * alpha
            } else if f < -SigmoidTable.maxExp {
                if skipOutside { continue }
                g = label * alpha
            } else {
                g = (label - sigmoid[Int((f + SigmoidTable.maxExp) * SigmoidTable.scale)]) * alpha
            }
            axpy(g, row, neu1e, stride)
            axpy(g, input, row, stride)
        }
    }
}

/// σ(x) tabulated as `word2vec.c` does: 1000 steps over [−6, 6], read at ⌊(x + 6)·1000/12⌋.
enum SigmoidTable {
    static let size = 1000
    static let maxExp: Float = 6
    static let scale = Float(size) / maxExp / 2

    static func make() -> [Float] {
        (0...size).map { i in   // one extra entry: x = 6 exactly lands on index 1000
            let e = exp((Double(i) / Double(size) * 2 - 1) * Double(maxExp))
            return Float(e / (e + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(Tensor)
import Tensor
#endif

/// Small synthetic data sets for examples, tests and the guide's worked problems.
///
/// Each generator is deterministic in its `seed` (through `SeededRNG`), so the same call gives the same
/// points on every machine. Examples come grouped by class; shuffle or split them before training.
public enum ToyDatasets {
    /// The six labelled points of the guide's chapter 2 (the binary SVM example):
    /// `[1.2, 0.7] → +1`, `[-0.3, -0.5] → −1`, `[3.0, 0.1] → +1`, `[-0.1, -1.0] → −1`,
    /// `[-1.0, 1.1] → −1`, `[2.1, -3] → +1`.
    ///
    /// Classes are `["-1", "1"]` (index 0 is −1), and `targets` holds the ±1 labels the guide's SVM uses.
    public static func guideSixPoints() -> Dataset {
        let points: [(Float, Float, Float)] = [(1.2, 0.7, 1), (-0.3, -0.5, -1), (3.0, 0.1, 1),
                                               (-0.1, -1.0, -1), (-1.0, 1.1, -1), (2.1, -3, 1)]
        let features = try! Tensor<Float>(points.flatMap { [$0.0, $0.1] }, shape: [6, 2])
        return Dataset(unchecked: features, labels: points.map { $0.2 > 0 ? 1 : 0 },
                       classNames: ["-1", "1"], targets: points.map { $0.2 })
    }

    /// XOR: points around the four corners (±1, ±1) with Gaussian noise of standard deviation `noise`;
    /// class 1 where the two coordinates' signs differ. Corners are taken in turn.
    public static func xor(count: Int = 200, noise: Double = 0.2, seed: UInt64 = 0) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let corners: [(Double, Double)] = [(1, 1), (-1, -1), (1, -1), (-1, 1)]
        return generate(count: count, classNames: ["0", "1"]) { i in
            let (cx, cy) = corners[i % 4]
            return ([cx + noise * rng.nextNormal(), cy + noise * rng.nextNormal()], cx * cy < 0 ? 1 : 0)
        }
    }

    /// Two interleaving half circles: class 0 on the upper arc of the unit circle, class 1 on a lower
    /// arc shifted to (1, 0.5), plus Gaussian noise. Half of the points (rounded up) are class 0.
    public static func twoMoons(count: Int = 200, noise: Double = 0.1, seed: UInt64 = 0) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let upper = (count + 1) / 2
        return generate(count: count, classNames: ["0", "1"]) { i in
            let t = Double.pi * rng.nextDouble()
            let (x, y, label) = i < upper ? (cos(t), sin(t), 0) : (1 - cos(t), 0.5 - sin(t), 1)
            return ([x + noise * rng.nextNormal(), y + noise * rng.nextNormal()], label)
        }
    }

    /// Two concentric circles: class 0 on radius 1, class 1 on radius `factor`, plus Gaussian noise.
    public static func circles(count: Int = 200, noise: Double = 0.05, factor: Double = 0.5, seed: UInt64 = 0) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let outer = (count + 1) / 2
        return generate(count: count, classNames: ["0", "1"]) { i in
            let t = 2 * Double.pi * rng.nextDouble()
            let r = i < outer ? 1 : factor
            return ([r * cos(t) + noise * rng.nextNormal(), r * sin(t) + noise * rng.nextNormal()], i < outer ? 0 : 1)
        }
    }

    /// `classes` interleaved spiral arms (the cs231n spiral), `pointsPerClass` each: arm k runs its radius
    /// from 0 to 1 while its angle turns through 4 radians, starting at 4k, with angle noise `noise`.
    /// Not linearly separable for three or more arms: the classic test that a hidden layer is needed.
    public static func spirals(pointsPerClass: Int = 100, classes: Int = 3, noise: Double = 0.2, seed: UInt64 = 0) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let n = max(pointsPerClass, 0)
        return generate(count: n * max(classes, 0), classNames: (0..<max(classes, 0)).map(String.init)) { i in
            let k = i / n, j = i % n
            let fraction = n > 1 ? Double(j) / Double(n - 1) : 0
            let t = 4 * (Double(k) + fraction) + noise * rng.nextNormal()
            return ([fraction * sin(t), fraction * cos(t)], k)
        }
    }

    /// Gaussian blobs: `centers` centres drawn uniformly in [-box, box]^dimension, then points around
    /// them with standard deviation `spread`, assigned to the centres in turn.
    public static func blobs(count: Int = 300, centers: Int = 3, dimension: Int = 2, spread: Double = 1,
                             box: Double = 10, seed: UInt64 = 0) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let k = max(centers, 1), d = max(dimension, 1)
        let means = (0..<k).map { _ in (0..<d).map { _ in rng.uniform(-box, box) } }
        return generate(count: count, dimension: d, classNames: (0..<k).map(String.init)) { i in
            let c = i % k
            return (means[c].map { $0 + spread * rng.nextNormal() }, c)
        }
    }

    /// `classes` Gaussian clusters in `features` dimensions — centers N(0, 2²) per coordinate, points at
    /// unit spread, example i in class i mod classes — drawn in Double from `seed`: reproducible data of
    /// any size for the data-parallel tests and measurements (`--data synthetic:N:D:K`).
    public static func clusters(count: Int, features: Int, classes: Int, seed: UInt64) -> Dataset {
        var rng = SeededRNG(seed: seed)
        let k = max(classes, 1), d = max(features, 1)
        let centers = (0..<(k * d)).map { _ in 2 * rng.nextNormal() }
        return generate(count: count, dimension: d, classNames: (0..<k).map(String.init)) { i in
            let c = i % k
            return ((0..<d).map { j in centers[c * d + j] + rng.nextNormal() }, c)
        }
    }

    /// Builds a data set from a point generator called for i = 0..<count, in order.
    private static func generate(count: Int, dimension: Int = 2, classNames: [String],
                                 _ point: (Int) -> ([Double], Int)) -> Dataset {
        let n = max(count, 0)
        var features = Tensor<Float>(zeros: [n, dimension])
        var labels = [Int](repeating: 0, count: n)
        features.withUnsafeMutableBufferPointer { x in
            for i in 0..<n {
                let (p, label) = point(i)
                for j in 0..<dimension { x[i * dimension + j] = Float(p[j]) }
                labels[i] = label
            }
        }
        return Dataset(unchecked: features, labels: labels, classNames: classNames)
    }
}

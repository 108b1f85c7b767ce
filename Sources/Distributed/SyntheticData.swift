import Layers

/// Reproducible synthetic classification data for the equivalence and fault tests: `classes` Gaussian
/// clusters in `features` dimensions, drawn from `seed` in Double and then rounded to `Scalar`, so the
/// test process and every rank of `circuits-mpi` build exactly the same examples.
package enum SyntheticData {
    package static func classification<Scalar: BLASScalar>(count: Int, features: Int, classes: Int, seed: UInt64,
                                                             as _: Scalar.Type = Scalar.self) throws -> TrainingData<Scalar> {
        var rng = SeededRNG(seed: seed)
        let centers = (0..<(classes * features)).map { _ in 2 * rng.nextNormal() }
        var labels: [Int] = []
        var x: [Scalar] = []
        x.reserveCapacity(count * features)
        for i in 0..<count {
            let k = i % classes
            labels.append(k)
            for j in 0..<features { x.append(Scalar(centers[k * features + j] + rng.nextNormal())) }
        }
        return try TrainingData(features: Tensor(x, shape: [count, features]), labels: labels, classes: classes)
    }
}

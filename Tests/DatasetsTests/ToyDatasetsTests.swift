import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("Toy data sets")
struct ToyDatasetsTests {
    @Test("The guide's six points of chapter 2, with ±1 labels")
    func guideSixPoints() {
        let set = ToyDatasets.guideSixPoints()
        #expect(set.features.scalars == [1.2, 0.7, -0.3, -0.5, 3.0, 0.1, -0.1, -1.0, -1.0, 1.1, 2.1, -3])
        #expect(set.targets == [1, -1, 1, -1, -1, 1])
        #expect(set.labels == [1, 0, 1, 0, 0, 1])
        #expect(set.classNames == ["-1", "1"])
    }

    @Test("Generators are reproducible from a seed and differ across seeds")
    func reproducible() {
        let makers: [(UInt64) -> Dataset] = [
            { ToyDatasets.xor(count: 40, seed: $0) },
            { ToyDatasets.twoMoons(count: 41, seed: $0) },
            { ToyDatasets.circles(count: 40, seed: $0) },
            { ToyDatasets.spirals(pointsPerClass: 10, classes: 4, seed: $0) },
            { ToyDatasets.blobs(count: 30, centers: 3, dimension: 5, seed: $0) },
        ]
        for make in makers {
            let a = make(7), b = make(7), c = make(8)
            #expect(a.features == b.features && a.labels == b.labels)
            #expect(a.features != c.features)
            #expect(a.labels.allSatisfy { (0..<a.classCount).contains($0) })
        }
    }

    @Test("Shapes and class balance")
    func shapes() {
        let spirals = ToyDatasets.spirals(pointsPerClass: 100, classes: 3)
        #expect(spirals.features.shape == [300, 2])
        #expect(spirals.classCounts == [100, 100, 100])
        let moons = ToyDatasets.twoMoons(count: 201)
        #expect(moons.classCounts == [101, 100])
        let blobs = ToyDatasets.blobs(count: 30, centers: 3, dimension: 4)
        #expect(blobs.features.shape == [30, 4] && blobs.classCounts == [10, 10, 10])
        // XOR labels follow the corner signs when noise is zero.
        let xor = ToyDatasets.xor(count: 8, noise: 0)
        for i in 0..<8 { #expect((xor.features[i, 0] * xor.features[i, 1] < 0) == (xor.labels[i] == 1)) }
        // Circles: class 1 lies on the inner radius.
        let circles = ToyDatasets.circles(count: 10, noise: 0, factor: 0.5)
        for i in 0..<10 {
            let r = (circles.features[i, 0] * circles.features[i, 0] + circles.features[i, 1] * circles.features[i, 1]).squareRoot()
            #expect(abs(r - (circles.labels[i] == 1 ? 0.5 : 1)) < 1e-5)
        }
    }
}

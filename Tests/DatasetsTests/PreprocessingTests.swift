import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("Preprocessing")
struct PreprocessingTests {
    /// Correlated columns with different scales and a constant column.
    func sample(_ n: Int, seed: UInt64) -> Tensor<Float> {
        var rng = SeededRNG(seed: seed)
        return matrix(rows: n) { _ in
            let a = rng.nextNormal(), b = rng.nextNormal()
            return [Float(3 + 2 * a), Float(-1 + 0.5 * a + 0.1 * b), 7, Float(100 * b)]
        }
    }

    func columnStats(_ x: Tensor<Float>) -> (mean: [Double], std: [Double]) { let m = columnMoments(x); return (m.mean, m.std) }

    @Test("Standardized training columns have mean ≈ 0 and std ≈ 1; constant columns are only centred")
    func standardizer() throws {
        let train = sample(500, seed: 1)
        let s = try Standardizer(fitting: train)
        let z = try s.transform(train)
        let (mean, std) = columnStats(z)
        for j in [0, 1, 3] {
            #expect(abs(mean[j]) < 1e-5)
            #expect(abs(std[j] - 1) < 1e-4)
        }
        #expect(s.scale[2] == 1)
        #expect(z.withUnsafeBufferPointer { p in (0..<500).allSatisfy { p[$0 * 4 + 2] == 0 } })
        let back = try s.inverseTransform(z)
        back.withUnsafeBufferPointer { b in train.withUnsafeBufferPointer { a in
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) })
        } }
    }

    @Test("Fitted on the training split only: test rows are transformed with the training statistics")
    func fittedOnTrainOnly() throws {
        let data = try Dataset(features: sample(400, seed: 2), labels: [Int](repeating: 0, count: 400), classNames: ["a"])
        let (train, _, test) = try data.split(validation: 0, test: 0.25, seed: 3)
        let s = try Standardizer(fitting: train.features)
        let trainMean = columnStats(train.features).mean
        #expect(zip(s.mean, trainMean).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        let zTest = try test.transformed(by: s)
        let testMean = columnStats(test.features).mean
        // The test set's own mean, expressed in training units — not zero.
        #expect(abs(columnStats(zTest.features).mean[0] - (testMean[0] - trainMean[0]) / Double(s.scale[0])) < 1e-4)
        #expect(expectDataError { _ = try s.transform(Tensor<Float>(zeros: [2, 3])) } != nil)
    }

    @Test("Min–max scaling maps the training range to [0, 1] and back")
    func minMax() throws {
        let train = sample(200, seed: 4)
        let m = try MinMaxScaler(fitting: train)
        let y = try m.transform(train)
        for j in [0, 1, 3] {
            let column = (0..<200).map { y[$0, j] }
            #expect(abs(column.min()! - 0) < 1e-6 && abs(column.max()! - 1) < 1e-6)
        }
        let back = try m.inverseTransform(y)
        #expect((0..<200).allSatisfy { abs(back[$0, 3] - train[$0, 3]) < 1e-3 })
    }

    @Test("PCA whitening: outputs uncorrelated with unit variance; full-rank inverse reconstructs")
    func pca() throws {
        var rng = SeededRNG(seed: 5)
        let n = 2000
        let x = matrix(rows: n) { _ in
            let a = rng.nextNormal(), b = rng.nextNormal(), c = rng.nextNormal()
            return [Float(1 + 3 * a), Float(2 * a + b), Float(-5 + 0.5 * c + 0.2 * b)]
        }
        let p = try PCAWhitener(fitting: x, components: 3, epsilon: 0)
        #expect(p.variances[0] >= p.variances[1] && p.variances[1] >= p.variances[2])
        let z = try p.transform(x)
        // Sample covariance of z ≈ identity (n − 1 normalisation as in the fit).
        for i in 0..<3 { for j in 0..<3 {
            var s = 0.0
            for r in 0..<n { s += Double(z[r, i]) * Double(z[r, j]) }
            s /= Double(n - 1)
            #expect(abs(s - (i == j ? 1 : 0)) < 1e-3, "cov[\(i),\(j)] = \(s)")
        } }
        let back = try p.inverseTransform(z)
        #expect((0..<n).allSatisfy { r in (0..<3).allSatisfy { abs(back[r, $0] - x[r, $0]) < 1e-3 } })
        let reduced = try PCAWhitener(fitting: x, components: 1)
        #expect(try reduced.transform(x).shape == [n, 1])
        #expect(expectDataError { _ = try PCAWhitener(fitting: x, components: 4) } != nil)
    }

    @Test("Fitted transforms survive a JSON round trip and transform identically")
    func codable() throws {
        let x = sample(100, seed: 6)
        for kind in Preprocessor.Kind.allCases {
            let fitted = try Preprocessor.fit(kind, on: x, pcaComponents: 2)
            let json = try JSONEncoder().encode(fitted)
            let restored = try JSONDecoder().decode(Preprocessor.self, from: json)
            #expect(restored == fitted)
            #expect(try restored.transform(x) == fitted.transform(x))
        }
        let json = try JSONEncoder().encode(Preprocessor.standardize(Standardizer(mean: [1, 2], scale: [3, 4])))
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect(object?["kind"] as? String == "standardize")
        #expect((object?["parameters"] as? [String: Any])?["scale"] as? [Double] == [3, 4])
    }

    @Test("Decoding inconsistent parameters throws instead of crashing later in transform")
    func decodingValidates() throws {
        let bad = [
            #"{"kind":"standardize","parameters":{"mean":[1,2],"scale":[1]}}"#,
            #"{"kind":"standardize","parameters":{"mean":[1],"scale":[0]}}"#,
            #"{"kind":"minmax","parameters":{"minimum":[0],"range":[-1]}}"#,
            #"{"kind":"pca","parameters":{"components":2,"epsilon":0,"mean":[0,0],"variances":[1,1],"directions":[1,0,0]}}"#,
            #"{"kind":"pca","parameters":{"components":3,"epsilon":0,"mean":[0,0],"variances":[1,1,1],"directions":[1,0,0,1,0,0]}}"#,
            #"{"kind":"none","parameters":{"dimension":-1}}"#,
        ]
        for text in bad {
            #expect(throws: (any Error).self) { _ = try JSONDecoder().decode(Preprocessor.self, from: Data(text.utf8)) }
        }
    }
}

/// A matrix whose row i is `row(i)`.
func matrix(rows n: Int, _ row: (Int) -> [Float]) -> Tensor<Float> {
    try! Tensor<Float>((0..<n).map(row))
}

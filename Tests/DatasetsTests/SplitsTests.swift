import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("Splits and folds")
struct SplitsTests {
    /// 60 / 30 / 10 examples of three classes, interleaved.
    let labels: [Int] = (0..<100).map { $0 % 10 < 6 ? 0 : ($0 % 10 < 9 ? 1 : 2) }

    @Test("Stratified split keeps class proportions in every part and uses each index once")
    func stratified() throws {
        let s = try Splits.trainValidationTest(labels: labels, validation: 0.2, test: 0.1, seed: 1)
        #expect(Set(s.train + s.validation + s.test) == Set(0..<100))
        #expect(s.train.count + s.validation.count + s.test.count == 100)
        func counts(_ part: [Int]) -> [Int] { (0..<3).map { c in part.filter { labels[$0] == c }.count } }
        #expect(counts(s.validation) == [12, 6, 2])
        #expect(counts(s.test) == [6, 3, 1])
        #expect(counts(s.train) == [42, 21, 7])
        #expect(try Splits.trainValidationTest(labels: labels, validation: 0.2, test: 0.1, seed: 1) == s)
        #expect(try Splits.trainValidationTest(labels: labels, validation: 0.2, test: 0.1, seed: 2) != s)
        #expect(expectDataError { _ = try Splits.trainValidationTest(labels: labels, validation: 0.6, test: 0.4, seed: 1) } != nil)
    }

    @Test("k-fold: validation parts are disjoint and cover every index exactly once; stratified folds balanced")
    func kFold() throws {
        for stratify in [false, true] {
            let folds = try Splits.kFold(count: 100, k: 5, labels: stratify ? labels : nil, seed: 3)
            #expect(folds.count == 5)
            let all = folds.flatMap(\.validation)
            #expect(all.count == 100 && Set(all) == Set(0..<100))
            for fold in folds {
                #expect(Set(fold.train).isDisjoint(with: fold.validation))
                #expect(fold.train.count + fold.validation.count == 100)
                if stratify {
                    #expect(fold.validation.filter { labels[$0] == 0 }.count == 12)
                    #expect(fold.validation.filter { labels[$0] == 2 }.count == 2)
                }
            }
        }
        #expect(expectDataError { _ = try Splits.kFold(count: 3, k: 4, seed: 0) } != nil)
    }

    @Test("Subset gathers rows, labels and targets together; shuffles are seeded")
    func subset() throws {
        let set = ToyDatasets.guideSixPoints()
        let sub = try set.subset([5, 0, 5])
        #expect(sub.features.scalars == [2.1, -3, 1.2, 0.7, 2.1, -3])
        #expect(sub.labels == [1, 1, 1] && sub.targets == [1, 1, 1])
        #expect(sub.classNames == set.classNames)
        #expect(errorMessage { _ = try set.subset([6]) } == "Dataset.subset: index 6 is out of range 0..<6")
        #expect(set.shuffled(seed: 9).features == set.shuffled(seed: 9).features)
        let (train, validation, test) = try ToyDatasets.spirals(pointsPerClass: 20).split(validation: 0.25, test: 0.25, seed: 4)
        #expect(train.count == 30 && validation.count == 15 && test.count == 15)
        #expect(validation.classCounts == [5, 5, 5])
    }
}

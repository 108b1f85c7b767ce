import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("LIBSVM reader")
struct LIBSVMReaderTests {
    func read(_ text: String, dimension: Int? = nil) throws -> Dataset {
        try LIBSVMReader(options: LIBSVMOptions(dimension: dimension)).read(data: Data(text.utf8), name: "s.svm")
    }

    @Test("Sparse rows in any order, qid ignored, comments and blank lines skipped")
    func reads() throws {
        let set = try read("# header comment\n+1 3:0.5 1:2 # tail\n\n-1 qid:7 2:-1.5\n1\n")
        #expect(set.features.shape == [3, 3])
        #expect(set.features.scalars == [2, 0, 0.5, 0, -1.5, 0, 0, 0, 0])
        #expect(set.classNames == ["-1", "1"])
        #expect(set.labels == [1, 0, 1])
        #expect(set.targets == [1, -1, 1])
    }

    @Test("Dimension given: a wider matrix, and larger indices are errors naming the line")
    func dimension() throws {
        let set = try read("1 1:1\n0 2:1\n", dimension: 5)
        #expect(set.features.shape == [2, 5])
        #expect(errorMessage { _ = try read("1 1:1\n0 6:1\n", dimension: 5) } == "s.svm:2:3: expected a feature index in 1...5, found 6")
    }

    @Test("Bad indices and values are errors naming line and column")
    func errors() throws {
        #expect(errorMessage { _ = try read("1 1:1\n1 0:2\n") } == "s.svm:2:3: expected a feature index ≥ 1 (indices are 1-based), found \"0\"")
        #expect(errorMessage { _ = try read("1 -2:2\n") } == "s.svm:1:3: expected a feature index ≥ 1 (indices are 1-based), found \"-2\"")
        #expect(errorMessage { _ = try read("1 1:1\n\n1 3:1 2:2 3:4\n") } == "s.svm:3: expected each feature index at most once per line, found index 3 repeated")
        #expect(errorMessage { _ = try read("1 1:x\n") } == "s.svm:1:5: expected a number after \"1:\", found \"x\"")
        #expect(errorMessage { _ = try read("yes 1:1\n") } == "s.svm:1:1: expected a numeric label, found \"yes\"")
        #expect(errorMessage { _ = try read("1 7\n") } == "s.svm:1:3: expected index:value, found \"7\"")
        #expect(expectDataError { _ = try read("1,2 1:1\n") } != nil)
    }

    @Test("A huge index cannot make the reader allocate a huge matrix")
    func sizeLimit() throws {
        let message = errorMessage { _ = try LIBSVMReader(options: LIBSVMOptions(maximumScalars: 1000)).read(data: Data("1 999999999:1\n".utf8), name: "h") }
        #expect(message == "h: a dense 1 × 999999999 matrix needs 999999999 values, above the limit of 1000")
    }
}

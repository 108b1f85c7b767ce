import Foundation
import Testing
@testable import Datasets

@Suite("Error messages")
struct DataErrorTests {
    @Test("Each case names the file, the place, and what was expected")
    func descriptions() {
        #expect(DataError.malformed(file: "train.csv", line: 1042, column: 7, offset: nil, expected: "a number", found: "\"N/A\"").description
                == "train.csv:1042:7: expected a number, found \"N/A\"")
        #expect(DataError.malformed(file: "a.idx", line: nil, column: nil, offset: 2, expected: "a type code", found: "0x07").description
                == "a.idx, byte 2: expected a type code, found 0x07")
        #expect(DataError.malformed(file: "s.svm", line: 3, column: nil, offset: nil, expected: "x", found: "y").description == "s.svm:3: expected x, found y")
        #expect(DataError.fileNotFound("/nope").description == "/nope: no such file or directory")
        #expect(DataError.unsupported(file: "o.npy", reason: "object array").description == "o.npy: unsupported: object array")
        #expect(DataError.shapeMismatch(file: "l", expected: "3 labels", found: "2").description == "l: expected 3 labels, found 2")
        #expect(DataError.tooLarge(file: "h", what: "a matrix", requested: 10, limit: 5).description == "h: a matrix needs 10 values, above the limit of 5")
    }

    @Test("Quoted input is cut to a readable length with control characters escaped")
    func quoting() {
        #expect(quoted("a\tb\n\"c\"") == "\"a\\tb\\n\\\"c\\\"\"")
        #expect(quoted(String(repeating: "x", count: 50), limit: 4) == "\"xxxx…\"")
    }

    @Test("LIBSVM and CSV files read through gzip, and directories are not files")
    func gzipText() throws {
        let dir = try TempDir()
        let svm = try LIBSVMReader().read(path: dir.write("a.svm.gz", gzipCompress(Data("1 2:3\n0 1:1\n".utf8))))
        #expect(svm.features.scalars == [0, 3, 1, 0])
        #expect(errorMessage { _ = try CSVReader().read(path: dir.path) } == "\(dir.path): read failed: is a directory, not a file")
        // Garbage after a gzip magic number is a zlib error, reported with the file name.
        let bad = try dir.write("bad.csv.gz", Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(errorMessage { _ = try CSVReader().read(path: bad) }.hasPrefix(bad))
        #expect(errorMessage { _ = try CSVReader().read(data: Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF]), name: "m.gz") }.hasPrefix("m.gz, byte 0: expected"))
    }
}

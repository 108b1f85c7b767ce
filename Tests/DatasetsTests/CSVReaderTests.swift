import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("CSV reader")
struct CSVReaderTests {
    func read(_ text: String, _ options: CSVOptions = CSVOptions(), name: String = "t.csv") throws -> Dataset {
        try CSVReader(options: options).read(data: Data(text.utf8), name: name)
    }

    @Test("Header detected, label in the last column, string classes sorted")
    func headerAndStringLabels() throws {
        let set = try read("sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n4.9,1.4,setosa\n")
        #expect(set.features.shape == [4, 2])
        #expect(set.features.scalars == [5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4])
        #expect(set.featureNames == ["sepal", "petal"])
        #expect(set.classNames == ["setosa", "versicolor", "virginica"])
        #expect(set.labels == [0, 1, 2, 0])
        #expect(set.targets == nil)
    }

    @Test("Numeric labels: classes sorted by value, targets kept, no header detected")
    func numericLabels() throws {
        let set = try read("1,2,+1\n3,4,-1\n5,6,1\n7,8,0.5\n")
        #expect(set.featureNames == nil)
        #expect(set.classNames == ["-1", "0.5", "1"])
        #expect(set.labels == [2, 0, 2, 1])
        #expect(set.targets == [1, -1, 1, 0.5])
    }

    @Test("Delimiters: semicolon and tab detected, or declared")
    func delimiters() throws {
        let semi = try read("a;b;y\n1;2;0\n3;4;1\n")
        #expect(semi.features.scalars == [1, 2, 3, 4])
        let tab = try read("a\tb\ty\n1\t2\t0\n3\t4\t1\n")
        #expect(tab.features.scalars == [1, 2, 3, 4])
        let declared = try read("1;2;0\n", CSVOptions(header: .absent, delimiter: .semicolon, label: .index(0)))
        #expect(declared.classNames == ["1"] && declared.features.scalars == [2, 0])
        // Declared as comma, the line is one column: no feature besides the label.
        #expect(expectDataError { _ = try read("1;2;0\n", CSVOptions(header: .absent, delimiter: .comma)) } != nil)
    }

    @Test("RFC 4180 quotes: delimiters, doubled quotes and newlines inside quoted fields")
    func quoting() throws {
        let text = "x,\"y\",label\n1,\"2\",\"a, \"\"quoted\"\"\nlabel\"\r\n3,4,plain\n"
        let set = try read(text)
        #expect(set.features.scalars == [1, 2, 3, 4])
        #expect(set.classNames == ["a, \"quoted\"\nlabel", "plain"])
        // A quote opened and never closed is reported at the line where it opened.
        #expect(errorMessage { _ = try read("a,b\n1,2\n3,\"4\n5,6\n") }
                == "t.csv:3:2: expected a closing quote for the field opened here, found the end of the file")
        #expect(errorMessage { _ = try read("a,b\n1,2\n3,4\"x\n") }.hasPrefix("t.csv:3:2: expected a quote only at the start of a field"))
        #expect(errorMessage { _ = try read("a,b\n1,2\n\"3\"x,4\n") }.hasPrefix("t.csv:3:1: expected a delimiter or the end of the line after a closing quote"))
    }

    @Test("Label column by name or index")
    func labelColumn() throws {
        let text = "label,f1,f2\ncat,1,2\ndog,3,4\n"
        let byName = try read(text, CSVOptions(label: .name("label")))
        #expect(byName.features.scalars == [1, 2, 3, 4])
        #expect(byName.classNames == ["cat", "dog"])
        let byIndex = try read(text, CSVOptions(label: .index(0)))
        #expect(byIndex.labels == [0, 1])
        #expect(errorMessage { _ = try read(text, CSVOptions(label: .name("kind"))) }.contains("no column named \"kind\""))
        #expect(expectDataError { _ = try read(text, CSVOptions(label: .index(3))) } != nil)
        let unlabelled = try read("1,2\n3,4\n", CSVOptions(label: .none))
        #expect(unlabelled.features.shape == [2, 2] && unlabelled.labels.isEmpty)
    }

    @Test("Missing and non-numeric values name file, line and column")
    func missingValueErrors() throws {
        let text = "a,b,c,y\n1,2,3,0\n4,N/A,6,1\n7,8,,1\n"
        #expect(errorMessage { _ = try read(text, name: "train.csv") }
                == "train.csv:3:2: expected a number (column \"b\"), found \"N/A\"")
        #expect(errorMessage { _ = try read("1,2,0\n3,,1\n", name: "n.csv") }
                == "n.csv:2:2: expected a number, found an empty field")
        #expect(errorMessage { _ = try read("a,b,y\n1,2,0\n\n1,2\n") }
                == "t.csv:4: expected 3 fields like the header, found 2 fields")
        #expect(errorMessage { _ = try read("a,b,y\n1,2,\n") } == "t.csv:2:3: expected a label, found an empty field")
        #expect(errorMessage { _ = try read("") } == "t.csv:1: expected a header or a data row, found an empty file")
    }

    @Test("Drop or impute rows with missing values when asked")
    func dropAndImpute() throws {
        let text = "a,b,y\n1,2,x\n,4,y\n5,N/A,x\n7,8,\n9,10,y\n"
        let dropped = try read(text, CSVOptions(missing: .dropRows))
        #expect(dropped.features.scalars == [1, 2, 9, 10])
        #expect(dropped.labels == [0, 1])
        let imputed = try read("a,b,y\n1,2,x\n,4,y\n5,N/A,x\n", CSVOptions(missing: .imputeMean))
        #expect(imputed.features.scalars == [1, 2, 3, 4, 5, 3])
        #expect(imputed.labels == [0, 1, 0])
        // A missing label cannot be imputed.
        #expect(expectDataError { _ = try read(text, CSVOptions(missing: .imputeMean)) } != nil)
    }

    @Test("A test file's classes are aligned to the training classes by name")
    func alignClasses() throws {
        let train = try read("a,y\n1,cat\n2,dog\n3,eel\n")
        let test = try read("a,y\n4,eel\n5,cat\n")
        #expect(test.labels == [1, 0])
        let aligned = try test.aligningClasses(to: train.classNames)
        #expect(aligned.labels == [2, 0] && aligned.classNames == ["cat", "dog", "eel"])
        #expect(errorMessage { _ = try read("a,y\n1,fox\n").aligningClasses(to: train.classNames) }
                == "Dataset.aligningClasses: class \"fox\" is not among the 3 known classes")
    }

    @Test("Gzip'd CSV file, and a byte-order mark, read like plain text")
    func gzipAndBOM() throws {
        let text = "\u{FEFF}a,b,y\r\n1,2,0\r\n3,4,1\r\n"
        let dir = try TempDir()
        let plain = try CSVReader().read(path: dir.write("d.csv", text: text))
        let packed = try CSVReader().read(path: dir.write("d.csv.gz", gzipCompress(Data(text.utf8))))
        #expect(plain.featureNames == ["a", "b"])
        #expect(packed.features == plain.features && packed.labels == plain.labels)
        #expect(errorMessage { _ = try CSVReader().read(path: dir.path + "/none.csv") }.hasSuffix("none.csv: no such file or directory"))
    }
}

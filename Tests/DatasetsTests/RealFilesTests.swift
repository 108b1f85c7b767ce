import Foundation
import Testing
@testable import Datasets
import Tensor

/// The readers and preprocessing on the real-file cases of issue 18 (`Tests/RealFiles`): each test names
/// the case it covers and asserts the value a scikit-learn or pandas user expects.
@Suite("Real files, real mistakes: readers and preprocessing")
struct RealFilesReaderTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RealFiles")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test("1: a column of values near 1e-10 is standardized like the same column ×1e9")
    func tinyScaleStandardized() throws {
        let tiny = try CSVReader().read(path: Self.path("tiny_scale.csv"))
        let unit = try CSVReader().read(path: Self.path("unit_scale.csv"))
        let s = try Standardizer(fitting: tiny.features), u = try Standardizer(fitting: unit.features)
        // The scale is the column's own spread, not 1 (which the old "constant" test, std ≤ 1e-7·max(1, |mean|), gave).
        for j in 0..<2 {
            #expect(s.scale[j] != 1 && abs(s.scale[j] / u.scale[j] * 1e9 - 1) < 1e-4, "column \(j): \(s.scale[j]) vs \(u.scale[j])")
        }
        #expect(Standardizer.constantColumns(of: tiny.features).isEmpty)
        // The standardized features agree to Float rounding: the model sees the same numbers.
        let a = try tiny.transformed(by: s).features.scalars, b = try unit.transformed(by: u).features.scalars
        #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-4)
        // A truly constant column is still only centred, at any magnitude.
        let constant = try Tensor<Float>([3e-12, 1, 3e-12, 2, 3e-12, 3], shape: [3, 2])
        #expect(try Standardizer(fitting: constant).scale[0] == 1)
        #expect(Standardizer.constantColumns(of: constant) == [0])
    }

    @Test("2: a LIBSVM test file is read at the model's width; an index beyond it names line and index")
    func libsvmWidth() throws {
        let test = Self.path("libsvm_test_highest_index_unused.svm")
        #expect(try LIBSVMReader().read(path: test).featureCount == 4)
        let wide = try LIBSVMReader(options: LIBSVMOptions(dimension: 5)).read(path: test)
        #expect(wide.featureCount == 5 && wide.count == 50)
        #expect((0..<50).allSatisfy { wide.features[$0, 4] == 0 })
        #expect(wide.features[0, 0] == 0.7854 && wide.features[0, 3] == 0.2439)
        #expect(errorMessage { _ = try LIBSVMReader(options: LIBSVMOptions(dimension: 3)).read(path: test) }
                == "\(test):1:30: expected a feature index in 1...3, found 4")
    }

    @Test("3: NaN and ±Inf features are refused by every reader, naming file, row and column; or dropped")
    func nonFiniteRefused() throws {
        let x = Self.path("X_with_nan.npy"), y = Self.path("y_for_X_with_nan.npy")
        #expect(errorMessage { _ = try NPYReader.read(features: x, labels: y) }
                == "\(x), row 7, column 1 (0-based): expected a finite number, found NaN")
        let dropped = try NPYReader.read(features: x, labels: y, nonFinite: .drop)
        #expect(dropped.count == 199 && dropped.features.isFinite)
        #expect(dropped.warnings == ["\(x): left out 1 of 200 rows holding NaN or ±Inf (0-based rows 7)"])
        let test = Self.path("X_test_nan_inf.npy")
        #expect(errorMessage { _ = try NPYReader.readUnlabelled(features: test) } == "\(test), row 0, column 0 (0-based): expected a finite number, found NaN")
        #expect(try NPYReader.readUnlabelled(features: test, nonFinite: .drop).count == 4)
        // The loader passes the policy to each reader.
        #expect(try DataLoader.load(path: x, labels: y, options: LoadOptions(nonFinite: .drop)).train.count == 199)

        // CSV: text NaN/Inf, and a number beyond Float's range, name line and column.
        func csv(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> Dataset {
            try CSVReader(options: options).read(data: Data(text.utf8), name: "t.csv")
        }
        #expect(errorMessage { _ = try csv("a,b,y\n1,2,0\n3,nan,1\n") } == "t.csv:3:2: expected a finite number, found \"nan\" (column \"b\")")
        #expect(errorMessage { _ = try csv("a,b,y\n1,-Inf,0\n3,4,1\n") } == "t.csv:2:2: expected a finite number, found \"-Inf\" (column \"b\")")
        #expect(errorMessage { _ = try csv("a,b,y\n1,2,0\n1e39,4,1\n") }
                == "t.csv:3:1: expected a finite number, found \"1e39\", beyond Float's range (±3.4e38) (column \"a\")")
        #expect(errorMessage { _ = try csv("a,b,y\n1,2,0\n3,4,NaN\n") } == "t.csv:3:3: expected a finite number, found label \"NaN\"")
        let kept = try csv("a,b,y\n1,2,0\n3,nan,1\n5,6,1\n7,8,NaN\n", CSVOptions(missing: .dropRows))
        #expect(kept.features.scalars == [1, 2, 5, 6] && kept.classNames == ["0", "1"])
        #expect(kept.warnings == ["t.csv: left out 2 of 4 rows with a missing or non-finite value (lines 3, 5)"])
        // Text that is not a number at all is an error even when dropping missing values.
        #expect(errorMessage { _ = try csv("a,b,y\n1,x,0\n", CSVOptions(missing: .dropRows)) } == "t.csv:2:2: expected a number (column \"b\"), found \"x\"")

        // LIBSVM and IDX alike.
        #expect(errorMessage { _ = try LIBSVMReader().read(data: Data("1 1:2\n0 1:nan 2:1\n".utf8), name: "t.svm") }
                == "t.svm:2:5: expected a finite number, found 1:\"nan\"")
        let svm = try LIBSVMReader(options: LIBSVMOptions(nonFinite: .drop)).read(data: Data("1 1:2 3:1\n0 1:nan 4:1\n0 2:1\n".utf8), name: "t.svm")
        #expect(svm.count == 2 && svm.featureCount == 3)   // the dropped row's index 4 does not widen the matrix
        let images = idxBytes(type: 0x0D, dimensions: [2, 2], payload: bigEndianBytes([Float(1).bitPattern, Float.infinity.bitPattern, 0, 0]))
        let labels = idxBytes(type: 0x08, dimensions: [2], payload: [0, 1])
        #expect(errorMessage { _ = try IDXReader.read(imageData: images, labelData: labels, name: "i") }
                == "i, row 0, column 1 (0-based): expected a finite number, found +Inf")
    }

    @Test("6: a numeric header over text labels is recognised, with a warning; declared absent it is data")
    func numericHeader() throws {
        let file = Self.path("numeric_header_text_labels.csv")
        let set = try CSVReader().read(path: file)
        #expect(set.count == 100 && set.classNames == ["neg", "pos"] && set.featureNames == ["0", "1", "2"] && set.labelName == "label")
        #expect(set.warnings.count == 1 && set.warnings[0].contains("its label \"label\" occurs in no other row"))
        let asData = try CSVReader(options: CSVOptions(header: .absent)).read(path: file)
        #expect(asData.count == 101 && asData.classNames == ["label", "neg", "pos"] && asData.warnings.isEmpty)
        // A first label that repeats elsewhere, or too few rows, is no evidence of a header.
        let plain = try CSVReader().read(data: Data("1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,1,a\n2,3,b\n".utf8), name: "p.csv")
        #expect(plain.count == 6 && plain.featureNames == nil && plain.warnings.isEmpty)
    }

    @Test("7: a file with its columns in another order is matched by name; a missing or extra column names it")
    func columnsByName() throws {
        let trained = try CSVReader(options: CSVOptions(label: .name("y"))).read(path: Self.path("columns_y_a_b.csv"))
        #expect(trained.featureNames == ["a", "b"] && trained.labelName == "y")
        let expected = ExpectedColumns(featureCount: 2, featureNames: ["a", "b"], labelName: "y")
        let swapped = try CSVReader(options: CSVOptions(expected: expected)).read(path: Self.path("columns_b_a_y.csv"))
        #expect(swapped.featureNames == ["a", "b"] && swapped.labelName == "y")
        #expect(swapped.features == trained.features && swapped.labels == trained.labels)
        func read(_ text: String, _ e: ExpectedColumns = expected) throws -> Dataset {
            try CSVReader(options: CSVOptions(expected: e)).read(data: Data(text.utf8), name: "c.csv")
        }
        // The label column is optional (prediction), and a file of the features alone is unlabelled.
        #expect(try read("b,a\n1,2\n").features.scalars == [2, 1])
        #expect(errorMessage { _ = try read("b,c,y\n1,2,0\n") }
                == "c.csv: no column named \"a\", a feature of the model; the model's features are \"a\", \"b\", the header has \"b\", \"c\", \"y\"")
        #expect(errorMessage { _ = try read("a,b,z,y\n1,2,3,0\n") }
                == "c.csv: column \"z\" is neither a feature of the model nor its label \"y\"; the model's features are \"a\", \"b\"")
        #expect(errorMessage { _ = try read("a,b,a,y\n1,2,3,0\n") } == "c.csv: the header names column \"a\" twice (columns 1 and 3)")
    }

    @Test("8: IDX labels 1–3 keep class indices 0…3, with class 0 empty")
    func idxLabelsFromOne() throws {
        let set = try IDXReader.read(images: Self.path("labels_from_1-images-idx3-ubyte"))
        #expect(set.classNames == ["0", "1", "2", "3"] && set.classCounts == [0, 92, 110, 98])
    }

    @Test("9: a file with exactly the model's feature columns is read as unlabelled")
    func unlabelledByCount() throws {
        let options = CSVOptions(expected: ExpectedColumns(featureCount: 1))
        let set = try CSVReader(options: options).read(path: Self.path("one_feature_unlabelled.csv"))
        #expect(set.features.scalars == [1.5, 3.5] && set.labels.isEmpty)
        // Without the expectation it is still what it was: one column, no feature besides the label.
        #expect(errorMessage { _ = try CSVReader().read(path: Self.path("one_feature_unlabelled.csv")) }
                .hasSuffix("expected at least one feature column besides the label, found 1 column(s)"))
    }

    @Test("10: a header-only file reads as zero examples, with its column names")
    func headerOnly() throws {
        let set = try CSVReader().read(path: Self.path("header_only.csv"))
        #expect(set.count == 0 && set.featureNames == ["x1", "x2"] && set.labelName == "species")
    }

    @Test("A stratified split keeps every class in train, however small")
    func splitKeepsEveryClass() throws {
        let labels = [0, 0, 0, 0, 1, 2, 2]
        for seed in 0..<20 as Range<UInt64> {
            let s = try Splits.trainValidationTest(labels: labels, validation: 0.5, test: 0.2, seed: UInt64(seed))
            #expect(Set(s.train.map { labels[$0] }) == [0, 1, 2])
            #expect(s.train.count + s.validation.count + s.test.count == labels.count)
        }
    }

    @Test("NaN labels cannot become classes, and fitting refuses non-finite features")
    func nonFiniteInternals() throws {
        #expect(throws: DataError.self) { _ = try LabelEncoding.numeric([1, .nan], file: "l") }
        let x = try Tensor<Float>([1, .nan, 2, 3], shape: [2, 2])
        #expect(errorMessage { _ = try Standardizer(fitting: x) } == "Standardizer.fit: row 0, column 1 is NaN; fit on finite data")
        #expect(throws: DataError.self) { _ = try MinMaxScaler(fitting: x) }
        #expect(throws: DataError.self) { _ = try PCAWhitener(fitting: x, components: 1) }
        // Min–max of two huge values of opposite sign: a range beyond Float's is refused, not overflowed to ∞.
        let huge = try Tensor<Float>([-3e38, 3e38], shape: [2, 1])
        #expect(errorMessage { _ = try MinMaxScaler(fitting: huge) }.contains("a range beyond Float's"))
    }
}

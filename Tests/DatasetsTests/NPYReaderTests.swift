import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("NPY reader")
struct NPYReaderTests {
    @Test("float32 C-order matrix and int64 labels, as numpy.save writes them")
    func reads() throws {
        let x = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                         payload: littleEndianBytes([1.0, 2, 3, 4, 5, 6].map { Float($0).bitPattern }))
        let y = npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", payload: littleEndianBytes([Int64(7), 3, 7]))
        let set = try NPYReader.read(featureData: x, labelData: y)
        #expect(set.features.shape == [3, 2])
        #expect(set.features.scalars == [1, 2, 3, 4, 5, 6])
        #expect(set.classNames == ["3", "7"])
        #expect(set.labels == [1, 0, 1])
    }

    @Test("Every supported dtype, both byte orders, versions 1–3")
    func dtypes() throws {
        func features(_ descr: String, _ payload: [UInt8], shape: String = "(2,)", major: UInt8 = 1) throws -> [Float] {
            try NPYReader.readFeatures(data: npyBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }",
                                                      payload: payload, major: major)).scalars
        }
        #expect(try features(">f4", bigEndianBytes([Float(1.5).bitPattern, Float(-2).bitPattern])) == [1.5, -2])
        #expect(try features("<f8", littleEndianBytes([Double(0.25).bitPattern, Double(8).bitPattern]), major: 2) == [0.25, 8])
        #expect(try features(">f8", bigEndianBytes([Double(0.25).bitPattern, Double(8).bitPattern]), major: 3) == [0.25, 8])
        #expect(try features("<i4", littleEndianBytes([Int32(-5), 9])) == [-5, 9])
        #expect(try features(">i4", bigEndianBytes([Int32(-5), 9])) == [-5, 9])
        #expect(try features(">i8", bigEndianBytes([Int64(-5), 9])) == [-5, 9])
        // uint8 is not scaled in NPY: the array holds whatever the user saved.
        #expect(try features("|u1", [0, 255]) == [0, 255])
        let rank3 = try NPYReader.readFeatures(data: npyBytes(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }",
                                                               payload: Array(0..<8)))
        #expect(rank3.shape == [2, 4])
    }

    @Test("Fortran order, object and structured dtypes are refused with a clear reason")
    func refused() throws {
        let fortran = npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", payload: [0, 0, 0, 0])
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: fortran, name: "f.npy") }
                == "f.npy: unsupported: Fortran-ordered (column-major) array; save it with numpy.ascontiguousarray first")
        let object = npyBytes(header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", payload: Array("cos\nsystem\n".utf8))
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: object, name: "o.npy") }
                .hasPrefix("o.npy: unsupported: object array (dtype '|O'): its payload is a pickle, which is never loaded"))
        let structured = npyBytes(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0])
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: structured, name: "s.npy") }.contains("structured dtype"))
        let unicode = npyBytes(header: "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", payload: Array(repeating: 0, count: 12))
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: unicode, name: "u.npy") }.contains("dtype '<U3'"))
    }

    @Test("The header parser is strict: no expressions, unknown keys or repeats, offsets reported")
    func strictHeader() throws {
        func message(_ header: String) -> String {
            errorMessage { _ = try NPYReader.readFeatures(data: npyBytes(header: header, payload: []), name: "h.npy") }
        }
        #expect(message("{'descr': __import__('os'), 'fortran_order': False, 'shape': (0,), }")
                == "h.npy, byte 20: expected a string, True, False or a tuple of integers in the NPY header, found \"__import__('os')\"")
        #expect(message("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), 'extra': 1}").contains("one of the keys"))
        #expect(message("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (0,)}").contains("each key once"))
        #expect(message("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }").contains("a non-negative integer"))
        #expect(message("{'descr': '<f4', 'fortran_order': False}").contains("a 'shape' tuple"))
        #expect(message("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x").contains("only padding after the header dict"))
    }

    @Test("Data length must match the shape; magic and version are checked")
    func lengths() throws {
        let x = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: Array(repeating: 0, count: 12))
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: x, name: "x.npy") }
                == "x.npy: expected 144 bytes (128-byte header + shape [2, 2] × 4 bytes), found 140 bytes")
        var bad = x; bad[1] = UInt8(ascii: "n")
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: bad, name: "x.npy") }.hasPrefix("x.npy, byte 0: expected the NPY magic"))
        bad = x; bad[6] = 4
        #expect(errorMessage { _ = try NPYReader.readFeatures(data: bad, name: "x.npy") } == "x.npy: unsupported: NPY format version 4.0 (versions 1–3 are read)")
        let y = npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                         payload: littleEndianBytes([1.0, 2, 3].map { Double($0).bitPattern }))
        let x4 = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: Array(repeating: 0, count: 16))
        #expect(errorMessage { _ = try NPYReader.read(featureData: x4, labelData: y, name: "p") } == "p (labels): expected 2 labels, one per row of p, found 3")
    }

    @Test("Gzip-compressed .npy files and files on disk")
    func files() throws {
        let dir = try TempDir()
        let x = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }",
                         payload: littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern]))
        let y = npyBytes(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", payload: [1, 0])
        let set = try NPYReader.read(features: dir.write("X_train.npy.gz", gzipCompress(x)), labels: dir.write("y_train.npy", y))
        #expect(set.features.scalars == [1, 2])
        #expect(set.labels == [1, 0])
    }
}

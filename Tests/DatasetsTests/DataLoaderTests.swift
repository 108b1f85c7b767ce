import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("Data loader")
struct DataLoaderTests {
    @Test("Format chosen by directory, extension, then content")
    func detection() throws {
        let dir = try TempDir()
        let csv = try dir.write("a.csv", text: "x,y\n1,0\n")
        let svm = try dir.write("data.txt", text: "1 1:0.5\n-1 2:1\n")
        let plain = try dir.write("data2.txt", text: "x,y\n1,0\n")
        let idx = try dir.write("blob", idxBytes(type: 8, dimensions: [1], payload: [0]))
        let npyGz = try dir.write("X.npy.gz", gzipCompress(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0])))
        #expect(try DataLoader.detectFormat(path: csv) == .csv)
        #expect(try DataLoader.detectFormat(path: svm) == .libsvm)
        #expect(try DataLoader.detectFormat(path: plain) == .csv)
        #expect(try DataLoader.detectFormat(path: idx) == .idx)
        #expect(try DataLoader.detectFormat(path: npyGz) == .npy)
        #expect(expectDataError { _ = try DataLoader.detectFormat(path: dir.path) } != nil)
    }

    @Test("Loads each format through one entry point; NPY labels found by naming")
    func load() throws {
        let dir = try TempDir()
        let csv = try loadDataset(path: dir.write("a.csv", text: "x,y\n1,0\n2,1\n"))
        #expect(csv.format == .csv && csv.train.count == 2 && csv.test == nil)
        let svm = try loadDataset(path: dir.write("a.svm", text: "1 1:0.5\n"))
        #expect(svm.format == .libsvm && svm.train.featureCount == 1)
        try dir.write("y_train.npy", npyBytes(header: "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", payload: [1, 0, 0, 0]))
        let npy = try loadDataset(path: dir.write("X_train.npy", npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", payload: [0, 0, 0x80, 0x3F])))
        #expect(npy.format == .npy && npy.train.features.scalars == [1] && npy.train.classNames == ["1"])
        let images = idxBytes(type: 8, dimensions: [1, 1], payload: [255]), labels = idxBytes(type: 8, dimensions: [1], payload: [4])
        for prefix in ["train", "t10k"] {
            try dir.write("\(prefix)-images-idx3-ubyte", images)
            try dir.write("\(prefix)-labels-idx1-ubyte", labels)
        }
        let mnist = try loadDataset(path: dir.path)
        #expect(mnist.format == .idx && mnist.test?.count == 1 && mnist.train.labels == [4])
        #expect(expectDataError { _ = try loadDataset(path: dir.path + "/a.csv", labels: "x") } != nil)
        #expect(errorMessage { _ = try loadDataset(path: dir.path + "/missing.csv") }.hasSuffix("missing.csv: no such file or directory"))
    }
}

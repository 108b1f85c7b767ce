// Fuzz target for the NPY reader: the header parser, dtype and shape checks, payload streaming, plain
// and gzip. Must never crash.
import Datasets
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    _ = try? NPYReader.readFeatures(data: bytes, name: "fuzz")
    _ = try? NPYReader.readLabels(data: bytes, name: "fuzz")
    if size >= 2 {
        let split = min(Int(data[0]) | Int(data[1]) << 8, size - 2)
        let features = Data(bytes: data + 2, count: split)
        let labels = Data(bytes: data + 2 + split, count: size - 2 - split)
        if let set = try? NPYReader.read(featureData: features, labelData: labels, name: "fuzz", nonFinite: data[1] & 0x80 == 0 ? .error : .drop) {
            // Non-finite rows were refused or dropped.
            precondition(set.features.isFinite && (set.labels.isEmpty || set.labels.count == set.count))
        }
    }
    // Gzip input also goes through a file, to exercise zlib's gzread path as well as inflate.
    if size >= 2 && data[0] == 0x1F && data[1] == 0x8B {
        let path = NSTemporaryDirectory() + "fuzz-npy-\(getpid()).bin"
        // fopen/fwrite rather than Data.write, which fsyncs and would dominate the run time.
        if let file = fopen(path, "wb") {
            fwrite(data, 1, size, file)
            fclose(file)
            _ = try? NPYReader.readFeatures(path: path)
            unlink(path)
        }
    }
    return 0
}

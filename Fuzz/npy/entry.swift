// Fuzz target for the NPY reader: the header parser, dtype and shape checks, payload streaming, plain
// and gzip. Must never crash.
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
        _ = try? NPYReader.read(featureData: features, labelData: labels, name: "fuzz")
    }
    return 0
}

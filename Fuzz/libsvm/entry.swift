// Fuzz target for the LIBSVM / SVMlight reader. The first byte picks inferred or given dimension (bit 7,
// width in bits 0–5) and whether non-finite rows are dropped (bit 6); the dense-size limit is small so no
// input can ask for a huge matrix. Must never crash.
import Datasets
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let dimension: Int? = data[0] & 0x80 == 0 ? nil : Int(data[0] & 0x3F)
    let nonFinite: NonFiniteValues = data[0] & 0x40 == 0 ? .error : .drop
    let reader = LIBSVMReader(options: LIBSVMOptions(dimension: dimension, maximumScalars: 1 << 20, nonFinite: nonFinite))
    if let set = try? reader.read(data: Data(bytes: data + 1, count: size - 1), name: "fuzz") {
        precondition(set.labels.count == set.count)
        precondition(set.labels.allSatisfy { $0 >= 0 && $0 < set.classCount })
        precondition(set.features.isFinite)
    }
    return 0
}

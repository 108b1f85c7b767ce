// Fuzz target for the LIBSVM / SVMlight reader. The first byte picks inferred or given dimension; the
// dense-size limit is small so no input can ask for a huge matrix. Must never crash.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let dimension: Int? = data[0] & 0x80 == 0 ? nil : Int(data[0] & 0x7F)
    let reader = LIBSVMReader(options: LIBSVMOptions(dimension: dimension, maximumScalars: 1 << 20))
    if let set = try? reader.read(data: Data(bytes: data + 1, count: size - 1), name: "fuzz") {
        precondition(set.labels.count == set.count)
        precondition(set.labels.allSatisfy { $0 >= 0 && $0 < set.classCount })
    }
    return 0
}

// libFuzzer target for the safetensors reader (`make fuzz`; conventions in scripts/fuzz.sh).
//
// Calls the decoder of module Layers directly. Two properties are checked on every input:
//   1. `decode` either returns or throws a `SafeTensorsError`: no trap, no sanitizer report, no hang.
//   2. What `decode` accepts survives a round trip: encoding it and decoding the result gives the same
//      names, dtypes, shapes, bits and metadata, and encoding that again gives the same bytes. A reader
//      and writer that disagree would silently change a model on its first save.
import Layers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let file: SafeTensorsFile
    do {
        file = try SafeTensorsFile.decode(input, fileName: "fuzz-input")
    } catch is SafeTensorsError {
        return 0
    } catch {
        fatalError("decode threw an untyped error: \(error)")
    }

    let encoded: [UInt8]
    let again: SafeTensorsFile
    do {
        encoded = try file.encode()
        again = try SafeTensorsFile.decode(encoded, fileName: "re-encoded")
    } catch {
        fatalError("an accepted file does not round-trip: \(error)")
    }
    guard (try? again.encode()) == encoded else { fatalError("re-encoding changed the bytes") }
    guard again.metadata == file.metadata, Set(again.names) == Set(file.names), again.tensors.count == file.tensors.count else {
        fatalError("round trip changed the names or metadata")
    }
    for (name, tensor) in file.tensors {
        guard let other = again[name], other.dtype == tensor.dtype, other.shape == tensor.shape,
              sameBytes(other, tensor) else {
            fatalError("round trip changed tensor \(name)")
        }
    }
    return 0
}

/// Bitwise equality of the scalars (`==` on floats would call NaN unequal to itself).
private func sameBytes(_ a: AnyTensor, _ b: AnyTensor) -> Bool {
    func bytes(_ t: AnyTensor) -> [UInt8] {
        switch t {
        case let .float(x): return x.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
        case let .double(x): return x.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
        }
    }
    return bytes(a) == bytes(b)
}

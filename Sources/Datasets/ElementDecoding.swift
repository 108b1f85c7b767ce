#if canImport(Tensor)
import Tensor
#endif

/// The binary element types the IDX and NPY readers understand.
enum ElementType: Sendable, Equatable {
    case uint8, int8, int16, int32, int64, float32, float64

    /// Bytes per element.
    var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }
}

/// An element type with its byte order.
struct ElementFormat: Sendable, Equatable {
    var type: ElementType
    var bigEndian: Bool

    /// Converts `count` packed elements at `src` (any alignment) to Float. With `scaleBytes`, `uint8`
    /// values are divided by 255 so pixel intensities land in [0, 1].
    func decode(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>, scaleBytes: Bool) {
        switch type {
        case .uint8:
            let bytes = src.assumingMemoryBound(to: UInt8.self)
            if scaleBytes { for i in 0..<count { dst[i] = Float(bytes[i]) / 255 } }
            else { for i in 0..<count { dst[i] = Float(bytes[i]) } }
        case .int8: for i in 0..<count { dst[i] = Float(integer(src, i, Int8.self)) }
        case .int16: for i in 0..<count { dst[i] = Float(integer(src, i, Int16.self)) }
        case .int32: for i in 0..<count { dst[i] = Float(integer(src, i, Int32.self)) }
        case .int64: for i in 0..<count { dst[i] = Float(integer(src, i, Int64.self)) }
        case .float32: for i in 0..<count { dst[i] = Float(bitPattern: integer(src, i, UInt32.self)) }
        case .float64: for i in 0..<count { dst[i] = Float(Double(bitPattern: integer(src, i, UInt64.self))) }
        }
    }

    /// Converts `count` packed elements to Double (labels: exact for every integer type but the largest int64s).
    func decodeDouble(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Double>) {
        switch type {
        case .uint8: for i in 0..<count { dst[i] = Double(src.load(fromByteOffset: i, as: UInt8.self)) }
        case .int8: for i in 0..<count { dst[i] = Double(integer(src, i, Int8.self)) }
        case .int16: for i in 0..<count { dst[i] = Double(integer(src, i, Int16.self)) }
        case .int32: for i in 0..<count { dst[i] = Double(integer(src, i, Int32.self)) }
        case .int64: for i in 0..<count { dst[i] = Double(integer(src, i, Int64.self)) }
        case .float32: for i in 0..<count { dst[i] = Double(Float(bitPattern: integer(src, i, UInt32.self))) }
        case .float64: for i in 0..<count { dst[i] = Double(bitPattern: integer(src, i, UInt64.self)) }
        }
    }

    @inline(__always)
    private func integer<T: FixedWidthInteger>(_ src: UnsafeRawPointer, _ i: Int, _: T.Type) -> T {
        let raw = src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
        return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
    }
}

/// Bytes decoded per chunk when streaming a payload: large enough to amortize the read calls, small
/// enough that the scratch buffer is negligible next to the data.
private let chunkBytes = 1 << 18

/// Streams `rows × columns` elements from `input` straight into a new Float matrix.
///
/// Only a fixed-size scratch chunk exists beside the result, so peak memory is the tensor plus 256 KiB.
/// The caller must have checked `rows × columns × size` against the input's size first.
func readMatrix(from input: ByteInput, format: ElementFormat, rows: Int, columns: Int,
                scaleBytes: Bool, what: String) throws -> Tensor<Float> {
    var result = Tensor<Float>(zeros: [rows, columns])
    let total = rows * columns
    let size = format.type.size
    let perChunk = chunkBytes / size
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: perChunk * size, alignment: 16)
    defer { scratch.deallocate() }
    try result.withUnsafeMutableBufferPointer { dst in
        var done = 0
        while done < total {
            let n = min(perChunk, total - done)
            try input.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * size)]), what: what)
            format.decode(scratch.baseAddress!, count: n, into: dst.baseAddress! + done, scaleBytes: scaleBytes)
            done += n
        }
    }
    return result
}

/// Streams `count` elements from `input` into an array of Double (for label files).
func readDoubles(from input: ByteInput, format: ElementFormat, count: Int, what: String) throws -> [Double] {
    var values = [Double](repeating: 0, count: count)
    let size = format.type.size
    let perChunk = chunkBytes / size
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: perChunk * size, alignment: 16)
    defer { scratch.deallocate() }
    try values.withUnsafeMutableBufferPointer { dst in
        var done = 0
        while done < count {
            let n = min(perChunk, count - done)
            try input.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * size)]), what: what)
            format.decodeDouble(scratch.baseAddress!, count: n, into: dst.baseAddress! + done)
            done += n
        }
    }
    return values
}

/// The product of `dims`, or nil if it overflows or exceeds `limit`.
func checkedProduct(_ dims: [Int], limit: Int = Int.max) -> Int? {
    var p = 1
    for d in dims {
        guard d >= 0 else { return nil }
        let (r, o) = p.multipliedReportingOverflow(by: d)
        guard !o, r <= limit else { return nil }
        p = r
    }
    return p
}

/// The number of features of one example: the product of the trailing dimensions, which must fit
/// BLAS's 32-bit sizes (checked even when there are no rows, so no later step multiplies it into overflow).
func featureWidth(_ trailing: [Int], name: String) throws -> Int {
    guard let width = checkedProduct(trailing, limit: Int(Int32.max)) else {
        throw DataError.shapeMismatch(file: name, expected: "at most \(Int32.max) features per example", found: "trailing dimensions \(trailing)")
    }
    return width
}

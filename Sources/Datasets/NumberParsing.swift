#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses a decimal number from bytes of a text file, without building a `String` per field.
///
/// Accepts what C's `strtod` accepts in the "C" locale (sign, digits, point, exponent), with surrounding
/// spaces; refuses anything left over, and refuses non-finite results (`nan`, `inf`, overflow), which
/// text data sets use to mark missing values rather than to mean a number.
@inline(__always)
func parseNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
    var lo = range.lowerBound, hi = range.upperBound
    while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
    while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
    let length = hi - lo
    // The longest sensible number is far below 64 bytes; longer fields are not numbers we accept.
    guard length > 0, length < 64 else { return nil }
    // strtod needs a terminator, so the field is copied to a small stack buffer.
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
        for i in 0..<length {
            let c = bytes[lo + i]
            // Only characters that can appear in a decimal number; this also keeps strtod away from
            // hexadecimal and "infinity"/"nan" spellings, and from embedded terminators.
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                 UInt8(ascii: "e"), UInt8(ascii: "E"):
                buffer[i] = CChar(bitPattern: c)
            default:
                return nil
            }
        }
        buffer[length] = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(buffer.baseAddress!, &end)
        guard let end, end - buffer.baseAddress! == length, value.isFinite else { return nil }
        return value
    }
}

/// Parses a positive decimal integer (LIBSVM feature indices); nil on anything else or on overflow.
@inline(__always)
func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
    guard !range.isEmpty, range.count <= 18 else { return nil }
    var value = 0
    for i in range {
        let c = bytes[i]
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(c - UInt8(ascii: "0"))
    }
    return value
}

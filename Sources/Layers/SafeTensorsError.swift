/// Why a safetensors file could not be read or written, or does not hold what a model needs.
///
/// Every case names the file (its path, or the name given to `SafeTensorsFile.decode`), and where a
/// single tensor is at fault, the tensor. Loading checks the whole header before it allocates any tensor,
/// so one of these errors is all a damaged or hostile file can cause.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Shorter than the 8-byte header-length field.
    case fileTooSmall(file: String, size: Int)
    /// The header-length field is larger than `limit`: the 100 MB cap, or what the file actually holds.
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The header is not JSON (or not the JSON safetensors allows). `offset` counts bytes from the start
    /// of the header, i.e. from byte 8 of the file.
    case malformedHeader(file: String, offset: Int, reason: String)
    /// Two header entries with the same tensor name: readers could disagree on which one they load.
    case duplicateTensor(file: String, tensor: String)
    /// A tensor's entry is not `{"dtype": …, "shape": […], "data_offsets": [begin, end]}`.
    case invalidEntry(file: String, tensor: String, reason: String)
    /// A dtype other than F32 and F64 (safetensors defines more; this package computes in those two).
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A shape that is not a list of non-negative integers, or whose size overflows.
    case invalidShape(file: String, tensor: String, reason: String)
    /// `data_offsets` are not two integers with `begin ≤ end ≤ dataSize`.
    case invalidOffsets(file: String, tensor: String, reason: String)
    /// The byte range's length is not the dtype's size times the number of elements.
    case byteCountMismatch(file: String, tensor: String, dtype: String, shape: [Int], expected: Int, found: Int)
    /// The tensor's bytes start before the previous tensor's end.
    case overlappingData(file: String, tensor: String, begin: Int, previousEnd: Int)
    /// Unused bytes between the previous tensor's end and this tensor's start (the format forbids holes,
    /// which would let one file be two formats at once).
    case gapInData(file: String, tensor: String, begin: Int, previousEnd: Int)
    /// The tensors end at `covered` but the data section is `dataSize` bytes long.
    case uncoveredData(file: String, covered: Int, dataSize: Int)
    /// `__metadata__` is not an object mapping strings to strings.
    case invalidMetadata(file: String, key: String?, reason: String)
    /// A name the format cannot store: `__metadata__`, or the same name twice (found while writing).
    case invalidName(file: String, tensor: String, reason: String)
    /// A tensor the model needs is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor the model needs has another shape than the architecture expects.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor the model needs is stored in another precision.
    case dtypeMismatch(file: String, tensor: String, expected: String, found: String)
    /// The operating system refused an operation (`reason` is its message).
    case io(file: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .fileTooSmall(file, size):
            return "\(file): \(size) bytes is too small for a safetensors file (the header length alone takes 8)"
        case let .headerTooLarge(file, length, limit):
            return "\(file): header length \(length) exceeds the limit of \(limit) bytes"
        case let .malformedHeader(file, offset, reason):
            return "\(file): header is not valid JSON at byte \(offset) of the header: \(reason)"
        case let .duplicateTensor(file, tensor):
            return "\(file): tensor \"\(tensor)\" appears more than once in the header"
        case let .invalidEntry(file, tensor, reason):
            return "\(file): tensor \"\(tensor)\": \(reason)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor \"\(tensor)\": unsupported dtype \"\(dtype)\" (supported: F32, F64, I64)"
        case let .invalidShape(file, tensor, reason):
            return "\(file): tensor \"\(tensor)\": invalid shape: \(reason)"
        case let .invalidOffsets(file, tensor, reason):
            return "\(file): tensor \"\(tensor)\": invalid data_offsets: \(reason)"
        case let .byteCountMismatch(file, tensor, dtype, shape, expected, found):
            return "\(file): tensor \"\(tensor)\": \(dtype) \(shape) needs \(expected) bytes, data_offsets span \(found)"
        case let .overlappingData(file, tensor, begin, previousEnd):
            return "\(file): tensor \"\(tensor)\" starts at data byte \(begin), inside the previous tensor (which ends at \(previousEnd))"
        case let .gapInData(file, tensor, begin, previousEnd):
            return "\(file): tensor \"\(tensor)\" starts at data byte \(begin), leaving unused bytes after \(previousEnd)"
        case let .uncoveredData(file, covered, dataSize):
            return "\(file): tensors cover \(covered) bytes of a \(dataSize)-byte data section"
        case let .invalidMetadata(file, key, reason):
            return "\(file): invalid __metadata__\(key.map { " key \"\($0)\"" } ?? ""): \(reason)"
        case let .invalidName(file, tensor, reason):
            return "\(file): tensor name \"\(tensor)\": \(reason)"
        case let .missingTensor(file, tensor):
            return "\(file): tensor \"\(tensor)\" is missing"
        case let .shapeMismatch(file, tensor, expected, found):
            return "\(file): tensor \"\(tensor)\" has shape \(found), expected \(expected)"
        case let .dtypeMismatch(file, tensor, expected, found):
            return "\(file): tensor \"\(tensor)\" is \(found), expected \(expected)"
        case let .io(file, operation, reason):
            return "\(file): \(operation) failed: \(reason)"
        }
    }
}

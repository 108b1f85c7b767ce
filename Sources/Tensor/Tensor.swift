import Synchronization

/// Heap storage shared by tensors until one of them writes (copy-on-write).
///
/// Allocated 64-byte aligned so BLAS and vectorized loops start on a cache line.
@usableFromInline
final class TensorStorage<Scalar: BLASScalar>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    @usableFromInline let capacity: Int

    @usableFromInline
    init(capacity: Int) {
        tensorAllocationCounter.add(1, ordering: .relaxed)
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        base = raw.bindMemory(to: Scalar.self, capacity: max(capacity, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// Number of tensor buffers allocated so far, process-wide: benchmarks check that a warm training step
/// allocates none.
@usableFromInline
let tensorAllocationCounter = Atomic<Int>(0)

extension Tensor {
    /// Tensor buffers allocated so far in this process (all scalar types). A warm training step should
    /// not change it.
    public static var buffersAllocated: Int { tensorAllocationCounter.load(ordering: .relaxed) }
}

/// An n-dimensional array of `Float` or `Double`: row-major, contiguous, with value semantics.
///
/// Copies share storage until one of them is written (copy-on-write). Most operations are defined on
/// matrices (rank 2) and vectors (rank 1); a rank-1 tensor of length n broadcasts as a 1×n row.
/// Row ranges (`rows(_:)`) are views into the same storage: a mini-batch costs no copy.
///
/// ```swift
/// let x = try Tensor<Float>([[1, 2], [3, 4]])
/// let y = try x.matmul(x, transposeRight: true)   // x·xᵀ through sgemm, no transposed copy
/// ```
public struct Tensor<Scalar: BLASScalar>: @unchecked Sendable {
    @usableFromInline var storage: TensorStorage<Scalar>
    /// Offset of element 0 in `storage` (non-zero for row views).
    @usableFromInline var offset: Int
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// Number of scalars (the product of `shape`).
    public let count: Int

    @usableFromInline
    init(storage: TensorStorage<Scalar>, offset: Int, shape: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.count = shape.reduce(1, *)
    }

    /// A tensor of the given shape with uninitialized-then-zeroed storage.
    @inlinable
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let n = shape.reduce(1, *)
        let storage = TensorStorage<Scalar>(capacity: n)
        storage.base.initialize(repeating: 0, count: Swift.max(n, 1))
        self.init(storage: storage, offset: 0, shape: shape)
    }

    /// A tensor whose every scalar is `value`.
    @inlinable
    public init(repeating value: Scalar, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let n = shape.reduce(1, *)
        let storage = TensorStorage<Scalar>(capacity: n)
        storage.base.initialize(repeating: value, count: Swift.max(n, 1))
        self.init(storage: storage, offset: 0, shape: shape)
    }

    /// Wraps `scalars` (row-major) in the given shape.
    /// - Throws: `TensorError.countMismatch` if `scalars.count` is not the product of `shape`.
    public init(_ scalars: [Scalar], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: "init", shape: shape, expected: "non-negative dimensions")
        }
        let n = shape.reduce(1, *)
        guard n == scalars.count else { throw TensorError.countMismatch(op: "init", count: scalars.count, shape: shape) }
        let storage = TensorStorage<Scalar>(capacity: n)
        scalars.withUnsafeBufferPointer { src in
            if n > 0 { storage.base.initialize(from: src.baseAddress!, count: n) } else { storage.base.initialize(to: 0) }
        }
        self.init(storage: storage, offset: 0, shape: shape)
    }

    /// A vector (rank 1) holding `scalars`.
    public init(_ scalars: [Scalar]) {
        try! self.init(scalars, shape: [scalars.count])
    }

    /// A matrix from its rows.
    /// - Throws: `TensorError.shapeMismatch` naming the first row whose length differs from row 0.
    public init(_ rows: [[Scalar]]) throws {
        let cols = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() where row.count != cols {
            throw TensorError.shapeMismatch(op: "init(rows:) row \(i)", lhs: [cols], rhs: [row.count])
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, cols])
    }

    /// A tensor of the given shape whose scalars are produced by `body(flatIndex)`.
    @inlinable
    public init(shape: [Int], generator body: (Int) throws -> Scalar) rethrows {
        self.init(zeros: shape)
        let base = storage.base
        for i in 0..<count { base[i] = try body(i) }
    }

    /// Zeros of the given shape.
    @inlinable public static func zeros(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }
    /// Ones of the given shape.
    @inlinable public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
    /// `value` in every position.
    @inlinable public static func filled(_ value: Scalar, _ shape: [Int]) -> Tensor { Tensor(repeating: value, shape: shape) }

    /// The n×n identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var t = Tensor(zeros: [n, n])
        t.withUnsafeMutableBufferPointer { p in for i in 0..<n { p[i * n + i] = 1 } }
        return t
    }

    /// `start, start+step, …` up to but excluding `end`, as a vector.
    /// - Throws: `TensorError.invalidArgument` if `step` is zero or points away from `end`.
    public static func arange(_ start: Scalar, _ end: Scalar, step: Scalar = 1) throws -> Tensor {
        guard step != 0, (end - start) / step >= 0 || start == end else {
            throw TensorError.invalidArgument(op: "arange", reason: "step \(step) never reaches \(end) from \(start)")
        }
        let n = Int(((end - start) / step).rounded(.up))
        return Tensor(shape: [Swift.max(n, 0)]) { start + Scalar($0) * step }
    }

    /// Uniform samples in `[low, high)` from `rng`.
    public static func randomUniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1, using rng: inout SeededRNG) -> Tensor {
        Tensor(shape: shape) { _ in low + (high - low) * Scalar(rng.nextDouble()) }
    }

    /// Normal samples with the given mean and standard deviation from `rng`.
    public static func randomNormal(_ shape: [Int], mean: Scalar = 0, std: Scalar = 1, using rng: inout SeededRNG) -> Tensor {
        Tensor(shape: shape) { _ in mean + std * Scalar(rng.nextNormal()) }
    }

    // MARK: Shape

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Rows of a matrix (first dimension; 1 for a vector, which broadcasts as a row).
    @inlinable public var rows: Int { shape.count >= 2 ? shape[0] : 1 }
    /// Columns of a matrix (product of all but the first dimension; the length of a vector).
    @inlinable public var columns: Int { shape.count >= 2 ? (shape[0] == 0 ? shape.dropFirst().reduce(1, *) : count / shape[0]) : (shape.first ?? 1) }

    /// The same scalars in another shape (no copy).
    /// - Throws: `TensorError.countMismatch` if the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.allSatisfy({ $0 >= 0 }), newShape.reduce(1, *) == count else {
            throw TensorError.countMismatch(op: "reshape", count: count, shape: newShape)
        }
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// A view of rows `range` of a matrix (or of the outermost dimension): shares storage, no copy.
    /// - Throws: `TensorError.indexOutOfRange` if the range leaves `0..<rows`.
    public func rows(_ range: Range<Int>) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidShape(op: "rows", shape: shape, expected: "rank ≥ 1") }
        guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError.indexOutOfRange(op: "rows", index: range.lowerBound < 0 ? range.lowerBound : range.upperBound, bound: shape[0] + 1)
        }
        let stride = shape[0] == 0 ? 0 : count / shape[0]
        var newShape = shape
        newShape[0] = range.count
        return Tensor(storage: storage, offset: offset + range.lowerBound * stride, shape: newShape)
    }

    // MARK: Access

    /// Calls `body` with the scalars, read-only.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base + offset, count: count))
    }

    /// Calls `body` with the scalars, writable. Copies first if the storage is shared (copy-on-write).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: count))
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let fresh = TensorStorage<Scalar>(capacity: count)
            fresh.base.initialize(from: storage.base + offset, count: count)
            if count == 0 { fresh.base.initialize(to: 0) }
            storage = fresh
            offset = 0
        }
    }

    /// Pointer to the first scalar, for reading. Valid while `self` is alive and unmodified.
    @inlinable var readPointer: UnsafePointer<Scalar> { UnsafePointer(storage.base + offset) }

    /// The scalars in row-major order.
    public var scalars: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// The scalar of a rank-0 or one-element tensor.
    public var scalar: Scalar? { count == 1 ? storage.base[offset] : nil }

    /// Element `(row, column)` of a matrix.
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(rank == 2 && row >= 0 && row < shape[0] && column >= 0 && column < shape[1], "index (\(row), \(column)) out of range for \(shape)")
            return storage.base[offset + row * shape[1] + column]
        }
        set {
            precondition(rank == 2 && row >= 0 && row < shape[0] && column >= 0 && column < shape[1], "index (\(row), \(column)) out of range for \(shape)")
            makeUnique()
            storage.base[offset + row * shape[1] + column] = newValue
        }
    }

    /// Element `i` in flat row-major order.
    @inlinable
    public subscript(flat i: Int) -> Scalar {
        get {
            precondition(i >= 0 && i < count, "flat index \(i) out of range 0..<\(count)")
            return storage.base[offset + i]
        }
        set {
            precondition(i >= 0 && i < count, "flat index \(i) out of range 0..<\(count)")
            makeUnique()
            storage.base[offset + i] = newValue
        }
    }

    /// Converts to the other precision (to the same precision: `self`, sharing storage, no copy).
    public func converted<Other: BLASScalar>(to: Other.Type) -> Tensor<Other> {
        if let same = self as? Tensor<Other> { return same }
        return withUnsafeBufferPointer { src in Tensor<Other>(shape: shape) { Other(src[$0]) } }
    }
}

extension Tensor: Equatable {
    /// Same shape and same scalars (exact comparison).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let s = scalars
        if rank == 2, count <= 400 {
            let rowsText = (0..<shape[0]).map { r in
                "[" + s[(r * shape[1])..<((r + 1) * shape[1])].map { "\($0)" }.joined(separator: ", ") + "]"
            }
            return "Tensor\(shape)[\n  " + rowsText.joined(separator: ",\n  ") + "]"
        }
        let shown = s.prefix(20).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(s.count > 20 ? ", …" : "")]"
    }
}

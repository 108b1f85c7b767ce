// Internal access used by the kernels: fresh outputs and unchecked writes.

extension Tensor {
    /// A tensor of `shape` whose scalars are not initialized: every kernel that makes one writes all of it.
    @inlinable
    package static func uninitialized(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(storage: TensorStorage<Scalar>(capacity: n), offset: 0, shape: shape)
    }

    /// Writable pointer to element 0 *without* the copy-on-write check.
    ///
    /// Only for kernels writing into an output they just allocated (or that the tape's arena owns), where
    /// no other tensor can observe the write. Everything else goes through `withUnsafeMutableBufferPointer`.
    @inlinable
    package var unsafeWritePointer: UnsafeMutablePointer<Scalar> { storage.base + offset }

    /// Pointer for reading.
    @inlinable
    package var unsafeReadPointer: UnsafePointer<Scalar> { UnsafePointer(storage.base + offset) }

    /// Whether this tensor is the only owner of its storage (for copy-on-write tests).
    package var storageIsUniquelyReferenced: Bool {
        mutating get { isKnownUniquelyReferenced(&storage) }
    }

    /// Whether two tensors share storage (for view tests).
    package func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// Requires rank 2 and returns (rows, columns).
    @inlinable
    package func matrixShape(_ op: String) throws -> (Int, Int) {
        guard rank == 2 else { throw TensorError.invalidShape(op: op, shape: shape, expected: "a matrix (rank 2)") }
        return (shape[0], shape[1])
    }
}

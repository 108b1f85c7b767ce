/// A wire of a real-valued circuit: the value that flows forward along it and the gradient (the pull)
/// that flows back along it.
///
/// `Unit` is a class because a wire is shared: the gate that writes it and every gate that reads it hold
/// the same `Unit`, and where a wire branches the pulls from each branch add up in ``grad``.
///
/// ```swift
/// let a = Unit(1.0)          // value 1, grad 0
/// ```
public final class Unit {
    // The two numbers live behind a pointer rather than in stored `var`s: Swift checks exclusive access
    // to a class's stored `var`s at run time (a `swift_beginAccess` call per read or write), which made
    // every gate ~10× slower than the arithmetic it does. Memory reached through a pointer is not
    // checked; the gates never hold overlapping accesses, so nothing is lost.
    @usableFromInline let storage: UnsafeMutablePointer<Double>

    /// The value computed in the forward pass.
    @inlinable public var value: Double {
        get { storage[0] }
        set { storage[0] = newValue }
    }
    /// The derivative of the circuit's output with respect to this wire, filled in by the backward pass.
    /// Gates add into it (`+=`), so it must start at zero: gates reset their own output's `grad` in
    /// `forward()`; inputs and parameters (leaves) are reset by their owner (see
    /// ``Circuit/zeroGradients(_:)-swift.type.method``).
    @inlinable public var grad: Double {
        get { storage[1] }
        set { storage[1] = newValue }
    }

    /// The shared allocation this unit's numbers live in, or nil when the unit owns its own.
    private let block: UnitBlock?

    /// A wire carrying `value`, with no pull on it yet.
    public init(_ value: Double, grad: Double = 0) {
        storage = .allocate(capacity: 2)
        storage.initialize(to: value)
        (storage + 1).initialize(to: grad)
        block = nil
    }

    private init(storage: UnsafeMutablePointer<Double>, block: UnitBlock) {
        self.storage = storage
        self.block = block
    }

    /// One unit per value (grads zero) whose numbers sit side by side in a single allocation.
    ///
    /// Use it for a layer's weights: a training loop then streams through memory (four wires per cache
    /// line) instead of hopping between separately allocated units, which on a 784-32-10 net is the
    /// difference between being limited by arithmetic and by memory.
    public static func contiguous(_ values: [Double]) -> [Unit] {
        let block = UnitBlock(count: values.count)
        return values.enumerated().map { k, v in
            let p = block.base + 2 * k
            p.initialize(to: v)
            (p + 1).initialize(to: 0)
            return Unit(storage: p, block: block)
        }
    }

    deinit { if block == nil { storage.deallocate() } }
}

/// Storage shared by the units of ``Unit/contiguous(_:)``; freed when the last of them goes.
private final class UnitBlock {
    let base: UnsafeMutablePointer<Double>
    init(count: Int) { base = .allocate(capacity: Swift.max(2 * count, 1)) }
    deinit { base.deallocate() }
}

extension Unit: CustomStringConvertible {
    public var description: String { "Unit(value: \(value), grad: \(grad))" }
}

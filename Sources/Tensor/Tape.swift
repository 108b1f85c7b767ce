/// The vectorized circuit: a list of backward kernels recorded as operations run, played in reverse.
///
/// Recording order is already a topological order, so `backward` needs no sort and no recursion (deep
/// graphs never overflow the stack). Each operation on a `Variable` appends one closure.
///
/// The tape also owns an arena of output buffers. After `reset()`, the k-th buffer requested in the next
/// step is the k-th buffer of the previous step whenever nothing else still holds it, so a training loop
/// that runs the same operations every step allocates no new buffers once warm.
///
/// ```swift
/// let tape = Tape<Double>()
/// let x = tape.variable(try Tensor([[1, 2], [3, 4]]))
/// let y = try (x * x).sum()            // Σ x²
/// try tape.backward(y)
/// print(x.grad!)                       // 2x
/// ```
public final class Tape<Scalar: BLASScalar> {
    @usableFromInline var steps: [() throws -> Void] = []
    @usableFromInline var arena: [TensorStorage<Scalar>] = []
    @usableFromInline var arenaCursor = 0

    /// An empty tape.
    public init() {}

    /// Number of recorded backward kernels.
    public var count: Int { steps.count }

    /// Number of buffers the arena holds (stable across steps once a training loop is warm).
    public var arenaBufferCount: Int { arena.count }

    /// Appends a backward kernel; it runs when `backward` reaches it (in reverse recording order).
    @inlinable
    public func record(_ backward: @escaping () throws -> Void) { steps.append(backward) }

    /// A buffer of `shape` for an operation's output or a gradient, reused from the previous step when
    /// nothing outside the tape holds it. Its contents are unspecified: the caller writes all of it.
    @inlinable
    public func allocate(_ shape: [Int]) -> Tensor<Scalar> {
        let n = shape.reduce(1, *)
        defer { arenaCursor += 1 }
        if arenaCursor < arena.count {
            if arena[arenaCursor].capacity >= n && isKnownUniquelyReferenced(&arena[arenaCursor]) {
                return Tensor(storage: arena[arenaCursor], offset: 0, shape: shape)
            }
            arena[arenaCursor] = TensorStorage(capacity: n)
            return Tensor(storage: arena[arenaCursor], offset: 0, shape: shape)
        }
        arena.append(TensorStorage(capacity: n))
        return Tensor(storage: arena[arenaCursor], offset: 0, shape: shape)
    }

    /// A variable on this tape. `requiresGrad: false` makes a constant: no gradient is kept for it.
    public func variable(_ value: Tensor<Scalar>, requiresGrad: Bool = true) -> Variable<Scalar> {
        Variable(value, requiresGrad: requiresGrad, tape: self)
    }

    /// A constant on this tape (inputs, labels): operations use it but no gradient flows into it.
    public func constant(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        Variable(value, requiresGrad: false, tape: self)
    }

    /// Pulls on `output`: seeds its gradient with `seed` (ones by default, "force +1") and runs every
    /// recorded kernel in reverse, accumulating gradients into the variables that require them.
    /// - Throws: `TensorError.shapeMismatch` if `seed` does not have the output's shape.
    @inlinable
    public func backward(_ output: Variable<Scalar>, seed: Tensor<Scalar>? = nil) throws {
        if let seed {
            guard seed.shape == output.value.shape else {
                throw TensorError.shapeMismatch(op: "backward seed", lhs: seed.shape, rhs: output.value.shape)
            }
            try output.accumulate(seed)
        } else {
            let n = output.value.count
            output.accumulateGrad { g, add in
                if add { for i in 0..<n { g[i] += 1 } } else { g.update(repeating: 1, count: n) }
            }
        }
        for step in steps.reversed() { try step() }
    }

    /// Forgets the recorded kernels and rewinds the arena, ready for the next step. Gradients of
    /// parameters are kept (they live in the parameters); zero them with `Variable.zeroGrad()`.
    @inlinable
    public func reset() {
        steps.removeAll(keepingCapacity: true)
        arenaCursor = 0
    }
}

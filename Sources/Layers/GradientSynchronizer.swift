/// How a data-parallel run keeps several processes' models identical, as the trainer sees it.
///
/// Every process draws the same permutation from the same seed, so all agree on each global batch; the
/// trainer cuts it into `part.count` contiguous, near-equal parts and trains on part `part.index`. After
/// backward it hands the gradients to `synchronize`, which must leave in every parameter's gradient the
/// gradient of the whole global batch; every process then takes the same optimizer step. The trainer
/// knows nothing of how the processes talk: `Distributed` supplies an implementation over MPI, and
/// tests simulate processes with threads.
public protocol GradientSynchronizer<Scalar>: AnyObject {
    associatedtype Scalar: BLASScalar
    /// This process's part of each global batch: part `index` of `count`.
    var part: (index: Int, count: Int) { get }
    /// Replaces each parameter's gradient — this process's (weighted) mean over its part, plus the
    /// regularization gradient — by the global batch's. `share` is this part's weight in the global batch
    /// (its example count over the batch size, or with class weights its weight total over the batch's),
    /// so scaling by `share` and summing over processes gives exactly the single-process gradient, the
    /// regularization gradient counted once since the shares sum to 1. A process whose part is empty
    /// calls it with zero gradients and share 0.
    func synchronize(_ parameters: [Parameter<Scalar>], share: Double) throws
    /// Turns this process's epoch totals (loss × examples, correct predictions, examples) into the job's.
    func combine(lossSum: Double, correct: Int, seen: Int) throws -> (lossSum: Double, correct: Int, seen: Int)
}

/// The settings of a word2vec run. The defaults are `word2vec.c`'s (Mikolov et al. 2013a, 2013b), with
/// two exceptions that the command line states: the architecture defaults to skip-gram here (the C tool
/// defaults to CBOW) and the learning rate, when not given, is the C tool's default for the architecture
/// chosen (0.025 for skip-gram, 0.05 for CBOW).
public struct Word2VecConfiguration: Sendable, Equatable {
    public enum Architecture: String, Sendable, CaseIterable {
        /// Predict each context word from the centre word (Mikolov et al. 2013a, section 3.2).
        case skipGram = "skip-gram"
        /// Predict the centre word from the mean of its context (Mikolov et al. 2013a, section 3.1).
        case cbow
    }

    public var architecture: Architecture = .skipGram
    /// Dimension of the word vectors.
    public var size = 100
    /// Largest distance between a centre word and a context word; each centre word uses a window drawn
    /// uniformly from 1…window ("random shrinking", which weights near words more).
    public var window = 5
    /// Noise words per positive example (0: no negative sampling).
    public var negative = 5
    /// Hierarchical softmax over a Huffman tree (may be combined with negative sampling, as in the C tool).
    public var hierarchicalSoftmax = false
    /// Sub-sampling threshold t: a word of frequency f is kept with probability (√(f/t) + 1)·t/f
    /// (`word2vec.c`'s form of Mikolov et al. 2013b, eq. 5); 0 keeps every word.
    public var sample = 1e-3
    /// Words occurring fewer times are left out of the vocabulary.
    public var minCount = 5
    /// Starting learning rate; nil: 0.025 for skip-gram, 0.05 for CBOW. It decays linearly with the
    /// words processed to alpha·1e-4 at the end of the last iteration.
    public var alpha: Double? = nil
    /// Passes over the corpus.
    public var iterations = 5
    /// Hogwild threads (Recht et al. 2011), each on its own slice of the corpus. With 1 thread a run is
    /// deterministic: the same seed gives the same vectors bit for bit. With more it is not (updates race).
    public var threads = 1
    /// Seed of the initial vectors and of every random choice.
    public var seed: UInt64 = 1
    /// CBOW: average the context vectors (true, the C tool's `-cbow 1` behaviour) rather than sum them.
    public var cbowMean = true

    public init() {}

    /// The learning rate the run starts from.
    public var startingAlpha: Double { alpha ?? (architecture == .cbow ? 0.05 : 0.025) }

    /// - Throws: `Word2VecError.invalidSetting` naming the first setting out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ message: String) throws {
            if !ok { throw Word2VecError.invalidSetting(name: name, message: message) }
        }
        try check(size >= 1 && size <= 10_000, "size", "must be in 1…10000, got \(size)")
        try check(window >= 1 && window <= 1_000, "window", "must be in 1…1000, got \(window)")
        try check(negative >= 0 && negative <= 1_000, "negative", "must be in 0…1000, got \(negative)")
        try check(negative > 0 || hierarchicalSoftmax, "negative", "0 needs --hs 1 (some output layer must be trained)")
        try check(sample >= 0 && sample.isFinite, "sample", "must be ≥ 0, got \(sample)")
        try check(minCount >= 1, "min-count", "must be ≥ 1, got \(minCount)")
        try check(startingAlpha > 0 && startingAlpha.isFinite, "alpha", "must be > 0, got \(startingAlpha)")
        try check(iterations >= 1 && iterations <= 100_000, "iter", "must be in 1…100000, got \(iterations)")
        try check(threads >= 1 && threads <= 1_024, "threads", "must be in 1…1024, got \(threads)")
    }
}

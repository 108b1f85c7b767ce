import CKernels
import Foundation
import Synchronization

/// Where a run stands, as the progress callback sees it (about ten times a second).
public struct Word2VecProgress: Sendable {
    /// Corpus tokens processed so far by all threads (words in the vocabulary and line ends, counted before
    /// sub-sampling, as `word2vec.c` counts them), over all iterations.
    public var wordsProcessed: Int
    /// Tokens × iterations: `wordsProcessed` at the end of the run.
    public var totalWords: Int
    /// The learning rate at this point of the linear decay.
    public var alpha: Double
    /// Seconds since training started.
    public var seconds: Double

    public var fraction: Double { totalWords > 0 ? min(1, Double(wordsProcessed) / Double(totalWords)) : 1 }
}

/// What `Word2VecTrainer.train` returns.
public struct Word2VecResult: Sendable {
    public var vectors: WordVectors
    /// Wall-clock seconds of training (threads started to threads joined).
    public var seconds: Double
    /// Tokens processed (see `Word2VecProgress.wordsProcessed`); less than the total if interrupted.
    public var wordsProcessed: Int
    public var interrupted: Bool
}

/// Trains word vectors with skip-gram or CBOW, negative sampling and/or hierarchical softmax, as
/// `word2vec.c` does (Mikolov et al., "Efficient Estimation of Word Representations in Vector Space",
/// 2013a; "Distributed Representations of Words and Phrases and their Compositionality", 2013b):
/// sub-sampling of frequent words, windows shrunk at random, a learning rate decaying linearly from
/// alpha to alpha·1e-4 over all iterations, and Hogwild threads (Recht et al. 2011), each on its own
/// contiguous slice of the corpus, updating the shared matrices without locks.
///
/// With one thread the run is deterministic: same corpus, settings and seed, same vectors bit for bit.
public enum Word2VecTrainer {
    /// Trains on `corpus` (encoded with `vocabulary`).
    ///
    /// - Parameter progress: called about ten times a second on the calling thread; return false to stop
    ///   early (the vectors trained so far are returned, `interrupted` set).
    /// - Throws: `Word2VecError.invalidSetting` for a setting out of range or a corpus of no token.
    public static func train(corpus: TextCorpus, vocabulary: Vocabulary, configuration: Word2VecConfiguration,
                             progress: ((Word2VecProgress) -> Bool)? = nil) throws -> Word2VecResult {
        try configuration.validate()
        guard vocabulary.count >= 2 else {
            throw Word2VecError.invalidSetting(name: "vocabulary", message: "needs at least one word besides </s>")
        }
        guard corpus.tokens.count > 0 else { throw Word2VecError.invalidSetting(name: "corpus", message: "no word of the vocabulary occurs in the corpus") }
        let state = TrainingState(vocabulary: vocabulary, configuration: configuration, tokenCount: corpus.tokens.count)
        defer { state.deallocate() }
        let threads = min(configuration.threads, max(1, corpus.tokens.count))
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let finished = DispatchSemaphore(value: 0)
        corpus.tokens.withUnsafeBufferPointer { tokens in
            guard let base = tokens.baseAddress else { return }
            let shared = UnsafeTokens(base: base)
            for t in 0..<threads {
                let lower = tokens.count * t / threads, upper = tokens.count * (t + 1) / threads
                let worker = Worker(state: state, thread: t, tokens: shared.base, range: lower..<upper)
                let thread = Thread { worker.run(); worker.deallocate(); finished.signal() }
                thread.stackSize = 1 << 20
                thread.start()
            }
            var done = 0
            while done < threads {
                if finished.wait(timeout: .now() + .milliseconds(100)) == .success { done += 1; continue }
                if let progress, !state.stop.load(ordering: .relaxed) {
                    let words = state.wordsProcessed.load(ordering: .relaxed)
                    let p = Word2VecProgress(wordsProcessed: words, totalWords: state.totalWords, alpha: state.alpha(at: words), seconds: elapsed())
                    if !progress(p) { state.stop.store(true, ordering: .relaxed) }
                }
            }
        }
        let seconds = elapsed()
        let words = state.wordsProcessed.load(ordering: .relaxed)
        let interrupted = state.stop.load(ordering: .relaxed)
        if let progress, !interrupted {
            _ = progress(Word2VecProgress(wordsProcessed: words, totalWords: state.totalWords, alpha: state.alpha(at: words), seconds: seconds))
        }
        return Word2VecResult(vectors: try state.wordVectors(words: vocabulary.words), seconds: seconds,
                              wordsProcessed: words, interrupted: interrupted)
    }
}

/// A pointer handed to the worker threads (the array it points into outlives them).
private struct UnsafeTokens: @unchecked Sendable { let base: UnsafePointer<Int32> }

/// The matrices and tables every thread shares. The matrices are written by all threads without locks
/// (Hogwild); everything else is read-only once built.
final class TrainingState: @unchecked Sendable {
    let configuration: Word2VecConfiguration
    let vocabularySize: Int
    /// Floats per row: the vector size rounded up to 16 (64 bytes), so rows are cache-line aligned and
    /// the kernels need no tail; the padding stays zero.
    let stride: Int
    /// Input vectors (the word vectors), [vocabularySize × stride].
    let syn0: UnsafeMutablePointer<Float>
    /// Output vectors of negative sampling, [vocabularySize × stride], zero at the start.
    let syn1neg: UnsafeMutablePointer<Float>?
    /// Output vectors of the Huffman tree's inner nodes, [(vocabularySize − 1) × stride].
    let syn1: UnsafeMutablePointer<Float>?
    /// The tables below are copied out of their arrays once, so the threads read them through plain
    /// pointers (no reference counting or bounds checks in the loop).
    let sigmoid: UnsafeMutablePointer<Float>
    /// Probability of keeping each word under sub-sampling, scaled to 2³² (2³² or more: always kept).
    let keep: UnsafeMutablePointer<UInt64>
    let noise: UnsafeMutablePointer<NoiseDistribution.Entry>
    let noiseCount: Int
    /// The Huffman tree's paths (`HuffmanTree`), when hierarchical softmax is on.
    let codes: UnsafeMutablePointer<UInt8>?
    let points: UnsafeMutablePointer<Int32>?
    let offsets: UnsafeMutablePointer<Int>?
    /// The longest Huffman path (1 without hierarchical softmax).
    let longestPath: Int
    let totalWords: Int
    let tokensPerIteration: Int
    let startingAlpha: Double
    /// The inner-loop kernel: `circuits_w2v_kernel()`'s choice for this CPU (2 AVX-512, 1 AVX2+FMA,
    /// 0 portable C), or -1 for the Swift reference kernels. `CIRCUITS_W2V_KERNEL=swift|portable|avx2|avx512`
    /// forces one (to measure them against each other; a level the CPU lacks falls back to its best).
    let kernel: Int32
    let wordsProcessed = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)

    init(vocabulary: Vocabulary, configuration c: Word2VecConfiguration, tokenCount: Int) {
        configuration = c
        vocabularySize = vocabulary.count
        stride = (c.size + 15) / 16 * 16
        let rows = vocabularySize * stride
        func matrix(_ count: Int) -> UnsafeMutablePointer<Float> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            return raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        }
        syn0 = matrix(rows)
        // word2vec.c's initialisation: uniform in [−0.5, 0.5)/size, row by row from one seeded stream.
        var rng = SplitMix64(seed: c.seed, stream: -1)
        for w in 0..<vocabularySize {
            for j in 0..<c.size { syn0[w * stride + j] = (rng.unitFloat() - 0.5) / Float(c.size) }
        }
        syn1neg = c.negative > 0 ? matrix(rows) : nil
        syn1 = c.hierarchicalSoftmax ? matrix((vocabularySize - 1) * stride) : nil
        func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
            _ = UnsafeMutableBufferPointer(start: p, count: array.count).initialize(from: array)
            return p
        }
        sigmoid = copy(SigmoidTable.make())
        let threshold = c.sample * Double(vocabulary.trainWords)
        keep = copy(vocabulary.counts.map { count in
            guard c.sample > 0, count > 0 else { return 1 << 32 }
            let p = ((Double(count) / threshold).squareRoot() + 1) * threshold / Double(count)
            return p >= 1 ? 1 << 32 : UInt64(p * 4_294_967_296.0)
        })
        let entries = NoiseDistribution(counts: vocabulary.counts).entries
        noise = copy(entries)
        noiseCount = entries.count
        if c.hierarchicalSoftmax {
            let tree = HuffmanTree(counts: vocabulary.counts)
            codes = copy(tree.codes)
            points = copy(tree.points)
            offsets = copy(tree.offsets)
            longestPath = zip(tree.offsets.dropFirst(), tree.offsets).map { $0 - $1 }.max() ?? 1
        } else {
            codes = nil; points = nil; offsets = nil; longestPath = 1
        }
        tokensPerIteration = tokenCount
        totalWords = tokenCount * c.iterations
        startingAlpha = c.startingAlpha
        let best = circuits_w2v_kernel()
        switch ProcessInfo.processInfo.environment["CIRCUITS_W2V_KERNEL"] {
        case "swift": kernel = -1
        case "portable": kernel = 0
        case "avx2": kernel = min(best, 1)
        default: kernel = best
        }
    }

    /// The learning rate after `words` tokens: linear from alpha to alpha·1e-4 (`word2vec.c`'s schedule).
    func alpha(at words: Int) -> Double {
        max(startingAlpha * (1 - Double(words) / Double(totalWords + 1)), startingAlpha * 1e-4)
    }

    func wordVectors(words: [String]) throws -> WordVectors {
        let size = configuration.size
        var out = [Float](repeating: 0, count: vocabularySize * size)
        for w in 0..<vocabularySize {
            for j in 0..<size { out[w * size + j] = syn0[w * stride + j] }
        }
        return try WordVectors(words: words, size: size, vectors: out)
    }

    func deallocate() {
        syn0.deallocate()
        syn1neg?.deallocate()
        syn1?.deallocate()
        sigmoid.deallocate(); keep.deallocate(); noise.deallocate()
        codes?.deallocate(); points?.deallocate(); offsets?.deallocate()
    }
}

/// One Hogwild thread: its slice of the corpus, its random stream, its scratch vectors.
final class Worker: @unchecked Sendable {
    let state: TrainingState
    let tokens: UnsafePointer<Int32>
    let range: Range<Int>
    var rng: SplitMix64
    let neu1: UnsafeMutablePointer<Float>
    let neu1e: UnsafeMutablePointer<Float>
    /// The current sentence after sub-sampling (at most `maxSentence` words, as in `word2vec.c`).
    let sentence: UnsafeMutablePointer<Int32>
    /// Targets and labels of one output-layer update.
    let targets: UnsafeMutablePointer<Int32>
    let labels: UnsafeMutablePointer<Float>
    static let maxSentence = 1000

    init(state: TrainingState, thread: Int, tokens: UnsafePointer<Int32>, range: Range<Int>) {
        self.state = state
        self.tokens = tokens
        self.range = range
        rng = SplitMix64(seed: state.configuration.seed, stream: thread)
        func scratch(_ n: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64).initializeMemory(as: Float.self, repeating: 0, count: n)
        }
        neu1 = scratch(state.stride)
        neu1e = scratch(state.stride)
        sentence = .allocate(capacity: Self.maxSentence)
        let slots = max(state.configuration.negative + 1, state.longestPath)
        targets = .allocate(capacity: slots)
        labels = .allocate(capacity: slots)
        labels.initialize(repeating: 0, count: slots)
    }

    func deallocate() {
        neu1.deallocate(); neu1e.deallocate(); sentence.deallocate(); targets.deallocate(); labels.deallocate()
    }

    func run() {
        let c = state.configuration
        let stride = state.stride
        let window = c.window
        let skipGram = c.architecture == .skipGram
        var alpha = Float(state.startingAlpha)
        var wordCount = 0, lastWordCount = 0
        let keep = state.keep, sigmoid = state.sigmoid, noise = state.noise, noiseCount = state.noiseCount
        let sampling = c.sample > 0
            for _ in 0..<c.iterations {
                var position = range.lowerBound
                while position < range.upperBound {
                    if wordCount - lastWordCount > 10_000 {
                        let total = state.wordsProcessed.add(wordCount - lastWordCount, ordering: .relaxed).newValue
                        lastWordCount = wordCount
                        alpha = Float(state.alpha(at: total))
                        if state.stop.load(ordering: .relaxed) { return }
                    }
                    // One sentence: tokens up to a line end, sub-sampled, at most maxSentence kept.
                    var length = 0
                    while position < range.upperBound {
                        let w = tokens[position]
                        position += 1
                        wordCount += 1
                        if w == 0 { break }
                        if sampling && (rng.next() & 0xFFFF_FFFF) >= keep[Int(w)] { continue }
                        sentence[length] = w
                        length += 1
                        if length >= Self.maxSentence { break }
                    }
                    for i in 0..<length {
                        let word = Int(sentence[i])
                        let shrink = rng.below(window)
                        let lower = max(0, i - window + shrink), upper = min(length - 1, i + window - shrink)
                        if skipGram {
                            for j in lower...upper where j != i {
                                let input = state.syn0 + Int(sentence[j]) * stride
                                VectorKernels.zero(neu1e, stride)
                                outputLayers(input: input, word: word, alpha: alpha, sigmoid: sigmoid, noise: noise, noiseCount: noiseCount)
                                VectorKernels.axpy(1, neu1e, input, stride)
                            }
                        } else {
                            VectorKernels.zero(neu1, stride)
                            var contexts = 0
                            for j in lower...upper where j != i {
                                VectorKernels.axpy(1, state.syn0 + Int(sentence[j]) * stride, neu1, stride)
                                contexts += 1
                            }
                            if contexts == 0 { continue }
                            if c.cbowMean { let n = Float(contexts); for k in 0..<stride { neu1[k] /= n } }
                            VectorKernels.zero(neu1e, stride)
                            outputLayers(input: neu1, word: word, alpha: alpha, sigmoid: sigmoid, noise: noise, noiseCount: noiseCount)
                            for j in lower...upper where j != i {
                                VectorKernels.axpy(1, neu1e, state.syn0 + Int(sentence[j]) * stride, stride)
                            }
                        }
                    }
                }
                // The iteration's last words count too, so the progress reaches its total.
                state.wordsProcessed.add(wordCount - lastWordCount, ordering: .relaxed)
                lastWordCount = wordCount
            }
    }

    /// Hierarchical softmax then negative sampling for one input vector and centre word, accumulating the
    /// input's gradient step in `neu1e`.
    @inline(__always)
    private func outputLayers(input: UnsafeMutablePointer<Float>, word: Int, alpha: Float, sigmoid: UnsafePointer<Float>,
                              noise: UnsafePointer<NoiseDistribution.Entry>, noiseCount: Int) {
        if let syn1 = state.syn1, let codes = state.codes, let points = state.points, let offsets = state.offsets {
            let from = offsets[word], to = offsets[word + 1]
            for d in from..<to {
                targets[d - from] = points[d]
                labels[d - from] = 1 - Float(codes[d])
            }
            update(input: input, rows: syn1, count: to - from, alpha: alpha, sigmoid: sigmoid, skipOutside: true)
        }
        if let syn1neg = state.syn1neg {
            targets[0] = Int32(truncatingIfNeeded: word)
            labels[0] = 1
            var count = 1
            for _ in 0..<state.configuration.negative {
                let r = rng.next()
                let i = Int(truncatingIfNeeded: ((r >> 32) &* UInt64(truncatingIfNeeded: noiseCount)) >> 32)
                let e = noise[i]
                let target = UInt32(truncatingIfNeeded: r) < e.threshold ? Int32(truncatingIfNeeded: i) : e.alias
                if Int(target) == word { continue }
                targets[count] = target
                labels[count] = 0
                count += 1
            }
            update(input: input, rows: syn1neg, count: count, alpha: alpha, sigmoid: sigmoid, skipOutside: false)
        }
    }

    @inline(__always)
    private func update(input: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>, count: Int, alpha: Float,
                        sigmoid: UnsafePointer<Float>, skipOutside: Bool) {
        if state.kernel >= 0 {
            circuits_w2v_update(state.kernel, input, neu1e, rows, targets, labels, count, alpha, state.stride, sigmoid, skipOutside ? 1 : 0)
        } else {
            VectorKernels.update(input: input, neu1e: neu1e, rows: rows, targets: targets, labels: labels, count: count,
                                 alpha: alpha, stride: state.stride, sigmoid: sigmoid, skipOutside: skipOutside)
        }
    }
}

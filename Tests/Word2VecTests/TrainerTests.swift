import CKernels
import Foundation
import Testing
@testable import Word2Vec

@Suite("Training")
struct TrainerTests {
    static func configuration(_ architecture: Word2VecConfiguration.Architecture = .skipGram, negative: Int = 5, hs: Bool = false) -> Word2VecConfiguration {
        var c = Word2VecConfiguration()
        c.architecture = architecture
        c.size = 24
        c.window = 4
        c.negative = negative
        c.hierarchicalSoftmax = hs
        c.minCount = 1
        c.iterations = 4
        c.threads = 1
        c.seed = 7
        c.sample = 1e-2
        return c
    }

    /// Fraction of each topic word's 3 nearest topic-word neighbours that share its topic.
    static func topicPurity(_ v: WordVectors, _ corpus: TopicCorpus) throws -> Double {
        var right = 0, total = 0
        for t in 0..<corpus.topics {
            for k in 0..<corpus.wordsPerTopic {
                let neighbours = try v.mostSimilar(to: corpus.word(topic: t, k), count: 8)
                    .filter { $0.word.hasPrefix("t") }.prefix(3)
                right += neighbours.filter { $0.word.hasPrefix("t\(t)w") }.count
                total += neighbours.count
            }
        }
        return Double(right) / Double(max(total, 1))
    }

    @Test("skip-gram, CBOW and hierarchical softmax each put a topic's words together", arguments: [
        (Word2VecConfiguration.Architecture.skipGram, 5, false), (.cbow, 5, false), (.skipGram, 0, true), (.cbow, 0, true),
    ])
    func learnsTopics(architecture: Word2VecConfiguration.Architecture, negative: Int, hs: Bool) throws {
        let corpus = TopicCorpus()
        let result = try train(corpus.text, Self.configuration(architecture, negative: negative, hs: hs))
        #expect(!result.interrupted)
        #expect(result.vectors.vectors.allSatisfy { $0.isFinite })
        let purity = try Self.topicPurity(result.vectors, corpus)
        #expect(purity > 0.9, "\(architecture) negative \(negative) hs \(hs): purity \(purity)")
    }

    @Test("one thread is deterministic: the same seed gives the same vectors bit for bit, another seed others")
    func deterministic() throws {
        let text = TopicCorpus().text
        var c = Self.configuration()
        c.hierarchicalSoftmax = true
        let a = try train(text, c), b = try train(text, c)
        #expect(a.vectors.vectors.map(\.bitPattern) == b.vectors.vectors.map(\.bitPattern))
        c.seed = 8
        let other = try train(text, c)
        #expect(other.vectors.vectors != a.vectors.vectors)
    }

    @Test("two Hogwild threads train as well as one and process every token")
    func hogwild() throws {
        let corpus = TopicCorpus()
        var c = Self.configuration()
        c.threads = 2
        let result = try train(corpus.text, c)
        let tokens = corpus.sentences * (corpus.sentenceLength + 1)
        #expect(result.wordsProcessed == tokens * c.iterations)
        #expect(try Self.topicPurity(result.vectors, corpus) > 0.9)
    }

    @Test("the progress callback sees the learning rate decay, and returning false stops the run")
    func progressAndStop() throws {
        var corpus = TopicCorpus()
        corpus.sentences = 20_000
        var c = Self.configuration()
        c.iterations = 3
        var seen: [Word2VecProgress] = []
        let result = try withBytes(corpus.text) { bytes in
            let vocabulary = try Vocabulary.learn(from: bytes, file: "c", minCount: 1)
            let encoded = TextCorpus(text: bytes, vocabulary: vocabulary)
            return try Word2VecTrainer.train(corpus: encoded, vocabulary: vocabulary, configuration: c) { p in
                seen.append(p)
                return false
            }
        }
        #expect(result.interrupted)
        #expect(result.wordsProcessed < 20_000 * 11 * 3)
        #expect(seen.count == 1 && seen[0].alpha <= 0.025 && seen[0].alpha > 0.025 * 1e-4)
    }

    @Test("settings out of range are refused by name")
    func settings() {
        var c = Word2VecConfiguration()
        c.negative = 0
        #expect(throws: Word2VecError.invalidSetting(name: "negative", message: "0 needs --hs 1 (some output layer must be trained)")) { try c.validate() }
        c = Word2VecConfiguration()
        c.window = 0
        #expect(throws: (any Error).self) { try c.validate() }
        #expect(Word2VecConfiguration().startingAlpha == 0.025)
        c.architecture = .cbow
        #expect(c.startingAlpha == 0.05)
    }

    @Test("the C kernels (portable, AVX2, AVX-512 where the CPU has them) agree with the Swift reference")
    func kernels() {
        let stride = 112, rowsCount = 9, count = 6
        var rng = SplitMix64(seed: 3)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in (rng.unitFloat() - 0.5) * 0.8 } }
        let input = random(stride), startRows = random(rowsCount * stride)
        // Target 4 twice: the second use must see the first update, as in word2vec.c.
        let targets: [Int32] = [4, 1, 7, 4, 0, 8]
        let labels: [Float] = [1, 0, 0, 0, 0, 0]
        let sigmoid = SigmoidTable.make()
        func run(_ kernel: Int32?) -> ([Float], [Float]) {
            var rows = startRows, neu1e = [Float](repeating: 0, count: stride)
            if let kernel {
                circuits_w2v_update(kernel, input, &neu1e, &rows, targets, labels, count, 0.3, stride, sigmoid, 0)
            } else {
                rows.withUnsafeMutableBufferPointer { r in neu1e.withUnsafeMutableBufferPointer { e in
                    VectorKernels.update(input: input, neu1e: e.baseAddress!, rows: r.baseAddress!, targets: targets, labels: labels,
                                         count: count, alpha: 0.3, stride: stride, sigmoid: sigmoid, skipOutside: false)
                } }
            }
            return (rows, neu1e)
        }
        let reference = run(nil)
        #expect(reference.0 != startRows)
        for kernel in 0...circuits_w2v_kernel() {
            let (rows, neu1e) = run(kernel)
            let worst = zip(rows + neu1e, reference.0 + reference.1).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "kernel \(kernel): worst difference \(worst)")
        }
    }
}

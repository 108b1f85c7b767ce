import Foundation
@testable import Word2Vec

/// A small generated language: `topics` groups of words, each sentence drawn from one group, plus two
/// very frequent filler words in every sentence (so sub-sampling has something to drop). Words of one
/// topic share their contexts, so trained vectors should put them near each other.
struct TopicCorpus {
    var topics = 4
    var wordsPerTopic = 10
    var sentences = 1500
    var sentenceLength = 10
    var seed: UInt64 = 11

    func word(topic: Int, _ k: Int) -> String { "t\(topic)w\(k)" }

    var text: String {
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        for _ in 0..<sentences {
            let t = rng.below(topics)
            var words: [String] = []
            for i in 0..<sentenceLength {
                words.append(i % 4 == 0 ? (rng.below(2) == 0 ? "the" : "of") : word(topic: t, rng.below(wordsPerTopic)))
            }
            lines.append(words.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBufferPointer(body)
}

/// Trains on `text` with `configuration` (vocabulary counted from the text).
func train(_ text: String, _ configuration: Word2VecConfiguration) throws -> Word2VecResult {
    try withBytes(text) { bytes in
        let vocabulary = try Vocabulary.learn(from: bytes, file: "corpus", minCount: configuration.minCount)
        let corpus = TextCorpus(text: bytes, vocabulary: vocabulary)
        return try Word2VecTrainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration)
    }
}

func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("w2v-\(UUID().uuidString.prefix(8))-\(name)")
}

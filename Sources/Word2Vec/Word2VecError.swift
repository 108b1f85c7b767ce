/// What can go wrong reading a corpus, training or reading vectors. Each case names the file (or word)
/// at fault and, for malformed files, the byte offset and what was expected there.
public enum Word2VecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The corpus has no word at all.
    case emptyCorpus(file: String)
    /// No word (other than the line end `</s>`) occurs at least `minCount` times.
    case noWordAboveMinCount(file: String, minCount: Int, distinctWords: Int)
    /// A query word that is not in the vocabulary.
    case unknownWord(String)
    /// A vectors or vocabulary file that does not follow its format.
    case malformed(file: String, offset: Int, expected: String, found: String)
    /// A file that cannot be read or written.
    case io(file: String, message: String)
    /// A setting outside its range (the command line checks these first; this guards the library API).
    case invalidSetting(name: String, message: String)

    public var description: String {
        switch self {
        case let .emptyCorpus(file):
            return "\(file): the corpus is empty (no words)"
        case let .noWordAboveMinCount(file, minCount, distinct):
            return "\(file): no word occurs at least \(minCount) times (min-count) among \(distinct) distinct words; lower --min-count or use a larger corpus"
        case let .unknownWord(word):
            return "'\(word)' is not in the vocabulary"
        case let .malformed(file, offset, expected, found):
            return "\(file): malformed at byte offset \(offset): expected \(expected), found \(found)"
        case let .io(file, message):
            return "\(file): \(message)"
        case let .invalidSetting(name, message):
            return "\(name): \(message)"
        }
    }
}

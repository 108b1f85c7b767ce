/// Splits a corpus into words the way `word2vec.c` reads its training file: words are separated by
/// spaces, tabs and line ends, and every line end is itself a token, `</s>`, which ends a sentence
/// (windows never cross it). Carriage returns separate words too, so CRLF files read like LF files.
/// Words are byte strings: no case folding, no Unicode normalisation, no length limit.
enum Tokenizer {
    /// Calls `word(start, length)` for each word of `text` and `lineEnd()` for each `\n`, in order.
    @inline(__always)
    static func scan(_ text: UnsafeBufferPointer<UInt8>, word: (Int, Int) -> Void, lineEnd: () -> Void) {
        guard let base = text.baseAddress else { return }
        var start = -1
        for i in 0..<text.count {
            let b = base[i]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D {
                if start >= 0 { word(start, i - start); start = -1 }
                if b == 0x0A { lineEnd() }
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { word(start, text.count - start) }
    }
}

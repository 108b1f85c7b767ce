import Foundation

/// `word2vec.c`'s two file formats, which gensim's `KeyedVectors.load_word2vec_format` and most tools
/// read:
/// - text: a header line `words size`, then one line per word: the word and its `size` numbers,
///   separated by spaces;
/// - binary: the same header line, then per word: the word's bytes, a space, `size` little-endian
///   float32 values (4·size bytes), and a line feed.
extension WordVectors {
    public enum Format: String, Sendable, CaseIterable { case text, binary }

    /// Writes the vectors atomically (a temporary file renamed into place).
    /// Text numbers are written in their shortest form that reads back to the same float.
    /// - Throws: `Word2VecError.io` when the file cannot be written.
    public func write(to url: URL, format: Format) throws {
        var data = Data()
        data.append(contentsOf: Array("\(count) \(size)\n".utf8))
        switch format {
        case .text:
            var line = ""
            for (i, word) in words.enumerated() {
                line.removeAll(keepingCapacity: true)
                line += word
                for j in 0..<size { line += " "; line += vectors[i * size + j].description }
                line += "\n"
                data.append(contentsOf: Array(line.utf8))
            }
        case .binary:
            data.reserveCapacity(count * (size * 4 + 16))
            vectors.withUnsafeBufferPointer { v in
                for (i, word) in words.enumerated() {
                    data.append(contentsOf: Array(word.utf8))
                    data.append(0x20)
                    // Little-endian on every platform Swift runs on here (x86-64, arm64).
                    data.append(UnsafeBufferPointer(start: v.baseAddress! + i * size, count: size))
                    data.append(0x0A)
                }
            }
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw Word2VecError.io(file: url.path, message: "cannot write the vectors: \(error.localizedDescription)")
        }
    }

    /// Reads vectors in either format (`nil`: the format is recognised from the first record).
    /// - Throws: `Word2VecError.malformed` with the byte offset of the first problem (a bad header, a
    ///   truncated record, a number that does not parse, a wrong count of numbers); `.io` when the file
    ///   cannot be read.
    public static func read(from url: URL, format: Format? = nil) throws -> WordVectors {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw Word2VecError.io(file: url.path, message: "cannot read the vectors: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { raw in
            var parser = VectorFileParser(bytes: raw.bindMemory(to: UInt8.self), file: url.path)
            return try parser.parse(format: format)
        }
    }
}

/// A cursor over a vectors file that reports every problem with its byte offset.
private struct VectorFileParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    func fail(_ expected: String, found: String? = nil, at position: Int? = nil) -> Word2VecError {
        let at = position ?? offset
        return .malformed(file: file, offset: at, expected: expected, found: found ?? describe(at))
    }

    /// What is at `position`, for an error message.
    func describe(_ position: Int) -> String {
        guard position < bytes.count else { return "the end of the file" }
        var end = position
        while end < bytes.count && end - position < 24 && bytes[end] != 0x0A { end += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        return text.isEmpty ? "a line end" : "'\(text)'"
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

    /// The next field of the current line (skipping spaces, never crossing a line end).
    mutating func field() -> Range<Int>? {
        while offset < bytes.count && Self.isSpace(bytes[offset]) { offset += 1 }
        let start = offset
        while offset < bytes.count && !Self.isSpace(bytes[offset]) && bytes[offset] != 0x0A { offset += 1 }
        return start < offset ? start..<offset : nil
    }

    func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }

    func float(_ r: Range<Int>) -> Float? {
        // strtof on a bounded copy: Float(Substring) would build a String per number.
        var buffer = [CChar](repeating: 0, count: min(r.count, 63) + 1)
        guard r.count <= 63 else { return nil }
        for (k, i) in r.enumerated() { buffer[k] = CChar(bitPattern: bytes[i]) }
        return buffer.withUnsafeMutableBufferPointer { b -> Float? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtof(b.baseAddress!, &end)
            guard let end, end - b.baseAddress! == r.count, v.isFinite else { return nil }
            return v
        }
    }

    /// Moves past the rest of the line (which must be blank) and its line end.
    mutating func endLine(_ what: String) throws {
        while offset < bytes.count && Self.isSpace(bytes[offset]) { offset += 1 }
        if offset < bytes.count {
            guard bytes[offset] == 0x0A else { throw fail("the end of the line after \(what)") }
            offset += 1
        }
    }

    mutating func parse(format: WordVectors.Format?) throws -> WordVectors {
        guard let countField = field(), let count = Int(string(countField)), count >= 0 else {
            throw fail("a header 'words size' (two integers)", at: 0)
        }
        guard let sizeField = field(), let size = Int(string(sizeField)), size >= 1, size <= 1 << 20 else {
            throw fail("the vector size (an integer ≥ 1) in the header")
        }
        try endLine("the header")
        guard count <= bytes.count / (size + 1) + 1 else {
            throw fail("a file large enough for \(count) vectors of size \(size)", found: "\(bytes.count) bytes in all", at: 0)
        }
        let resolved = format ?? detect(size: size)
        var words: [String] = []
        words.reserveCapacity(count)
        var vectors = [Float](repeating: 0, count: count * size)
        try vectors.withUnsafeMutableBufferPointer { out in
            for k in 0..<count {
                switch resolved {
                case .binary: try binaryRecord(k, of: count, size: size, into: out.baseAddress! + k * size, words: &words)
                case .text: try textRecord(k, of: count, size: size, into: out.baseAddress! + k * size, words: &words)
                }
            }
        }
        while offset < bytes.count && (Self.isSpace(bytes[offset]) || bytes[offset] == 0x0A) { offset += 1 }
        guard offset == bytes.count else { throw fail("the end of the file after \(count) words (the header's count)") }
        return try WordVectors(words: words, size: size, vectors: vectors)
    }

    /// Text when the first record's line holds a word and exactly `size` numbers, binary otherwise.
    func detect(size: Int) -> WordVectors.Format {
        var probe = self
        while probe.offset < bytes.count && bytes[probe.offset] == 0x0A { probe.offset += 1 }
        guard probe.field() != nil else { return .text }
        for _ in 0..<size {
            guard let r = probe.field(), probe.float(r) != nil else { return .binary }
        }
        return probe.field() == nil ? .text : .binary
    }

    mutating func textRecord(_ k: Int, of count: Int, size: Int, into out: UnsafeMutablePointer<Float>, words: inout [String]) throws {
        while offset < bytes.count && (bytes[offset] == 0x0A || Self.isSpace(bytes[offset])) { offset += 1 }
        guard let w = field() else { throw fail("word \(k + 1) of \(count) (the header's count)") }
        let word = string(w)
        for j in 0..<size {
            let before = offset
            guard let r = field() else {
                throw fail("number \(j + 1) of \(size) of the vector of '\(word)'", found: j == 0 ? nil : "only \(j) numbers")
            }
            guard let v = float(r) else { throw fail("a finite number in the vector of '\(word)'", found: "'\(string(r))'", at: r.lowerBound > before ? r.lowerBound : before) }
            out[j] = v
        }
        try endLine("the \(size) numbers of '\(word)'")
        words.append(word)
    }

    mutating func binaryRecord(_ k: Int, of count: Int, size: Int, into out: UnsafeMutablePointer<Float>, words: inout [String]) throws {
        // word2vec.c ends each vector with a line feed; gensim and the C readers skip it before the word.
        while offset < bytes.count && (bytes[offset] == 0x0A || bytes[offset] == 0x0D) { offset += 1 }
        let start = offset
        while offset < bytes.count && bytes[offset] != 0x20 { offset += 1 }
        guard offset < bytes.count, offset > start else {
            throw fail("word \(k + 1) of \(count) (the header's count) followed by a space", at: start)
        }
        let word = string(start..<offset)
        offset += 1
        let need = 4 * size
        guard bytes.count - offset >= need else {
            throw fail("\(need) bytes of the vector of '\(word)' (word \(k + 1) of \(count))", found: "\(bytes.count - offset) bytes before the end of the file (truncated)")
        }
        UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress! + offset, byteCount: need)
        for j in 0..<size where !out[j].isFinite {
            throw fail("finite float32 values in the vector of '\(word)'", found: "\(out[j])", at: offset + 4 * j)
        }
        offset += need
        words.append(word)
    }
}

/// A small, strict JSON reader and writer for safetensors headers.
///
/// Why not `JSONSerialization`: it silently keeps one of two duplicate keys, and a safetensors file whose
/// header names a tensor twice is exactly the kind of ambiguous file a loader must refuse (two readers
/// could disagree on which weights they loaded). This reader keeps every key of an object in file order,
/// so the caller sees duplicates; it accepts RFC 8259 JSON and nothing else (no comments, no trailing
/// commas, no NaN literals, no unescaped control characters, no invalid UTF-8, no lone surrogates).
///
/// It is a recursive-descent parser with an explicit nesting limit: a header needs depth 3, and the limit
/// keeps a hostile `[[[[…` from overflowing the stack.
enum SafeTensorsJSON {
    /// A parsed JSON value. Numbers keep their source text: the caller decides whether it wants an exact
    /// integer (shapes, offsets) and rejects everything else, instead of going through `Double`.
    indirect enum Value: Equatable {
        case object([(key: String, value: Value)])
        case array([Value])
        case string(String)
        case number(String)
        case bool(Bool)
        case null

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case let (.object(a), .object(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            case let (.array(a), .array(b)): return a == b
            case let (.string(a), .string(b)): return a == b
            case let (.number(a), .number(b)): return a == b
            case let (.bool(a), .bool(b)): return a == b
            case (.null, .null): return true
            default: return false
            }
        }

        /// A short name for messages: "an object", "a string", ….
        var kindDescription: String {
            switch self {
            case .object: return "an object"
            case .array: return "an array"
            case .string: return "a string"
            case .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            }
        }
    }

    /// Where and why the text is not JSON. `offset` counts bytes from the start of the parsed text.
    struct SyntaxError: Error, Equatable {
        var offset: Int
        var reason: String
    }

    /// Parses the one JSON value that `bytes` holds; only JSON whitespace may surround it.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 16) throws(SyntaxError) -> Value {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw SyntaxError(offset: parser.position, reason: "unexpected \(parser.describeByte()) after the JSON value")
        }
        return value
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        let maxDepth: Int
        var position = 0

        init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        var atEnd: Bool { position >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[position] }

        func describeByte() -> String {
            guard let b = current else { return "end of text" }
            if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x" + String(b, radix: 16, uppercase: true)
        }

        func error(_ reason: String) -> SyntaxError { SyntaxError(offset: position, reason: reason) }

        mutating func skipWhitespace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
            guard current == byte else { throw error("expected \(what), found \(describeByte())") }
            position += 1
        }

        mutating func parseValue(depth: Int) throws(SyntaxError) -> Value {
            guard let b = current else { throw error("expected a value, found end of text") }
            switch b {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try parseLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw error("expected a value, found \(describeByte())")
            }
        }

        mutating func parseLiteral(_ word: StaticString) throws(SyntaxError) {
            let start = position
            for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
                guard current == expected else {
                    position = start
                    throw error("invalid literal, expected \(word)")
                }
                position += 1
            }
        }

        mutating func parseObject(depth: Int) throws(SyntaxError) -> Value {
            guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
            position += 1  // "{"
            var members: [(key: String, value: Value)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key, found \(describeByte())") }
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append((key, value))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(members)
            }
        }

        mutating func parseArray(depth: Int) throws(SyntaxError) -> Value {
            guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
            position += 1  // "["
            var elements: [Value] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(elements)
            }
        }

        /// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func parseNumber() throws(SyntaxError) -> String {
            let start = position
            func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            if current == UInt8(ascii: "-") { position += 1 }
            if current == UInt8(ascii: "0") {
                position += 1
                if isDigit(current) { throw error("leading zero in a number") }
            } else {
                guard isDigit(current) else { throw error("expected a digit, found \(describeByte())") }
                while isDigit(current) { position += 1 }
            }
            if current == UInt8(ascii: ".") {
                position += 1
                guard isDigit(current) else { throw error("expected a digit after '.', found \(describeByte())") }
                while isDigit(current) { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard isDigit(current) else { throw error("expected a digit in the exponent, found \(describeByte())") }
                while isDigit(current) { position += 1 }
            }
            // The grammar admits only ASCII, so this decoding cannot fail or replace anything.
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }

        /// A string literal; the opening quote is at `position`. Escapes are decoded, raw bytes are
        /// validated as UTF-8 at the end so a header cannot smuggle invalid text into tensor names.
        mutating func parseString() throws(SyntaxError) -> String {
            let start = position
            position += 1  // opening quote
            var utf8: [UInt8] = []
            while true {
                guard let b = current else {
                    position = start
                    throw error("unterminated string")
                }
                switch b {
                case UInt8(ascii: "\""):
                    position += 1
                    guard let text = String(validating: utf8, as: UTF8.self) else {
                        position = start
                        throw error("string is not valid UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    position += 1
                    try parseEscape(into: &utf8)
                case 0x00..<0x20:
                    throw error("unescaped control character 0x\(String(b, radix: 16, uppercase: true)) in a string")
                default:
                    utf8.append(b)
                    position += 1
                }
            }
        }

        mutating func parseEscape(into utf8: inout [UInt8]) throws(SyntaxError) {
            guard let e = current else { throw error("unterminated escape") }
            position += 1
            switch e {
            case UInt8(ascii: "\""): utf8.append(0x22)
            case UInt8(ascii: "\\"): utf8.append(0x5C)
            case UInt8(ascii: "/"): utf8.append(0x2F)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try parseHex4())
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate is only valid as the first half of a \uXXXX\uXXXX pair.
                    guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired high surrogate in a \\u escape")
                    }
                    position += 2
                    let low = UInt32(try parseHex4())
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("high surrogate not followed by a low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired low surrogate in a \\u escape")
                }
                // Surrogates are excluded above, so every remaining value is a Unicode scalar.
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                utf8.append(contentsOf: UTF8.encode(unicode)!)
            default:
                position -= 1
                throw error("invalid escape: \(describeByte()) after a backslash")
            }
        }

        mutating func parseHex4() throws(SyntaxError) -> UInt16 {
            var value: UInt16 = 0
            for _ in 0..<4 {
                guard let b = current else { throw error("unterminated \\u escape") }
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
                default: throw error("expected a hex digit in a \\u escape, found \(describeByte())")
                }
                value = value << 4 | UInt16(digit)
                position += 1
            }
            return value
        }
    }

    // MARK: Writing

    /// `text` as a JSON string literal, quotes included. Only what JSON requires is escaped (quote,
    /// backslash, control characters); other characters stay raw UTF-8, which JSON allows.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

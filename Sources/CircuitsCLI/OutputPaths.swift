import Foundation

/// Checks the files a command will write before it starts its work, so a mistyped `--report` or
/// `--out` is an error in the first second, not after minutes of training (and not Foundation's
/// NSError text at the end).
enum OutputPaths {
    /// For each option given: the path is not a directory, and its directory exists and is writable.
    /// - Throws: `CLIError.usage` naming the option, the path and what is wrong.
    static func check(_ arguments: ParsedArguments, options: [String]) throws {
        let files = FileManager.default
        for option in options {
            guard let path = arguments.string(option) else { continue }
            let bad = { (why: String) in CLIError.usage("--\(option) \(path): \(why)", command: arguments.command) }
            guard !path.isEmpty else { throw bad("an empty path") }
            var isDirectory: ObjCBool = false
            if files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw bad("is a directory; give a file name")
            }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw bad("the directory \(directory) does not exist")
            }
            guard files.isWritableFile(atPath: directory) else { throw bad("the directory \(directory) is not writable") }
        }
    }
}

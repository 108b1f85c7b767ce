import Foundation

/// Checks the files a command will write before it starts its work, so a mistyped `--report` or
/// `--out` is an error in the first second, not after minutes of training (and not Foundation's
/// NSError text at the end).
enum OutputPaths {
    /// For each option given: the path is not a directory, and its directory exists and is writable.
    /// - Throws: `CLIError.usage` naming the option, the path and what is wrong.
    /// No two of them name one file, and none names a file of `inputs` (options the command reads:
    /// writing it would destroy the data), by path after symbolic links and by inode.
    static func check(_ arguments: ParsedArguments, options: [String], inputs: [String] = []) throws {
        let files = FileManager.default
        var written: [(option: String, path: String, identity: FileIdentity)] = []
        for option in options {
            guard let path = arguments.string(option), !path.isEmpty else { continue }
            let identity = FileIdentity(path)
            if let other = written.first(where: { $0.identity == identity }) {
                throw CLIError.usage("--\(other.option) \(other.path) and --\(option) \(path) are one file: each output needs a file of its own", command: arguments.command)
            }
            written.append((option, path, identity))
        }
        for input in inputs {
            guard let path = arguments.string(input), !path.isEmpty else { continue }
            let identity = FileIdentity(path)
            if let output = written.first(where: { $0.identity == identity }) {
                throw CLIError.usage("--\(output.option) \(output.path) is the --\(input) file: writing it would destroy the input", command: arguments.command)
            }
        }
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

/// Which file a path names: its device and inode when it exists (hard links, symbolic links and
/// `./` spellings agree), else its absolute path with links in its directories resolved.
struct FileIdentity: Equatable {
    let key: String

    init(_ path: String) {
        var info = stat()
        if stat(path, &info) == 0 {
            key = "inode \(info.st_dev):\(info.st_ino)"
        } else {
            key = "path " + URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
    }
}

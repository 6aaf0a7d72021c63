import Foundation

/// The expected digests of `md5sums.txt`, in the format `md5sum` writes and `md5sum -c` reads:
/// `<32 hex digits><space><space or *><path>` per line; paths are relative to the file's folder.
public struct ChecksumFile: Sendable, Equatable {
    /// Lowercase hex digest by path as written in the file.
    public private(set) var digests: [String: String] = [:]

    public init(digests: [String: String] = [:]) {
        self.digests = digests.mapValues { $0.lowercased() }
    }

    /// The digest listed for `path`, tolerating a leading `./` on either side.
    public func digest(for path: String) -> String? {
        digests[path] ?? digests[ChecksumFile.normalized(path)]
    }

    static func normalized(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }

    /// Parses the text; blank lines and `#` comments are skipped, anything else malformed is an
    /// error naming its line.
    public static func parse(_ text: String, source: String = "md5sums.txt") throws -> ChecksumFile {
        var file = ChecksumFile()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let characters = Array(line)
            guard characters.count > 34,
                  characters[0..<32].allSatisfy({ $0.isHexDigit && $0.isASCII }),
                  characters[32] == " ", characters[33] == " " || characters[33] == "*" else {
                throw ConfigurationError(key: "\(source) line \(index + 1)",
                                         message: "expected '<32 hex digits>  <path>' as md5sum writes it, got '\(line)'")
            }
            let path = normalized(String(characters[34...]))
            file.digests[path] = String(characters[0..<32]).lowercased()
        }
        return file
    }

    public static func load(from url: URL) throws -> ChecksumFile {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "assets.checksums",
                                     message: "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(text, source: url.lastPathComponent)
    }
}

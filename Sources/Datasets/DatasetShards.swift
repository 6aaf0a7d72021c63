import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Several files read as one set, as TensorFlow shards its TFRecords: `train.tfrecord-00000-of-00004`
/// ... `train.tfrecord-00003-of-00004`, named by their common prefix (`train.tfrecord`), or any
/// files named by a glob pattern (`data/train-*.tfrecord`, quoted so the shell leaves it alone).
public enum DatasetShards {
    /// The files `path` stands for when it is a pattern or a shard prefix, in order; nil when
    /// it names one file (or nothing at all, which the caller reports).
    public static func paths(for path: String) throws -> [String]? {
        // A file that exists is itself, even if its name holds a pattern character.
        if FileManager.default.fileExists(atPath: path) { return nil }
        if path.contains("*") || path.contains("?") || path.contains("[") {
            let matches = files(matching: path)
            guard !matches.isEmpty else { throw DatasetError(.io, "\(path): no file matches the pattern") }
            return matches
        }
        let url = URL(fileURLWithPath: path)
        let prefix = url.lastPathComponent + "-"
        let folder = url.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return nil }
        var shards: [(index: Int, of: Int, name: String)] = []
        for name in names where name.hasPrefix(prefix) {
            if let shard = shardNumbers(String(name.dropFirst(prefix.count))) { shards.append((shard.index, shard.of, name)) }
        }
        guard let total = shards.first?.of else { return nil }
        guard shards.allSatisfy({ $0.of == total }) else {
            throw DatasetError.invalid("\(path): the shards beside it disagree on their count (\(Set(shards.map(\.of)).sorted()))")
        }
        let present = Set(shards.map(\.index))
        if let missing = (0..<total).first(where: { !present.contains($0) }) {
            throw DatasetError.invalid("\(path): shard \(shardName(missing, of: total)) of \(total) is missing")
        }
        return shards.sorted { $0.index < $1.index }.map { folder.appendingPathComponent($0.name).path }
    }

    /// The TF shard suffix: `00003-of-00004` (and `.gz` after it), as (3, 4).
    static func shardNumbers(_ suffix: String) -> (index: Int, of: Int)? {
        var text = Substring(suffix)
        if text.hasSuffix(".gz") { text = text.dropLast(3) }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "of", let index = Int(parts[0]), let total = Int(parts[2]),
              parts[0].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber), total > 0, index < total else { return nil }
        return (index, total)
    }

    /// `name-00003-of-00004`: five digits at least, as TensorFlow names shards.
    public static func shardName(_ index: Int, of total: Int) -> String {
        func padded(_ value: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "\(padded(index))-of-\(padded(total))"
    }

    /// Every file's training images, in order, as one set (each file in any format the
    /// Datasets module reads; a file's own test part, if it has one, is not used).
    public static func load(_ paths: [String], options: DatasetFile.Options) throws -> LabelledImages {
        var combined: LabelledImages?
        for path in paths {
            let part = try DatasetFile.load(path: path, options: options).training
            do {
                combined = try combined.map { try $0.appending(part) } ?? part
            } catch let error as DatasetError {
                throw error.inFile(path)
            }
        }
        guard let combined else { throw DatasetError(.io, "no files to read") }
        return combined
    }

    private static func files(matching pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }
}

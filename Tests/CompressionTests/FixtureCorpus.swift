import Foundation
import TestSupport
import XCTest

/// The streams written by scripts/make-compression-fixtures.py with Python's zlib and zipfile,
/// and what that script recorded about them (manifest.json).
struct FixtureCorpus {
    struct Input {
        let bytes: [UInt8]
        let crc32: UInt32
        let adler32: UInt32
    }

    struct ZipEntryFacts {
        let name: String
        let isDirectory: Bool
        let size: Int
        let crc32: UInt32
        let method: Int
        /// The entry's data, rebuilt from the inputs as the script did.
        let contents: [UInt8]
    }

    let inputs: [String: Input]
    /// Stream variant name -> input name, for zlib (`.zz`) and raw deflate (`.deflate`) files.
    let zlibStreams: [String: String]
    let rawStreams: [String: String]
    let zipArchives: [String: [ZipEntryFacts]]

    static func load() throws -> FixtureCorpus {
        let manifestURL = TestPaths.fixture("manifest.json", target: "CompressionTests")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL))
        guard let manifest = object as? [String: Any],
              let inputFacts = manifest["inputs"] as? [String: [String: Any]],
              let zlib = manifest["zlib"] as? [String: String],
              let raw = manifest["raw"] as? [String: String],
              let zips = manifest["zip"] as? [String: [[String: Any]]] else {
            throw BrokenFixture("manifest.json has an unexpected shape; rerun scripts/make-compression-fixtures.py")
        }
        func field<T>(_ facts: [String: Any], _ key: String, _ what: String) throws -> T {
            guard let value = facts[key] as? T else { throw BrokenFixture("manifest.json: \(what) has no valid '\(key)'") }
            return value
        }
        var inputs: [String: Input] = [:]
        for (name, facts) in inputFacts {
            let bytes = try file("inputs/\(name).bin")
            guard bytes.count == (try field(facts, "size", "input \(name)") as Int) else {
                throw BrokenFixture("inputs/\(name).bin is \(bytes.count) bytes, not the size manifest.json records")
            }
            inputs[name] = Input(bytes: bytes, crc32: UInt32(try field(facts, "crc32", "input \(name)") as Int),
                                 adler32: UInt32(try field(facts, "adler32", "input \(name)") as Int))
        }
        var archives: [String: [ZipEntryFacts]] = [:]
        for (name, entries) in zips {
            archives[name] = try entries.map { entry in
                let entryName: String = try field(entry, "name", "an entry of \(name)")
                let what = "\(name) \(entryName)"
                let source: [String: Any] = try field(entry, "source", what)
                var contents: [UInt8]
                if let input = source["input"] as? String {
                    guard let bytes = inputs[input]?.bytes else { throw BrokenFixture("manifest.json: \(what) names unknown input \(input)") }
                    contents = Array(bytes.prefix(try field(source, "length", what) as Int))
                } else {
                    contents = Array((try field(source, "text", what) as String).utf8)
                }
                let size: Int = try field(entry, "size", what)
                guard contents.count == size else {
                    throw BrokenFixture("manifest.json: \(what) is \(size) bytes but its source gives \(contents.count)")
                }
                return ZipEntryFacts(
                    name: entryName, isDirectory: try field(entry, "isDirectory", what), size: size,
                    crc32: UInt32(try field(entry, "crc32", what) as Int), method: try field(entry, "method", what),
                    contents: contents)
            }
        }
        return FixtureCorpus(inputs: inputs, zlibStreams: zlib, rawStreams: raw, zipArchives: archives)
    }

    static func file(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(relative, target: "CompressionTests")))
    }
}

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
            throw XCTSkip("manifest.json has an unexpected shape; regenerate the fixtures")
        }
        var inputs: [String: Input] = [:]
        for (name, facts) in inputFacts {
            let bytes = try file("inputs/\(name).bin")
            inputs[name] = Input(bytes: bytes, crc32: UInt32(facts["crc32"] as? Int ?? -1),
                                 adler32: UInt32(facts["adler32"] as? Int ?? -1))
        }
        var archives: [String: [ZipEntryFacts]] = [:]
        for (name, entries) in zips {
            archives[name] = entries.map {
                let source = $0["source"] as? [String: Any] ?? [:]
                var contents = Array((source["text"] as? String ?? "").utf8)
                if let input = source["input"] as? String, let length = source["length"] as? Int {
                    contents = Array((inputs[input]?.bytes ?? []).prefix(length))
                }
                return ZipEntryFacts(
                    name: $0["name"] as? String ?? "", isDirectory: $0["isDirectory"] as? Bool ?? false,
                    size: $0["size"] as? Int ?? -1, crc32: UInt32($0["crc32"] as? Int ?? 0),
                    method: $0["method"] as? Int ?? -1, contents: contents)
            }
        }
        return FixtureCorpus(inputs: inputs, zlibStreams: zlib, rawStreams: raw, zipArchives: archives)
    }

    static func file(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(relative, target: "CompressionTests")))
    }
}

import Compression
import Foundation
import TestSupport
import XCTest

/// The deflate encoder against the reference decoder: Python's zlib inflates every stream we
/// write (zlib-wrapped at levels 0, 1, 4, 6 and 9, raw at 6) back to its input (scripts/reference/zlib-inflate.py).
/// Our own Inflate is checked against zlib's streams in InflateTests; this is the other way round.
final class DeflateReferenceTests: XCTestCase {
    /// Inputs chosen for the encoder's edges: incompressible, repetitive, and matches at the
    /// window's edge (exactly 32,768 back, one byte beyond, the longest length at the end).
    static func inputs() -> [(String, [UInt8])] {
        var generator = SplitMix64(seed: 1951)
        let random = generator.bytes(70_000)
        let window = generator.bytes(32_768)
        let pastWindow = generator.bytes(32_769)
        var text: [UInt8] = []
        let words = ["model", "asset", "predict", "metadata", "digit", "keras", "layer", "the", "a", "of"]
        while text.count < 50_000 { text += Array((words[Int(generator.next() % 10)] + " ").utf8) }
        return [
            ("empty", []),
            ("one-byte", [0x42]),
            ("random-70000", random),
            ("random-65535", Array(random[..<65_535])),
            ("run-100000", [UInt8](repeating: 0xAB, count: 100_000)),
            ("period-3", (0..<60_000).map { UInt8($0 % 3) }),
            ("period-257", (0..<60_000).map { UInt8(truncatingIfNeeded: $0 % 257) }),
            ("text", text),
            ("repeat-at-window", window + window),
            ("repeat-past-window", pastWindow + pastWindow),
            ("long-match-at-end", Array(random[..<1000]) + [UInt8](repeating: 7, count: 258 + 3)),
            ("all-byte-values", (0..<256).map { UInt8($0) } + (0..<256).map { UInt8(255 - $0) }),
        ]
    }

    func testZlibInflatesEveryStreamWeWrite() throws {
        let folder = try TemporaryFolder()
        var streams = 0
        for (name, input) in Self.inputs() {
            try folder.write("\(name).input", input)
            // zlib-wrapped at every level the encoder distinguishes (stored, greedy, lazy,
            // hardest); raw at the default level.
            for level in [0, 1, 4, 6, 9] {
                try folder.write("\(name).level\(level).zz", Deflate.zlib(input, level: level))
                streams += 1
            }
            try folder.write("\(name).raw6.deflate", Deflate.raw(input, level: 6))
            streams += 1
        }
        guard let result = try ReferenceTool.runScript("reference/zlib-inflate.py", [folder.url.path]) else {
            throw ReferenceTool.unavailable("python3", install: "apt-get install python3") { XCTSkip($0) }
        }
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(result.status, 0, lines.filter { $0.hasPrefix("MISMATCH") }.joined(separator: "\n") + result.stderr)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok ") }.count, streams, "zlib checked every stream")
    }
}

import Compression
import TestSupport
import XCTest

/// The encoder, checked by decoding its output (here with Inflate; scripts/bench-inflate.sh
/// also decodes it with Python's zlib) and by comparing its size with zlib's.
final class DeflateTests: XCTestCase {
    func testRoundTripsAtEveryLevel() throws {
        let corpus = try FixtureCorpus.load()
        for (name, input) in corpus.inputs.sorted(by: { $0.key < $1.key }) {
            for level in 0...9 {
                let stream = Deflate.zlib(input.bytes, level: level)
                XCTAssertEqual(try Inflate.zlib(stream), input.bytes, "\(name) level \(level)")
                XCTAssertEqual(try Inflate.raw(Deflate.raw(input.bytes, level: level)), input.bytes, "\(name) raw level \(level)")
            }
        }
    }

    func testEdgeCaseInputs() throws {
        var generator = SplitMix64(seed: 42)
        let random = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("one byte", [0x7F]),
            ("two bytes", [1, 2]),
            ("three equal", [9, 9, 9]),
            ("run of 100,000", [UInt8](repeating: 0xAB, count: 100_000)),
            ("period 3 run", (0..<50_000).map { UInt8($0 % 3) }),
            ("65,535 random (one stored block)", Array(random[..<65535])),
            ("70,000 random (two stored blocks)", random),
            ("repeat beyond the window", Array(random[..<40_000]) + Array(random[..<40_000])),
            ("all byte values", (0..<256).map { UInt8($0) } + (0..<256).map { UInt8(255 - $0) }),
        ]
        for (name, input) in cases {
            for level in [0, 1, 4, 6, 9] {
                XCTAssertEqual(try Inflate.zlib(Deflate.zlib(input, level: level)), input, "\(name) level \(level)")
            }
        }
    }

    /// Matches reach exactly 32,768 bytes back (RFC 1951's window) and never one byte further:
    /// a random block of 32,768 bytes repeated is found at distance 32,768 and compresses to
    /// about half; one of 32,769 bytes repeated must not be matched across the block boundary
    /// (distance 32,769 has no code) and still round-trips.
    func testMatchesReachExactlyTheWindow() throws {
        var generator = SplitMix64(seed: 32_768)
        let atWindow = generator.bytes(32_768)
        let pastWindow = generator.bytes(32_769)
        for level in 1...9 {
            let repeatedAtWindow = atWindow + atWindow
            let compressed = Deflate.raw(repeatedAtWindow, level: level)
            XCTAssertEqual(try Inflate.raw(compressed), repeatedAtWindow, "32,768 x 2, level \(level)")
            XCTAssertLessThan(compressed.count, 32_768 + 2_000, "level \(level): the repeat at distance 32,768 was not matched")
            let repeatedPastWindow = pastWindow + pastWindow
            XCTAssertEqual(try Inflate.raw(Deflate.raw(repeatedPastWindow, level: level)), repeatedPastWindow, "32,769 x 2, level \(level)")
        }
    }

    func testLevelZeroStoresAndOutOfRangeLevelsAreClamped() throws {
        let corpus = try FixtureCorpus.load()
        let text = try XCTUnwrap(corpus.inputs["text"]).bytes
        let stored = Deflate.raw(text, level: 0)
        XCTAssertEqual(stored[0] & 0x07, 0x01, "one final stored block")
        XCTAssertEqual(stored.count, text.count + 5)
        XCTAssertEqual(Deflate.raw(text, level: -3), stored)
        XCTAssertEqual(Deflate.raw(text, level: 42), Deflate.raw(text, level: 9))
    }

    /// Compressible text uses dynamic Huffman blocks and compresses about as well as zlib.
    func testCompressionIsCloseToZlib() throws {
        let corpus = try FixtureCorpus.load()
        for name in ["text", "mixed", "runs"] {
            let input = try XCTUnwrap(corpus.inputs[name]).bytes
            for level in [1, 6, 9] {
                let ours = Deflate.zlib(input, level: level)
                let zlibs = try FixtureCorpus.file("zlib/\(name).level\(level).zz")
                XCTAssertLessThan(ours.count, zlibs.count * 110 / 100, "\(name) level \(level): \(ours.count) vs zlib \(zlibs.count)")
            }
        }
        let text = try XCTUnwrap(corpus.inputs["text"]).bytes
        XCTAssertEqual((Deflate.raw(text, level: 6)[0] >> 1) & 0x03, 2, "first block is dynamic")
        XCTAssertLessThan(Deflate.zlib(text, level: 9).count, text.count / 3)
    }

    /// Incompressible data must not grow by more than the stored-block overhead.
    func testIncompressibleDataFallsBackToStoredBlocks() throws {
        let corpus = try FixtureCorpus.load()
        let random = try XCTUnwrap(corpus.inputs["random"]).bytes
        for level in 1...9 {
            XCTAssertLessThanOrEqual(Deflate.raw(random, level: level).count, random.count + 5 * (random.count / 16_384 + 1), "level \(level)")
        }
    }
}

import Compression
import TestSupport
import XCTest

/// Decoding streams made by Python's zlib: every level, strategy and window size it offers.
final class InflateTests: XCTestCase {
    func testZlibStreamsFromPython() throws {
        let corpus = try FixtureCorpus.load()
        XCTAssertGreaterThan(corpus.zlibStreams.count, 40)
        for (variant, inputName) in corpus.zlibStreams.sorted(by: { $0.key < $1.key }) {
            let stream = try FixtureCorpus.file("zlib/\(variant).zz")
            let expected = try XCTUnwrap(corpus.inputs[inputName]).bytes
            XCTAssertEqual(try Inflate.zlib(stream), expected, variant)
        }
    }

    func testRawStreamsFromPython() throws {
        let corpus = try FixtureCorpus.load()
        XCTAssertGreaterThan(corpus.rawStreams.count, 8)
        for (variant, inputName) in corpus.rawStreams.sorted(by: { $0.key < $1.key }) {
            let stream = try FixtureCorpus.file("raw/\(variant).deflate")
            let expected = try XCTUnwrap(corpus.inputs[inputName]).bytes
            XCTAssertEqual(try Inflate.raw(stream), expected, variant)
            XCTAssertEqual(try Inflate.raw(stream, expectedSize: expected.count), expected, "\(variant) pre-sized")
            // A wrong size hint only affects the first allocation, never the result.
            XCTAssertEqual(try Inflate.raw(stream, expectedSize: 1), expected, "\(variant) undersized hint")
        }
    }

    /// One stored block, written by hand.
    func testStoredBlock() throws {
        let stream: [UInt8] = [0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]
        XCTAssertEqual(try Inflate.raw(stream), Array("abc".utf8))
    }

    /// Overlapping matches (distance < length), including distance 1, and the longest length.
    func testOverlappingMatches() throws {
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(1, 2)       // final, fixed Huffman
        writer.fixedSymbol(Int(UInt8(ascii: "a")))
        writer.fixedSymbol(Int(UInt8(ascii: "b")))
        writer.fixedSymbol(257); writer.fixedDistance(1)                  // length 3, distance 2
        writer.fixedSymbol(285); writer.fixedDistance(0)                  // length 258, distance 1
        writer.fixedSymbol(265); writer.bits(1, 1); writer.fixedDistance(4); writer.bits(1, 1)  // length 12, distance 6
        writer.fixedSymbol(256)
        var expected = Array("ababa".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 258)
        for _ in 0..<12 { expected.append(expected[expected.count - 6]) }
        XCTAssertEqual(try Inflate.raw(writer.bytes), expected)
    }

    func testOutputLimitRefusesBombWithoutDecodingIt() throws {
        // 1 zero byte then 4,000 matches of 258 zeros: ~1 MB from ~2 KB.
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(1, 2)
        writer.fixedSymbol(0)
        for _ in 0..<4000 { writer.fixedSymbol(285); writer.fixedDistance(0) }
        writer.fixedSymbol(256)
        let total = 1 + 4000 * 258
        let decoded = try Inflate.raw(writer.bytes)
        XCTAssertEqual(decoded.count, total)
        XCTAssertTrue(decoded.allSatisfy { $0 == 0 })
        XCTAssertEqual(try Inflate.raw(writer.bytes, maxOutputBytes: total).count, total, "a limit equal to the size is fine")
        XCTAssertThrowsError(try Inflate.raw(writer.bytes, maxOutputBytes: 65536)) { error in
            XCTAssertEqual(error as? CompressionError, .outputLimitExceeded(limit: 65536))
        }
        XCTAssertThrowsError(try Inflate.raw(writer.bytes, expectedSize: total, maxOutputBytes: total - 1)) { error in
            XCTAssertEqual(error as? CompressionError, .outputLimitExceeded(limit: total - 1))
        }
    }

    /// The output limit is inclusive however the output grows: from a size hint of one byte,
    /// a stored block, literals and a match each reach exactly the limit (and fail one below).
    func testOutputLimitIsInclusiveWhateverTheSizeHint() throws {
        let stored: [UInt8] = [0x01, 100, 0x00, ~100, 0xFF] + [UInt8](repeating: 0x61, count: 100)
        var literals = HandmadeBitStream()
        literals.bits(1, 1); literals.bits(1, 2)
        for byte in 0..<50 { literals.fixedSymbol(byte) }
        literals.fixedSymbol(256)
        var match = HandmadeBitStream()
        match.bits(1, 1); match.bits(1, 2)
        match.fixedSymbol(7); match.fixedSymbol(285); match.fixedDistance(0)   // 1 + 258 bytes
        match.fixedSymbol(256)
        for (name, stream, size) in [("stored", stored, 100), ("literals", literals.bytes, 50), ("match", match.bytes, 259)] {
            XCTAssertEqual(try Inflate.raw(stream, expectedSize: 1, maxOutputBytes: size).count, size, name)
            XCTAssertThrowsError(try Inflate.raw(stream, expectedSize: 1, maxOutputBytes: size - 1), name) {
                XCTAssertEqual($0 as? CompressionError, .outputLimitExceeded(limit: size - 1), name)
            }
        }
    }

    func testEmptyAndSingleByteStreams() throws {
        let corpus = try FixtureCorpus.load()
        XCTAssertEqual(try Inflate.zlib(FixtureCorpus.file("zlib/empty.level6.zz")), [])
        XCTAssertEqual(try Inflate.zlib(FixtureCorpus.file("zlib/one.level9.zz")), corpus.inputs["one"]?.bytes)
        XCTAssertEqual(try Inflate.zlib(FixtureCorpus.file("zlib/empty.level0.zz")), [])
    }
}

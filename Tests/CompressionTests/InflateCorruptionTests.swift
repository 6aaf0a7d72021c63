import Foundation
import Compression
import TestSupport
import XCTest

/// Malformed input must end in a typed error (never a trap, never silently wrong output).
final class InflateCorruptionTests: XCTestCase {
    private func assertRawFails(_ stream: [UInt8], _ check: (CompressionError) -> Bool,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Inflate.raw(stream), file: file, line: line) { error in
            guard let error = error as? CompressionError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty)
        }
    }

    func testReservedBlockType() {
        assertRawFails([0x07]) { $0 == .invalidBlockType(3) }
    }

    func testStoredBlockLengthMismatchAndTruncation() {
        assertRawFails([0x01, 0x05, 0x00, 0x00, 0x00]) { if case .storedLengthMismatch = $0 { return true }; return false }
        assertRawFails([0x01, 0x05, 0x00, 0xFA, 0xFF, 0x61, 0x62]) { if case .truncatedInput = $0 { return true }; return false }
    }

    func testDistanceBeforeStartOfOutput() {
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(1, 2)
        writer.fixedSymbol(0x61)
        writer.fixedSymbol(257); writer.fixedDistance(1)   // distance 2, but only 1 byte exists
        writer.fixedSymbol(256)
        assertRawFails(writer.bytes) { $0 == .distanceTooFarBack(distance: 2, available: 1) }
    }

    func testReservedSymbolsInFixedBlock() {
        var length286 = HandmadeBitStream()
        length286.bits(1, 1); length286.bits(1, 2)
        length286.fixedSymbol(0x61); length286.fixedSymbol(286); length286.fixedDistance(0); length286.fixedSymbol(256)
        assertRawFails(length286.bytes) { if case .invalidSymbol = $0 { return true }; return false }

        var distance30 = HandmadeBitStream()
        distance30.bits(1, 1); distance30.bits(1, 2)
        distance30.fixedSymbol(0x61); distance30.fixedSymbol(257); distance30.fixedDistance(30); distance30.fixedSymbol(256)
        assertRawFails(distance30.bytes) { if case .invalidSymbol = $0 { return true }; return false }
    }

    func testMissingEndOfBlockIsTruncation() {
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(1, 2)
        writer.fixedSymbol(0x61)
        assertRawFails(writer.bytes) { if case .truncatedInput = $0 { return true }; return false }
        assertRawFails([]) { if case .truncatedInput = $0 { return true }; return false }
    }

    /// A dynamic block header whose code-length code lengths are given in `order` positions.
    private func dynamicHeader(codeLengthLengths: [Int: Int]) -> HandmadeBitStream {
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(2, 2)
        writer.bits(0, 5); writer.bits(0, 5)    // 257 literal/length codes, 1 distance code
        writer.bits(19 - 4, 4)
        for symbol in order { writer.bits(codeLengthLengths[symbol] ?? 0, 3) }
        return writer
    }

    func testOverSubscribedCodeLengthCode() {
        let writer = dynamicHeader(codeLengthLengths: [0: 1, 1: 1, 2: 1])
        assertRawFails(writer.bytes) { if case .invalidCodeLengths(let m) = $0 { return m.contains("over-subscribed") }; return false }
    }

    func testIncompleteCodeLengthCode() {
        let writer = dynamicHeader(codeLengthLengths: [0: 2, 1: 2])
        assertRawFails(writer.bytes) { if case .invalidCodeLengths(let m) = $0 { return m.contains("incomplete") }; return false }
    }

    func testLiteralCodeWithoutEndOfBlock() {
        // Code-length code: symbols 0 and 1, one bit each (0 -> "0", 1 -> "1").
        var writer = dynamicHeader(codeLengthLengths: [0: 1, 1: 1])
        writer.code(1, length: 1); writer.code(1, length: 1)       // literals 0 and 1: length 1
        for _ in 0..<256 { writer.code(0, length: 1) }             // the rest, 256 included: unused
        assertRawFails(writer.bytes) { if case .invalidCodeLengths(let m) = $0 { return m.contains("end-of-block") }; return false }
    }

    func testRepeatRunPastEndOfLengths() {
        // Code-length code: symbols 1 and 18 (one bit each); 18 repeats zero 11-138 times.
        var writer = dynamicHeader(codeLengthLengths: [1: 1, 18: 1])
        writer.code(1, length: 1); writer.bits(127, 7)   // 138 zeros
        writer.code(1, length: 1); writer.bits(127, 7)   // 276 of 258
        assertRawFails(writer.bytes) { if case .invalidCodeLengths(let m) = $0 { return m.contains("past the end") }; return false }
    }

    func testZlibHeaderAndTrailerErrors() throws {
        let good = try FixtureCorpus.file("zlib/text.level6.zz")
        XCTAssertNoThrow(try Inflate.zlib(good))
        var badCheck = good; badCheck[1] ^= 0x01
        XCTAssertThrowsError(try Inflate.zlib(badCheck)) { XCTAssertTrue(($0 as? CompressionError)?.description.contains("header") ?? false) }
        var notDeflate = good; notDeflate[0] = 0x77
        XCTAssertThrowsError(try Inflate.zlib(notDeflate)) { XCTAssertTrue(($0 as? CompressionError)?.description.contains("method") ?? false) }
        XCTAssertThrowsError(try Inflate.zlib([0x78, 0xBB, 0, 0, 0, 1])) { error in   // FDICT set
            XCTAssertTrue((error as? CompressionError)?.description.contains("dictionary") ?? false)
        }
        XCTAssertThrowsError(try Inflate.zlib(good + [0])) { XCTAssertEqual($0 as? CompressionError, .trailingData(count: 1)) }
        var badAdler = good; badAdler[badAdler.count - 1] ^= 0x10
        XCTAssertThrowsError(try Inflate.zlib(badAdler)) { error in
            guard case .checksumMismatch(let kind, let expected, let actual)? = error as? CompressionError else {
                return XCTFail("expected checksum mismatch, got \(error)")
            }
            XCTAssertEqual(kind, "Adler-32")
            XCTAssertEqual(expected ^ actual, 0x10)
            // The message names both digests, eight hex digits each, so a user can compare them.
            let message = String(describing: error)
            XCTAssertTrue(message.contains(String(format: "0x%08x", expected)), message)
            XCTAssertTrue(message.contains(String(format: "0x%08x", actual)), message)
        }
        XCTAssertThrowsError(try Inflate.zlib(Array(good.dropLast(4)))) { error in
            guard case .truncatedInput? = error as? CompressionError else { return XCTFail("got \(error)") }
        }
    }

    /// Proper prefixes of a valid stream are incomplete and must be refused: every prefix of
    /// small streams; for larger ones, ~200 cut points spread over the stream plus the last 40.
    func testTruncationFails() throws {
        func cutPoints(_ count: Int) -> [Int] {
            count <= 300 ? Array(0..<count)
                : Array(stride(from: 0, to: count, by: count / 200)) + Array((count - 40)..<count)
        }
        for name in ["zlib/mixed.level6.zz", "zlib/runs.fixed.zz", "zlib/one.level0.zz", "zlib/text.level1.zz"] {
            let stream = try FixtureCorpus.file(name)
            for length in cutPoints(stream.count) {
                XCTAssertThrowsError(try Inflate.zlib(Array(stream[..<length])), "\(name) cut to \(length)")
            }
        }
        let raw = try FixtureCorpus.file("raw/mixed.level9.deflate")
        for length in cutPoints(raw.count) {
            XCTAssertThrowsError(try Inflate.raw(Array(raw[..<length])), "raw cut to \(length)")
        }
    }

    /// Corrupting any byte of a zlib stream must not yield wrong data: either an error or
    /// (only where the flipped bits are padding the decoder ignores) the original output.
    func testByteCorruptionNeverYieldsWrongData() throws {
        let corpus = try FixtureCorpus.load()
        for (name, inputName) in [("mixed.level6", "mixed"), ("text.fixed", "text"), ("runs.level9", "runs")] {
            let stream = try FixtureCorpus.file("zlib/\(name).zz")
            let original = try XCTUnwrap(corpus.inputs[inputName]).bytes
            var failures = 0
            let positions = stride(from: 0, to: stream.count, by: max(1, stream.count / 150))
            for position in positions {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var corrupt = stream
                    corrupt[position] ^= mask
                    do {
                        let output = try Inflate.zlib(corrupt)
                        XCTAssertEqual(output, original, "\(name): corruption at \(position) accepted with different output")
                    } catch is CompressionError {
                        failures += 1
                    }
                }
            }
            XCTAssertGreaterThan(failures, positions.underestimatedCount * 3 * 9 / 10, name)
        }
    }
}

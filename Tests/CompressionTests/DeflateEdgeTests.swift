import Foundation
import TestSupport
import XCTest
@testable import Compression

/// The format's limits, each on both sides: code counts, Huffman codes exactly complete, one
/// code over or under, a stored block one byte short, zip sizes that disagree with the data,
/// and the encoder's 15-bit code length limit.
final class DeflateEdgeTests: XCTestCase {
    /// A final dynamic block whose code-length code gives symbols 0-15 four bits each (code
    /// = symbol), then `literalCount` literal/length and `distanceCount` distance code lengths
    /// (symbol -> length; the rest 0).
    private func dynamicBlock(literalCount: Int = 257, distanceCount: Int = 1, literals: [Int: Int],
                              distances: [Int: Int] = [:]) -> HandmadeBitStream {
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(2, 2)
        writer.bits(literalCount - 257, 5); writer.bits(distanceCount - 1, 5); writer.bits(19 - 4, 4)
        for symbol in order { writer.bits(symbol <= 15 ? 4 : 0, 3) }
        for symbol in 0..<literalCount { writer.code(literals[symbol] ?? 0, length: 4) }
        for symbol in 0..<distanceCount { writer.code(distances[symbol] ?? 0, length: 4) }
        return writer
    }

    private func assertInvalidCodeLengths(_ stream: [UInt8], mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Inflate.raw(stream), file: file, line: line) { error in
            guard case .invalidCodeLengths(let message)? = error as? CompressionError else {
                return XCTFail("expected invalidCodeLengths, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(text), message, file: file, line: line)
        }
    }

    func testLiteralAndDistanceCodeCountsAtTheFormatsLimits() throws {
        // Literal 0 and end-of-block, one bit each: EOB is code 1. No distance codes.
        for (literalCount, distanceCount) in [(286, 1), (257, 30)] {
            var writer = dynamicBlock(literalCount: literalCount, distanceCount: distanceCount, literals: [0: 1, 256: 1])
            writer.code(1, length: 1)
            XCTAssertEqual(try Inflate.raw(writer.bytes), [], "\(literalCount) literal and \(distanceCount) distance codes")
        }
        assertInvalidCodeLengths(dynamicBlock(literalCount: 287, literals: [0: 1, 256: 1]).bytes, mentioning: "287 literal/length codes")
        assertInvalidCodeLengths(dynamicBlock(distanceCount: 31, literals: [0: 1, 256: 1]).bytes, mentioning: "31 distance codes")
    }

    /// Literals 0-13 get lengths 1-14; then `longest` symbols of length 15. Two fill the code
    /// exactly (the last, end-of-block, is fifteen 1 bits); three over-subscribe it by one code,
    /// one leaves one code unused.
    func testHuffmanCodesCompleteOverfullAndIncompleteByOneCode() throws {
        func lengths(fifteenBitSymbols: [Int]) -> [Int: Int] {
            var lengths: [Int: Int] = [:]
            for symbol in 0..<14 { lengths[symbol] = symbol + 1 }
            for symbol in fifteenBitSymbols { lengths[symbol] = 15 }
            return lengths
        }
        var complete = dynamicBlock(literals: lengths(fifteenBitSymbols: [14, 256]))
        complete.code((1 << 15) - 1, length: 15)
        XCTAssertEqual(try Inflate.raw(complete.bytes), [])
        assertInvalidCodeLengths(dynamicBlock(literals: lengths(fifteenBitSymbols: [14, 15, 256])).bytes, mentioning: "over-subscribed")
        assertInvalidCodeLengths(dynamicBlock(literals: lengths(fifteenBitSymbols: [256])).bytes, mentioning: "incomplete")
    }

    func testRepeatOfThePreviousLengthCannotComeFirst() {
        // Code-length code: symbols 1 and 16, one bit each (1 -> "0", 16 -> "1"); then 16 first.
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var writer = HandmadeBitStream()
        writer.bits(1, 1); writer.bits(2, 2)
        writer.bits(0, 5); writer.bits(0, 5); writer.bits(19 - 4, 4)
        for symbol in order { writer.bits(symbol == 1 || symbol == 16 ? 1 : 0, 3) }
        writer.code(1, length: 1); writer.bits(0, 2)
        assertInvalidCodeLengths(writer.bytes, mentioning: "comes first")
    }

    /// A run of code lengths (symbol 18, eleven zeros) that ends exactly at the end of the
    /// list is valid; the same run one entry past the end is refused. Code-length code:
    /// symbols 1 and 18, one bit each (1 -> "0", 18 -> "1"); literals 0 and 256 get one bit.
    func testCodeLengthRunEndingExactlyAtTheEndOfTheList() throws {
        func block(distanceCount: Int) -> HandmadeBitStream {
            let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
            var writer = HandmadeBitStream()
            writer.bits(1, 1); writer.bits(2, 2)
            writer.bits(0, 5); writer.bits(distanceCount - 1, 5); writer.bits(19 - 4, 4)
            for symbol in order { writer.bits(symbol == 1 || symbol == 18 ? 1 : 0, 3) }
            writer.code(0, length: 1)                          // literal 0: length 1
            writer.code(1, length: 1); writer.bits(138 - 11, 7) // literals 1-138: 0
            writer.code(1, length: 1); writer.bits(117 - 11, 7) // literals 139-255: 0
            writer.code(0, length: 1)                          // 256 (end of block): length 1
            writer.code(1, length: 1); writer.bits(0, 7)        // eleven zeros: the distance codes
            return writer
        }
        var exact = block(distanceCount: 11)
        exact.code(0, length: 1); exact.code(1, length: 1)     // literal 0, end of block
        XCTAssertEqual(try Inflate.raw(exact.bytes), [0])
        assertInvalidCodeLengths(block(distanceCount: 10).bytes, mentioning: "goes past the end of the list")
    }

    func testStoredBlockOneByteShortIsTruncated() throws {
        XCTAssertEqual(try Inflate.raw([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]), Array("abc".utf8))
        XCTAssertThrowsError(try Inflate.raw([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62])) { error in
            guard case .truncatedInput? = error as? CompressionError else { return XCTFail("got \(error)") }
        }
    }

    /// The encoder's code lengths never exceed 15 bits and fill the code exactly (Kraft sum 1),
    /// however skewed the frequencies: Fibonacci frequencies make an unlimited Huffman tree 25 deep.
    func testEncoderCodeLengthsAreLimitedAndComplete() throws {
        var fibonacci = [1, 1]
        while fibonacci.count < 26 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        let lengths = HuffmanCodeBuilder.lengths(for: fibonacci, maxLength: 15)
        XCTAssertEqual(lengths.max(), 15)
        XCTAssertEqual(lengths.reduce(0) { $0 + (1 << (15 - Int($1))) }, 1 << 15, "Kraft sum")
        // The same skew through the whole encoder: byte k appears fibonacci[k] times, shuffled
        // (seeded) so that literals, not matches, carry it.
        var input: [UInt8] = []
        for (byte, count) in fibonacci.prefix(22).enumerated() { input += [UInt8](repeating: UInt8(byte), count: count) }
        var generator = SplitMix64(seed: 15)
        input.shuffle(using: &generator)
        for level in [1, 6, 9] {
            XCTAssertEqual(try Inflate.zlib(Deflate.zlib(input, level: level)), input, "level \(level)")
        }
    }

    /// Zip entries whose recorded sizes disagree with their data are refused, even when the
    /// CRC-32 of what was read would match.
    func testZipSizesThatDisagreeWithTheDataAreRefused() throws {
        let original = try FixtureCorpus.file("zip/plain.zip")
        func patched(_ entry: String, fieldOffset: Int, add: UInt32) throws -> [UInt8] {
            var bytes = original
            let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
            let name = Array(entry.utf8)
            guard let start = (0..<(bytes.count - 46)).first(where: {
                Array(bytes[$0..<($0 + 4)]) == signature && Array(bytes[($0 + 46)..<($0 + 46 + name.count)]) == name
            }) else { throw BrokenFixture("plain.zip has no central header for \(entry)") }
            let at = start + fieldOffset
            let value = (UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24) + add
            for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
            return bytes
        }
        // A stored entry claiming one more compressed byte than its size.
        let stored = try ZipArchive(bytes: try patched("model/config.json", fieldOffset: 20, add: 1))
        XCTAssertThrowsError(try stored.contents(of: XCTUnwrap(stored.entry(named: "model/config.json")))) { error in
            guard case .invalidZip(let message)? = error as? CompressionError else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("compressed size"), message)
        }
        // A deflated entry whose data inflates to one byte less than recorded.
        let deflated = try ZipArchive(bytes: try patched("docs/readme.txt", fieldOffset: 24, add: 1))
        XCTAssertThrowsError(try deflated.contents(of: XCTUnwrap(deflated.entry(named: "docs/readme.txt")))) { error in
            guard case .invalidZip(let message)? = error as? CompressionError else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("not the recorded"), message)
        }
    }
}

import Compression
import Foundation
import TestSupport
import XCTest

final class GzipTests: XCTestCase {
    func testRoundTripAndEmptyInput() throws {
        for data in [[UInt8](), Array("hello, gzip".utf8), (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }] {
            let member = Gzip.compress(data)
            XCTAssertTrue(Gzip.hasSignature(member))
            XCTAssertEqual(try Gzip.decompress(member), data)
        }
    }

    /// `cat a.gz b.gz` is one valid gzip file holding both; zero padding after it is ignored.
    func testConcatenatedMembersAndPadding() throws {
        let joined = Gzip.compress(Array("first ".utf8)) + Gzip.compress(Array("second".utf8)) + [0, 0, 0]
        XCTAssertEqual(String(decoding: try Gzip.decompress(joined), as: UTF8.self), "first second")
    }

    /// A member whose header carries a file name, a comment, an extra field and a header CRC.
    func testOptionalHeaderFields() throws {
        let payload = Array("optional fields".utf8)
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]
        header += [3, 0, 0xAA, 0xBB, 0xCC]          // FEXTRA: 3 bytes
        header += Array("name.txt".utf8) + [0]       // FNAME
        header += Array("a comment".utf8) + [0]      // FCOMMENT
        let crc16 = CRC32.checksum(header) & 0xFFFF
        header += [UInt8(crc16 & 0xFF), UInt8(crc16 >> 8)]
        let plain = Gzip.compress(payload)
        let member = header + plain[10...]
        XCTAssertEqual(try Gzip.decompress(Array(member)), payload)

        var badHeaderCRC = Array(member)
        badHeaderCRC[header.count - 1] ^= 0xFF
        XCTAssertThrowsError(try Gzip.decompress(badHeaderCRC))
    }

    func testDamageIsReported() throws {
        let member = Gzip.compress(Array("some text to protect".utf8))
        var wrongCRC = member
        wrongCRC[member.count - 6] ^= 1
        XCTAssertThrowsError(try Gzip.decompress(wrongCRC)) { error in
            XCTAssertTrue("\(error)".contains("CRC-32"), "\(error)")
        }
        var wrongSize = member
        wrongSize[member.count - 1] ^= 1
        XCTAssertThrowsError(try Gzip.decompress(wrongSize)) { XCTAssertTrue("\($0)".contains("trailer"), "\($0)") }
        XCTAssertThrowsError(try Gzip.decompress(Array(member.dropLast(3)))) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        XCTAssertThrowsError(try Gzip.decompress(Array(member.prefix(6))))
        XCTAssertThrowsError(try Gzip.decompress(Array("not gzip".utf8))) { XCTAssertTrue("\($0)".contains("not a gzip"), "\($0)") }
        XCTAssertThrowsError(try Gzip.decompress(member + [0x1F, 0x8B, 9])) // garbage second member
        XCTAssertThrowsError(try Gzip.decompress(Gzip.compress([UInt8](repeating: 0, count: 10_000)), maxOutputBytes: 100)) {
            XCTAssertTrue("\($0)".contains("limit"), "\($0)")
        }
    }

    /// A file gzip itself wrote: the shared MNIST test set (1,000 rows of 785 numbers).
    func testReadsFileWrittenByGzip() throws {
        guard let url = TestPaths.shared("data/mnist_test.csv.gz") else { throw XCTSkip(TestPaths.sharedMissingMessage("data")) }
        let text = String(decoding: try Gzip.decompress([UInt8](try Data(contentsOf: url))), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1001)
        XCTAssertEqual(lines[1].split(separator: ",").count, 785)
    }
}

import Compression
import XCTest

final class ZipWriterTests: XCTestCase {
    /// Stored and deflated entries read back by our reader, sizes and CRCs as written.
    func testEntriesReadBack() throws {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let text = Array(String(repeating: "label,pixel0,pixel1\n", count: 300).utf8)
        var writer = ZipWriter()
        try writer.add("x_train.npy", noise, method: .stored)
        try writer.add("y_train.npy", text, method: .deflated(level: 6))
        try writer.add("empty.npy", [], method: .deflated(level: 6))
        let archive = try ZipArchive(bytes: try writer.finish())
        XCTAssertEqual(archive.entries.map(\.name), ["x_train.npy", "y_train.npy", "empty.npy"])
        XCTAssertEqual(try archive.contents(of: try XCTUnwrap(archive.entry(named: "x_train.npy"))), noise)
        let deflated = try XCTUnwrap(archive.entry(named: "y_train.npy"))
        XCTAssertLessThan(deflated.compressedSize, text.count / 10, "deflate shrinks repetitive text")
        XCTAssertEqual(deflated.crc32, CRC32.checksum(text))
        XCTAssertEqual(try archive.contents(of: deflated), text)
        XCTAssertEqual(try archive.contents(of: try XCTUnwrap(archive.entry(named: "empty.npy"))), [])
    }

    func testSameEntriesGiveSameBytesAndNamesAreUnique() throws {
        func build() throws -> [UInt8] {
            var writer = ZipWriter()
            try writer.add("a", [1, 2, 3])
            return try writer.finish()
        }
        XCTAssertEqual(try build(), try build())
        var writer = ZipWriter()
        try writer.add("a", [1])
        XCTAssertThrowsError(try writer.add("a", [2]))
        XCTAssertThrowsError(try writer.add("", [2]))
    }
}

import Foundation
import MAXFramework
import XCTest

final class MD5Tests: XCTestCase {
    /// The test suite of RFC 1321 §A.5.
    func testRFC1321Vectors() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
             "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (message, expected) in vectors {
            XCTAssertEqual(MD5.hex(of: Array(message.utf8)), expected, "MD5(\"\(message)\")")
        }
    }

    /// Feeding the same bytes in uneven pieces gives the one-shot digest (block boundaries and
    /// the padding edge at 55/56/63/64 bytes).
    func testStreamingMatchesOneShot() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let whole = MD5.hex(of: bytes)
            for pieceSize in [1, 3, 63, 64, 100] {
                var hasher = MD5()
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + pieceSize, bytes.count)
                    hasher.update(Array(bytes[offset..<end]))
                    offset = end
                }
                XCTAssertEqual(hasher.hexDigest(), whole, "length \(length) in pieces of \(pieceSize)")
            }
        }
    }

    /// Agrees with coreutils' `md5sum` on real files of awkward sizes, up to several megabytes.
    func testAgreesWithMd5sumOnFiles() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/md5sum") else {
            throw XCTSkip("/usr/bin/md5sum is not installed")
        }
        let folder = try TemporaryFolder()
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        for length in [0, 56, 64, 1_048_575, 1_048_577, 3_000_001] {
            let file = folder.url.appendingPathComponent("sample-\(length).bin")
            let bytes = [UInt8](try random.read(upToCount: length) ?? Data())
            XCTAssertEqual(bytes.count, length)
            try Data(bytes).write(to: file)
            let ours = try MD5.hex(ofFileAt: file)
            let output = try run("/usr/bin/md5sum", [file.path])
            XCTAssertEqual(String(output.prefix(32)), ours, "file of \(length) bytes")
            XCTAssertEqual(MD5.hex(of: bytes), ours)
        }
    }

    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: output, as: UTF8.self)
    }
}

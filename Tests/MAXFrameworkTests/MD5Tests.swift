import Foundation
import MAXFramework
import TestSupport
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

    /// The padding edges: 55 bytes is the longest message whose length still fits in its last
    /// block, 56 the shortest that needs another; likewise 119 and 120. Digests from md5sum and
    /// Python's hashlib (they agree) of that many 'a's.
    func testPaddingEdgeVectors() {
        let vectors: [(Int, String)] = [
            (55, "ef1772b6dff9a122358552954ad0df65"), (56, "3b0c8ac703f828b04c6c197006d17218"),
            (63, "b06521f39153d618550606be297466d5"), (64, "014842d480b571495a4a0363793f7367"),
            (119, "8a7bd0732ed6a28ce75f6dabc90e1613"), (120, "5f61c0ccad4cac44c75ff505e1f1e537"),
        ]
        for (length, expected) in vectors {
            XCTAssertEqual(MD5.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: length)), expected, "\(length) x 'a'")
        }
    }

    /// Feeding the same bytes in uneven pieces gives the one-shot digest (block boundaries and
    /// the padding edge at 55/56/63/64 bytes).
    func testStreamingMatchesOneShot() {
        var generator = SplitMix64(seed: 0x4D44_35)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4097] {
            let bytes = generator.bytes(length)
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

    /// Agrees with coreutils' `md5sum` at every length from 0 to 200 bytes (every padding
    /// case, in up to four blocks), at 64 KiB + 55, and on files of awkward sizes up to several
    /// megabytes. The data is seeded, so a failure reproduces.
    func testAgreesWithMd5sum() throws {
        guard let md5sum = ReferenceTool.onPath("md5sum") else {
            throw ReferenceTool.unavailable("md5sum", install: "apt-get install coreutils") { XCTSkip($0) }
        }
        let folder = try TemporaryFolder()
        var generator = SplitMix64(seed: 1321)
        let lengths = Array(0...200) + [65_536 + 55, 1_048_575, 1_048_577, 3_000_001]
        var files: [(length: Int, path: String, bytes: [UInt8])] = []
        for length in lengths {
            let file = folder.url.appendingPathComponent("sample-\(length).bin")
            let bytes = generator.bytes(length)
            try Data(bytes).write(to: file)
            files.append((length, file.path, bytes))
        }
        // One md5sum process for all files: "<digest>  <path>" per line, in argument order.
        let lines = try run(md5sum, files.map(\.path)).split(separator: "\n")
        XCTAssertEqual(lines.count, files.count)
        for (file, line) in zip(files, lines) {
            XCTAssertTrue(line.hasSuffix(file.path), "md5sum line out of order: \(line)")
            let reference = String(line.prefix(32))
            if file.length < 1_000_000 {
                XCTAssertEqual(MD5.hex(of: file.bytes), reference, "\(file.length) bytes")
            } else {
                XCTAssertEqual(try MD5.hex(ofFileAt: URL(fileURLWithPath: file.path)), reference, "file of \(file.length) bytes")
            }
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

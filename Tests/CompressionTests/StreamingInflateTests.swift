import Compression
import TestSupport
import XCTest

/// `Inflate.zlib(bytes:consume:)`: the output arrives in order, in pieces, and is the same as
/// the one-shot decoder's, whatever the piece size; limits, checksums and consumer errors hold.
final class StreamingInflateTests: XCTestCase {
    private func streamed(_ stream: [UInt8], chunkSize: Int, maxOutputBytes: Int = 1 << 30) throws -> (bytes: [UInt8], pieces: Int) {
        var output: [UInt8] = []
        var pieces = 0
        let count = try stream.withUnsafeBytes { bytes in
            try Inflate.zlib(bytes: bytes, maxOutputBytes: maxOutputBytes, chunkSize: chunkSize) { piece in
                output.append(contentsOf: piece)
                pieces += 1
            }
        }
        XCTAssertEqual(count, output.count)
        return (output, pieces)
    }

    func testPythonStreamsDecodeTheSameInPieces() throws {
        let corpus = try FixtureCorpus.load()
        for (variant, inputName) in corpus.zlibStreams.sorted(by: { $0.key < $1.key }) {
            let stream = try FixtureCorpus.file("zlib/\(variant).zz")
            let expected = try XCTUnwrap(corpus.inputs[inputName]).bytes
            for chunkSize in [1, 4096, 1 << 20] {
                XCTAssertEqual(try streamed(stream, chunkSize: chunkSize).bytes, expected, "\(variant), pieces of \(chunkSize)")
            }
        }
    }

    func testMatchesReachAcrossPieces() throws {
        // Seeded text with repeats at every distance up to the 32 KiB window, 300 KB long.
        var generator = SplitMix64(seed: 42)
        let words = (0..<500).map { _ in (0..<Int.random(in: 2...9, using: &generator)).map { _ in UInt8.random(in: 97...122, using: &generator) } }
        var text: [UInt8] = []
        while text.count < 300_000 {
            if text.count > 40_000 && Bool.random(using: &generator) {
                let length = Int.random(in: 3...258, using: &generator)
                let distance = Int.random(in: length...32_768, using: &generator)
                text.append(contentsOf: text[(text.count - distance)..<(text.count - distance + length)])
            } else {
                text.append(contentsOf: words[Int.random(in: 0..<words.count, using: &generator)] + [32])
            }
        }
        let stream = Deflate.zlib(text)
        let (bytes, pieces) = try streamed(stream, chunkSize: 10_000)
        XCTAssertEqual(bytes, text)
        XCTAssertGreaterThan(pieces, 20, "the output must arrive in pieces, not at once")
    }

    func testLimitAndChecksumAndConsumerErrors() throws {
        let text = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let stream = Deflate.zlib(text)
        XCTAssertThrowsError(try streamed(stream, chunkSize: 4096, maxOutputBytes: 100_000)) { error in
            XCTAssertEqual(error as? CompressionError, .outputLimitExceeded(limit: 100_000))
        }
        XCTAssertEqual(try streamed(stream, chunkSize: 4096, maxOutputBytes: 200_000).bytes, text)
        var corrupt = stream
        corrupt[corrupt.count - 1] ^= 1
        XCTAssertThrowsError(try streamed(corrupt, chunkSize: 4096)) { error in
            guard case .checksumMismatch? = error as? CompressionError else { return XCTFail("\(error)") }
        }
        struct Enough: Error {}
        var received = 0
        XCTAssertThrowsError(try stream.withUnsafeBytes { bytes in
            try Inflate.zlib(bytes: bytes, chunkSize: 4096) { piece in
                received += piece.count
                if received > 50_000 { throw Enough() }
            }
        }) { error in XCTAssertTrue(error is Enough) }
        XCTAssertLessThan(received, 100_000, "decoding stopped soon after the consumer's error")
    }
}

import Compression
import TestSupport
import XCTest

final class ChecksumTests: XCTestCase {
    private let digits = Array("123456789".utf8)

    func testCRC32StandardCheckValues() {
        XCTAssertEqual(CRC32.checksum(digits), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
        XCTAssertEqual(CRC32.checksum([UInt8](repeating: 0, count: 32)), 0x190A_55AD)
        XCTAssertEqual(CRC32.checksum([UInt8](repeating: 0xFF, count: 32)), 0xFF6C_AB0B)
    }

    func testAdler32StandardCheckValues() {
        XCTAssertEqual(Adler32.checksum(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(Adler32.checksum(digits), 0x091E_01DE)
        XCTAssertEqual(Adler32.checksum([UInt8]()), 1)
    }

    /// The slicing/unrolled fast paths, the generic element-by-element path, and incremental
    /// updates at every split point must agree.
    func testPathsAndIncrementalUpdatesAgree() {
        var generator = SplitMix64(seed: 0xC4C_32)
        let data = generator.bytes(1000)
        let crc = CRC32.checksum(data)
        let adler = Adler32.checksum(data)
        XCTAssertEqual(CRC32.checksum(data.lazy.map { $0 }), crc, "generic path")
        XCTAssertEqual(Adler32.checksum(data.lazy.map { $0 }), adler, "generic path")
        XCTAssertEqual(CRC32.checksum(data[...]), crc, "ArraySlice")
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            XCTAssertEqual(CRC32.update(CRC32.checksum(data[..<split]), data[split...]), crc, "split at \(split)")
            XCTAssertEqual(Adler32.update(Adler32.checksum(data[..<split]), data[split...]), adler, "split at \(split)")
        }
    }

    /// Long all-0xFF input drives the Adler-32 sums to their maximum before each reduction.
    func testAdler32ReductionOnWorstCaseInput() {
        let ones = [UInt8](repeating: 0xFF, count: 100_000)
        XCTAssertEqual(Adler32.checksum(ones), Adler32.checksum(ones.lazy.map { $0 }))
        XCTAssertEqual(Adler32.checksum(ones), 0x149A_302C)  // Python's zlib.adler32
    }

    func testMatchesPythonOnFixtureInputs() throws {
        let corpus = try FixtureCorpus.load()
        XCTAssertFalse(corpus.inputs.isEmpty)
        for (name, input) in corpus.inputs {
            XCTAssertEqual(CRC32.checksum(input.bytes), input.crc32, name)
            XCTAssertEqual(Adler32.checksum(input.bytes), input.adler32, name)
        }
    }
}

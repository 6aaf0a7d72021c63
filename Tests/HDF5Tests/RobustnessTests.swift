import Foundation
import TestSupport
import XCTest
@testable import HDF5

/// Damaged input must produce typed errors, never a crash, and never a large allocation.
final class RobustnessTests: XCTestCase {
    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestPaths.fixture(name, target: "HDF5Tests")))
    }

    /// Opens the file and reads everything it can; returns the first error.
    @discardableResult
    func readEverything(_ bytes: [UInt8]) -> Error? {
        do {
            let file = try HDF5File(bytes: bytes, limits: HDF5Limits(maxValueBytes: 1 << 22, maxEntries: 100_000))
            _ = try file.root.attributes()
            try file.walk { node in
                switch node {
                case .group(let group): _ = try group.attributes()
                case .dataset(let dataset):
                    _ = try dataset.attributes()
                    _ = try dataset.readValue()
                }
            }
            return nil
        } catch {
            XCTAssertTrue(error is HDF5Error, "untyped error \(error)")
            return error
        }
    }

    func testNotHDF5() {
        XCTAssertThrowsError(try HDF5File(bytes: Array("just some text, not a file".utf8))) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .notHDF5)
        }
        XCTAssertThrowsError(try HDF5File(bytes: [])) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .notHDF5)
        }
        XCTAssertThrowsError(try HDF5File(path: "/nonexistent/file.h5")) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .io)
        }
    }

    func testTruncatedFilesFailCleanly() throws {
        for name in ["earliest.h5", "latest.h5"] {
            let whole = try bytes(name)
            for length in stride(from: 0, to: whole.count, by: max(1, whole.count / 97)) {
                XCTAssertNotNil(readEverything(Array(whole[0..<length])) ?? nil as Error?,
                                "\(name) cut to \(length) bytes read without error")
            }
        }
    }

    func testVersion2HeaderChecksumIsVerified() throws {
        var file = try bytes("latest.h5")
        // The first 'OHDR' after the superblock is the root group's header.
        guard let at = (48..<(file.count - 4)).first(where: { file[$0..<($0 + 4)].elementsEqual("OHDR".utf8) }) else {
            return XCTFail("no OHDR in latest.h5")
        }
        file[at + 6] ^= 0x01
        XCTAssertThrowsError(try HDF5File(bytes: file)) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .checksumMismatch, "\(error)")
        }
    }

    func testDamagedFletcherChunkIsRefused() throws {
        var file = try bytes("earliest.h5")
        let reader = try HDF5File(bytes: file)
        let dataset = try reader.dataset(at: "shuffle_fletcher")
        guard case .chunked(let layout) = dataset.storage.layout else { return XCTFail("not chunked") }
        let index = try ChunkIndex(reader.image, layout: layout, dataspace: dataset.storage.dataspace, isFiltered: true)
        guard let chunk = try index.chunks().first else { return XCTFail("no chunks") }
        file[Int(chunk.address) + 1] ^= 0x10
        XCTAssertThrowsError(try HDF5File(bytes: file).dataset(at: "shuffle_fletcher").readFloats()) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .checksumMismatch)
            XCTAssertEqual((error as? HDF5Error)?.path, "/shuffle_fletcher")
        }
    }

    func testAbsurdSizesAreRefusedBeforeAllocating() throws {
        let file = try HDF5File(bytes: try bytes("earliest.h5"), limits: HDF5Limits(maxValueBytes: 64, maxEntries: 1000))
        XCTAssertThrowsError(try file.dataset(at: "model_weights/dense/kernel:0").readFloats()) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .tooLarge)
        }
    }

    func testByteFlipsNeverCrash() throws {
        for name in ["superblock_v1.h5", "latest.h5"] {
            let whole = try bytes(name)
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in 0..<120 {
                var mutated = whole
                for _ in 0..<4 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let position = Int(state >> 33) % mutated.count
                    mutated[position] = UInt8(truncatingIfNeeded: state >> 13)
                }
                readEverything(mutated)
            }
        }
    }
}

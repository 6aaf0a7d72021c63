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

    /// Every lookup3 checksum in the version-2 files is verified: each checksummed structure
    /// (superblock v2/v3, object headers and their continuation blocks, B-tree v2 headers and
    /// nodes, fractal heap headers and indirect blocks, fixed and extensible array blocks) is
    /// found by its signature, and its checksum by search: the first length after which the
    /// next four bytes are the lookup3 hash of what precedes them. Damaging those four stored
    /// bytes, which nothing else reads, must make reading the file fail with a checksum error.
    func testEveryStoredChecksumIsVerified() throws {
        let signatures = ["OHDR", "OCHK", "BTHD", "BTLF", "BTIN", "FRHP", "FHIB", "FAHD", "FADB", "EAHD", "EAIB", "EADB", "EASB"]
        let superblock: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        for name in ["latest.h5", "v108.h5"] {
            let whole = try bytes(name)
            XCTAssertNil(readEverything(whole), "\(name) reads cleanly before any damage")
            var structures: [(kind: String, start: Int)] = []
            if whole.starts(with: superblock) { structures.append(("superblock", 0)) }
            for start in 0..<(whole.count - 4) {
                let tag = String(decoding: whole[start..<(start + 4)], as: UTF8.self)
                if signatures.contains(tag) { structures.append((tag, start)) }
            }
            var found: [String: Int] = [:]
            for structure in structures {
                let end = min(whole.count - 4, structure.start + 8192)
                guard let checksumAt = (structure.start + 8..<end).first(where: { at in
                    Lookup3.hash(whole[structure.start..<at]) == UInt32(whole[at]) | UInt32(whole[at + 1]) << 8
                        | UInt32(whole[at + 2]) << 16 | UInt32(whole[at + 3]) << 24
                }) else {
                    XCTFail("\(name): no checksum found for the \(structure.kind) at \(structure.start)")
                    continue
                }
                found[structure.kind, default: 0] += 1
                var damaged = whole
                damaged[checksumAt + 1] ^= 0x5A
                let error = readEverything(damaged)
                XCTAssertEqual((error as? HDF5Error)?.kind, .checksumMismatch,
                               "\(name): the \(structure.kind) at \(structure.start) with its checksum at \(checksumAt) damaged: \(String(describing: error))")
            }
            // Every kind of checksummed structure the fixtures hold was exercised.
            XCTAssertEqual(found["superblock"], 1, name)
            for kind in ["OHDR", "BTHD", "BTLF", "FRHP", "FHIB"] { XCTAssertNotNil(found[kind], "\(name): no \(kind)") }
            if name == "latest.h5" {
                for kind in ["OCHK", "FAHD", "FADB", "EAHD", "EAIB", "EADB"] { XCTAssertNotNil(found[kind], "\(name): no \(kind)") }
            }
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

    /// `maxValueBytes` and `maxEntries` are inclusive: a value or a group exactly at the limit
    /// reads, one over is refused as too large.
    func testLimitsAreInclusive() throws {
        let file = try bytes("earliest.h5")
        func open(maxValueBytes: Int = 1 << 20, maxEntries: Int = 1000) throws -> HDF5File {
            try HDF5File(bytes: file, limits: HDF5Limits(maxValueBytes: maxValueBytes, maxEntries: maxEntries))
        }
        // A contiguous 6x4 float32 dataset: 96 bytes.
        let kernel = "model_weights/dense/kernel:0"
        XCTAssertEqual(try open(maxValueBytes: 96).dataset(at: kernel).readFloats().count, 24)
        XCTAssertThrowsError(try open(maxValueBytes: 95).dataset(at: kernel).readFloats()) {
            XCTAssertEqual(($0 as? HDF5Error)?.kind, .tooLarge, "\($0)")
        }
        // A chunked dataset: its whole size is the binding limit.
        let chunked = try open().dataset(at: "shuffle_fletcher")
        let chunkedBytes = chunked.elementCount * chunked.datatype.size
        XCTAssertEqual(try open(maxValueBytes: chunkedBytes).dataset(at: "shuffle_fletcher").readFloats().count, chunked.elementCount)
        XCTAssertThrowsError(try open(maxValueBytes: chunkedBytes - 1).dataset(at: "shuffle_fletcher").readFloats()) {
            XCTAssertEqual(($0 as? HDF5Error)?.kind, .tooLarge, "\($0)")
        }
        // A scalar float64 attribute: 8 bytes.
        XCTAssertEqual(try open(maxValueBytes: 8).root.attribute("f64")?.doubles, [2.718281828459045])
        XCTAssertThrowsError(try open(maxValueBytes: 7).root.attribute("f64")) {
            XCTAssertEqual(($0 as? HDF5Error)?.kind, .tooLarge, "\($0)")
        }
        // Group members: big_group keeps its 40 links in a symbol table (v1 B-tree and SNOD
        // nodes), the root its 15 in dense storage (a v2 B-tree name index).
        for (group, members, why) in [("big_group", 40, "group has too many members"), ("/", 15, "v2 B-tree has too many records")] {
            XCTAssertEqual(try open(maxEntries: members).group(at: group).childNames().count, members, group)
            XCTAssertThrowsError(try open(maxEntries: members - 1).group(at: group).childNames(), group) {
                XCTAssertEqual(($0 as? HDF5Error)?.kind, .tooLarge, "\($0)")
                XCTAssertTrue("\($0)".contains(why), "\($0)")
            }
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

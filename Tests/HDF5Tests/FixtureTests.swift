import Foundation
import TestSupport
import XCTest
@testable import HDF5

/// Every fixture (written by scripts/make-hdf5-fixtures.py) reads exactly as h5py read it:
/// member order, dataset shapes, dtypes and values, attribute values and order.
final class FixtureTests: XCTestCase {
    static let fixtureNames = ["earliest.h5", "latest.h5", "track_order.h5", "userblock.h5", "v108.h5", "superblock_v1.h5"]

    func open(_ name: String) throws -> HDF5File {
        try HDF5File(path: TestPaths.fixture(name, target: "HDF5Tests").path)
    }

    func testSuperblockVersions() throws {
        XCTAssertEqual(try open("earliest.h5").superblockVersion, 0)
        XCTAssertEqual(try open("superblock_v1.h5").superblockVersion, 1)
        XCTAssertEqual(try open("v108.h5").superblockVersion, 2)
        XCTAssertEqual(try open("latest.h5").superblockVersion, 3)
        XCTAssertEqual(try open("userblock.h5").superblock.fileOffset, 1024)
    }

    func testEveryFixtureMatchesH5py() throws {
        let expected = try ExpectedValues.load(TestPaths.fixture("expected.json", target: "HDF5Tests"))
        for name in Self.fixtureNames {
            guard let description = expected[name] as? [String: Any] else { XCTFail("\(name) missing from expected.json"); continue }
            try check(try open(name), against: description, name)
        }
    }

    /// Groups' links are cached in the file once read: one shared file, read by several threads
    /// at once and again, gives every reader what a fresh file gives.
    func testOneFileReadFromManyThreadsAgreesWithAFreshOne() throws {
        let expected = try ExpectedValues.load(TestPaths.fixture("expected.json", target: "HDF5Tests"))
        for name in Self.fixtureNames {
            guard let description = expected[name] as? [String: Any] else { continue }
            let shared = try open(name)
            let failures = NSLock()
            var failed: [String] = []
            DispatchQueue.concurrentPerform(iterations: 8) { round in
                do {
                    try check(shared, against: description, "\(name) round \(round)")
                } catch {
                    failures.lock(); failed.append("\(error)"); failures.unlock()
                }
            }
            XCTAssertEqual(failed, [], name)
        }
    }

    func check(_ file: HDF5File, against description: [String: Any], _ name: String) throws {
        let groups = description["groups"] as? [String: [String]] ?? [:]
        XCTAssertFalse(groups.isEmpty, name)
        for (path, members) in groups {
            XCTAssertEqual(try file.group(at: path).childNames(), members, "\(name) \(path) members")
        }
        let datasets = description["datasets"] as? [String: [String: Any]] ?? [:]
        XCTAssertFalse(datasets.isEmpty, name)
        for (path, info) in datasets {
            let dataset = try file.dataset(at: path)
            XCTAssertEqual(dataset.shape, info["shape"] as? [Int], "\(name) \(path) shape")
            XCTAssertEqual(dataset.datatype.description, info["dtype"] as? String, "\(name) \(path) dtype")
            ExpectedValues.assertNumbers(try dataset.readDoubles(), info["values"], "\(name) \(path)")
            let floats = try dataset.readFloats()
            XCTAssertEqual(floats.count, dataset.elementCount, "\(name) \(path) float count")
            XCTAssertEqual(floats, try dataset.readDoubles().map { Float($0) }, "\(name) \(path) floats")
        }
        let attributes = description["attributes"] as? [String: [String: Any]] ?? [:]
        XCTAssertFalse(attributes.isEmpty, name)
        for (path, byName) in attributes {
            let node = try file.node(at: path)
            let names: [String]
            switch node {
            case .group(let group): names = try group.attributeNames()
            case .dataset(let dataset): names = try dataset.attributeNames()
            }
            XCTAssertEqual(names, byName["__order__"] as? [String], "\(name) \(path) attribute order")
            for (attributeName, entry) in byName where attributeName != "__order__" {
                guard let entry = entry as? [String: Any] else {
                    throw BrokenFixture("expected.json: \(name) \(path)@\(attributeName) is not an object")
                }
                let value: HDF5Value?
                switch node {
                case .group(let group): value = try group.attribute(attributeName)
                case .dataset(let dataset): value = try dataset.attribute(attributeName)
                }
                ExpectedValues.assertValue(value, entry["value"], "\(name) \(path)@\(attributeName)")
                XCTAssertEqual(value?.shape, entry["shape"] as? [Int], "\(name) \(path)@\(attributeName) shape")
            }
        }
    }

    /// The superblock is searched at 0, 512, 1024, 2048, ...: earliest.h5 behind a user block of
    /// 512 or 2048 bytes reads as itself (h5py reads both; userblock.h5 covers 1024).
    func testSuperblockBehindEveryUserBlockSize() throws {
        let bytes = [UInt8](try Data(contentsOf: TestPaths.fixture("earliest.h5", target: "HDF5Tests")))
        let plain = try open("earliest.h5").dataset(at: "model_weights/dense/kernel:0").readFloats()
        for size in [512, 2048] {
            let file = try HDF5File(bytes: [UInt8](repeating: 0, count: size) + bytes)
            XCTAssertEqual(file.superblock.fileOffset, size)
            XCTAssertEqual(try file.dataset(at: "model_weights/dense/kernel:0").readFloats(), plain, "user block of \(size)")
        }
        XCTAssertThrowsError(try HDF5File(bytes: [UInt8](repeating: 0, count: 700) + bytes), "700 is not a user block size")
    }

    func testChunkIndexesOfLayoutVersion4() throws {
        let file = try open("latest.h5")
        let expectedIndex: [String: String] = [
            "single_chunk": "single", "single_chunk_gzip": "single", "implicit": "implicit",
            "fixed_array": "fixed", "fixed_array_gzip": "fixed", "fixed_array_paged": "fixed",
            "extensible": "extensible", "extensible_gzip": "extensible", "btree_v2": "btree2", "btree_v2_gzip": "btree2",
        ]
        for (name, kind) in expectedIndex {
            let dataset = try file.dataset(at: name)
            guard case .chunked(let layout) = dataset.storage.layout else { XCTFail("\(name) is not chunked"); continue }
            let actual: String
            switch layout.index {
            case .singleChunk: actual = "single"
            case .implicit: actual = "implicit"
            case .fixedArray: actual = "fixed"
            case .extensibleArray: actual = "extensible"
            case .btreeV2: actual = "btree2"
            case .btreeV1: actual = "btree1"
            }
            XCTAssertEqual(actual, kind, name)
        }
    }

    func testPathsLinksAndErrors() throws {
        let file = try open("earliest.h5")
        XCTAssertEqual(file.root.path, "/")
        XCTAssertEqual(try file.group(at: "").path, "/")
        XCTAssertEqual(try file.group(at: "/model_weights/dense").path, "/model_weights/dense")
        let kernel = try file.root.group(named: "model_weights").group(named: "dense").dataset(named: "kernel:0")
        XCTAssertEqual(kernel.path, "/model_weights/dense/kernel:0")
        XCTAssertEqual(kernel.shape, [6, 4])
        XCTAssertEqual(kernel.datatype, HDF5Datatype(kind: .float, size: 4))

        // A soft link reads as its target.
        XCTAssertEqual(try file.dataset(at: "soft_to_bias").readFloats(), [0, 1, 2, 3])
        // An external link is listed but refused clearly.
        XCTAssertTrue(try file.root.childNames().contains("external"))
        XCTAssertThrowsError(try file.node(at: "external")) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("elsewhere.h5"), "\(error)")
        }
        XCTAssertThrowsError(try file.node(at: "model_weights/nothing")) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .notFound)
            XCTAssertEqual((error as? HDF5Error)?.path, "/model_weights")
        }
        XCTAssertThrowsError(try file.dataset(at: "model_weights")) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .wrongKind)
        }
        XCTAssertThrowsError(try file.group(at: "scalar")) { error in
            XCTAssertEqual((error as? HDF5Error)?.kind, .wrongKind)
        }
        XCTAssertNil(try file.root.attribute("no_such_attribute"))
        XCTAssertEqual(try file.root.attribute("bytes_scalar")?.string, "fixed")
        XCTAssertEqual(try file.root.attribute("vlen_list")?.stringArray, ["alpha", "beta", "gamma"])
        XCTAssertEqual(try file.group(at: "model_weights/dense").attribute("weight_names"),
                       .strings(["dense/kernel:0", "dense/bias:0"], shape: [2]))
    }

    func testModificationTimeWhenTracked() throws {
        for name in ["earliest.h5", "latest.h5"] {
            let file = try open(name)
            let stamped = try XCTUnwrap(try file.dataset(at: "timed").modificationTime, name)
            XCTAssertGreaterThan(stamped.timeIntervalSince1970, 1_600_000_000, name)
            XCTAssertNil(try file.dataset(at: "scalar").modificationTime, "h5py does not track times by default")
        }
    }

    func testWalkVisitsEveryObjectOnce() throws {
        let file = try open("latest.h5")
        var paths: [String] = []
        try file.walk { paths.append($0.path) }
        XCTAssertEqual(Set(paths).count, paths.count)
        XCTAssertTrue(paths.contains("/dense_group/item29"))
        XCTAssertTrue(paths.contains("/model_weights/dense/bias:0"))
        XCTAssertFalse(paths.contains("/soft_to_bias"), "soft links are not walked")
    }

    func testOpenFromBytesEqualsOpenFromPath() throws {
        let url = TestPaths.fixture("latest.h5", target: "HDF5Tests")
        let fromBytes = try HDF5File(bytes: [UInt8](try Data(contentsOf: url)))
        XCTAssertEqual(try fromBytes.dataset(at: "fixed_array").readFloats(), try open("latest.h5").dataset(at: "fixed_array").readFloats())
    }
}

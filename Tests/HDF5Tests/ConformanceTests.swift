import Foundation
import TestSupport
import XCTest
@testable import HDF5

/// The shared acceptance corpus: ../shared/conformance/hdf5 read exactly as h5py read it, and
/// every Keras .h5 listing the same tree as h5py.
final class ConformanceTests: XCTestCase {
    func testHDF5CorpusMatchesExpected() throws {
        guard let folder = TestPaths.shared("conformance/hdf5") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("conformance/hdf5"))
        }
        let expected = try ExpectedValues.load(folder.appendingPathComponent("expected.json"))
        XCTAssertEqual(expected.count, 3)
        for (name, entry) in expected {
            guard let entry = entry as? [String: Any] else { throw BrokenFixture("expected.json: \(name) is not an object") }
            let file = try HDF5File(path: folder.appendingPathComponent(name).path)
            let datasets = entry["datasets"] as? [String: [String: Any]] ?? [:]
            XCTAssertFalse(datasets.isEmpty)
            for (path, info) in datasets {
                let dataset = try file.dataset(at: path)
                XCTAssertEqual(dataset.shape, info["shape"] as? [Int], "\(name) \(path)")
                XCTAssertEqual(dataset.datatype.description, info["dtype"] as? String, "\(name) \(path)")
                ExpectedValues.assertNumbers(try dataset.readDoubles(), info["values"], "\(name) \(path)")
            }
            let attributes = entry["attributes"] as? [String: Any] ?? [:]
            XCTAssertFalse(attributes.isEmpty, name)
            for (key, value) in attributes {
                let parts = key.split(separator: "@", maxSplits: 1).map(String.init)
                let objectPath = parts[0]
                let attributeName = parts.count > 1 ? parts[1] : ""
                let attribute: HDF5Value?
                switch try file.node(at: objectPath) {
                case .group(let group): attribute = try group.attribute(attributeName)
                case .dataset(let dataset): attribute = try dataset.attribute(attributeName)
                }
                ExpectedValues.assertValue(attribute, value, "\(name) \(key)")
            }
        }
        // Creation order is tracked in track_order.h5, and h5py lists by it.
        let tracked = try HDF5File(path: folder.appendingPathComponent("track_order.h5").path)
        XCTAssertEqual(try tracked.root.childNames().first, "model_weights")
        XCTAssertEqual(try tracked.root.attributeNames(), ["big_attribute", "model_config", "fixed_string"])
    }

    /// Keras 2 stores an empty weight list as an empty float array; it reads as no names.
    func testKeras2EmptyWeightListReadsAsNoNames() throws {
        guard let keras = TestPaths.shared("conformance/keras/k2_mnist_cnn.h5") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("conformance/keras/k2_mnist_cnn.h5"))
        }
        let dropout = try HDF5File(path: keras.path).group(at: "model_weights/dropout")
        XCTAssertEqual(try dropout.attribute("weight_names")?.stringArray, [])
    }

    func testKerasFilesListTheTreeH5pyLists() throws {
        guard let folder = TestPaths.shared("conformance/keras") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("conformance/keras"))
        }
        let trees = try ExpectedValues.load(TestPaths.fixture("keras-trees.json", target: "HDF5Tests"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".h5") }
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(Set(files), Set(trees.keys), "keras-trees.json is stale: rerun scripts/make-hdf5-fixtures.py")
        for name in files {
            let file = try HDF5File(path: folder.appendingPathComponent(name).path)
            guard let entries = trees[name] as? [[String: Any]] else { XCTFail(name); continue }
            var walked: [String] = ["/"]
            try file.walk { walked.append($0.path) }
            XCTAssertEqual(walked, entries.compactMap { $0["path"] as? String }, "\(name): tree")
            for entry in entries {
                guard let path = entry["path"] as? String else { throw BrokenFixture("keras-trees.json: an entry of \(name) has no path") }
                let node = try file.node(at: path)
                switch node {
                case .group(let group):
                    XCTAssertEqual(entry["kind"] as? String, "group", "\(name) \(path)")
                    XCTAssertEqual(try group.childNames(), entry["children"] as? [String], "\(name) \(path)")
                    XCTAssertEqual(try group.attributeNames(), entry["attributes"] as? [String], "\(name) \(path)")
                    for attribute in try group.attributeNames() { XCTAssertNotNil(try group.attribute(attribute)) }
                case .dataset(let dataset):
                    XCTAssertEqual(entry["kind"] as? String, "dataset", "\(name) \(path)")
                    XCTAssertEqual(dataset.shape, entry["shape"] as? [Int], "\(name) \(path)")
                    XCTAssertEqual(dataset.datatype.description, entry["dtype"] as? String, "\(name) \(path)")
                    let sum = try dataset.readDoubles().reduce(0, +)
                    let expected = ExpectedValues.exactDouble(entry["sum"]) ?? .nan
                    XCTAssertEqual(sum, expected, accuracy: 1e-6 * max(1, abs(expected)), "\(name) \(path) sum")
                }
            }
        }
    }
}

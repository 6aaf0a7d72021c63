import Foundation
import TestSupport
import XCTest
@testable import HDF5

/// The writer against our own reader: every tree written reads back identically (members,
/// shapes, types, values, attributes), including random trees, large groups that need a
/// multi-level B-tree, empty groups, zero-size arrays and UTF-8 names. (scripts/check-hdf5-writer.py
/// checks the same files with h5py and the reference library.)
final class WriterTests: XCTestCase {
    func testSmallTreeReadsBack() throws {
        let root = HDF5WritableGroup()
        root.attributes["backend"] = .string("tensorflow")
        root.attributes["keras_version"] = .string("2.21.0")
        root.attributes["list"] = .strings(["conv2d", "dense", "a_longer_name"])
        root.attributes["empty"] = try HDF5WritableArray(.float64([]))
        root.attributes["pi"] = .scalar(3.25)
        let layer = root.group("model_weights/conv2d")
        layer.attributes["weight_names"] = .strings(["conv2d/kernel:0", "conv2d/bias:0"])
        layer.datasets["kernel:0"] = try HDF5WritableArray(.float32((0..<24).map { Float($0) * 0.5 - 3 }), shape: [2, 3, 1, 4])
        layer.datasets["bias:0"] = try HDF5WritableArray(.float32([1, -2, .infinity, -0.0]))
        root.group("empty_group")
        let bytes = try HDF5Writer.encode(root)

        let file = try HDF5File(bytes: bytes)
        XCTAssertEqual(file.superblockVersion, 0)
        XCTAssertEqual(try file.root.childNames(), ["empty_group", "model_weights"])
        XCTAssertEqual(try file.root.attribute("backend")?.string, "tensorflow")
        XCTAssertEqual(try file.root.attribute("list")?.stringArray, ["conv2d", "dense", "a_longer_name"])
        XCTAssertEqual(try file.root.attribute("empty"), .floats([], shape: [0]))
        XCTAssertEqual(try file.root.attribute("pi"), .floats([3.25], shape: []))
        XCTAssertEqual(try file.root.attributeNames(), ["backend", "empty", "keras_version", "list", "pi"])
        let kernel = try file.dataset(at: "model_weights/conv2d/kernel:0")
        XCTAssertEqual(kernel.shape, [2, 3, 1, 4])
        XCTAssertEqual(kernel.datatype.description, "float32")
        XCTAssertEqual(try kernel.readFloats(), (0..<24).map { Float($0) * 0.5 - 3 })
        let bias = try file.dataset(at: "model_weights/conv2d/bias:0").readFloats()
        XCTAssertEqual(bias.map(\.bitPattern), [Float(1), -2, .infinity, -0.0].map(\.bitPattern))
        XCTAssertEqual(try file.group(at: "empty_group").childNames(), [])
        XCTAssertEqual(try file.dataset(at: "model_weights/conv2d/kernel:0").storageDescription, "contiguous")
    }

    /// 300 members: 38 symbol-table nodes, more than one B-tree node holds, so a second level.
    func testLargeGroupNeedsTwoBTreeLevels() throws {
        let root = HDF5WritableGroup()
        let names = (0..<300).map { "layer_\($0)" }
        for (index, name) in names.enumerated() {
            root.group("weights").datasets[name] = try HDF5WritableArray(.int32([Int32(index)]), shape: [])
        }
        let file = try HDF5File(bytes: try HDF5Writer.encode(root))
        let sorted = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        XCTAssertEqual(try file.group(at: "weights").childNames(), sorted)
        for (index, name) in names.enumerated() where index % 37 == 0 {
            XCTAssertEqual(try file.dataset(at: "weights/\(name)").readIntegers(), [Int64(index)])
        }
    }

    func testBadTreesAreRefused() throws {
        let slash = HDF5WritableGroup()
        slash.datasets["a/b"] = try HDF5WritableArray(.uint8([1]))
        XCTAssertThrowsError(try HDF5Writer.encode(slash)) { XCTAssertTrue("\($0)".contains("not a valid member name"), "\($0)") }
        let both = HDF5WritableGroup()
        both.group("x")
        both.datasets["x"] = try HDF5WritableArray(.uint8([1]))
        XCTAssertThrowsError(try HDF5Writer.encode(both))
        let huge = HDF5WritableGroup()
        huge.attributes["config"] = .string(String(repeating: "x", count: 70_000))
        XCTAssertThrowsError(try HDF5Writer.encode(huge)) { XCTAssertTrue("\($0)".contains("64 KiB"), "\($0)") }
        XCTAssertThrowsError(try HDF5WritableArray(.float32([1, 2, 3]), shape: [2, 2]))
    }

    /// Fuzz-style: 150 seeded random trees of every element type, shape (including zero-size and
    /// scalar), nesting and attribute kind, each written and read back in full.
    func testRandomTreesReadBackIdentically() throws {
        var random = SystemFreeGenerator(seed: 20261201)
        for iteration in 0..<150 {
            let root = HDF5WritableGroup()
            var expected: [String: HDF5WritableArray] = [:]        // dataset path -> value
            var expectedAttributes: [String: [String: HDF5WritableArray]] = [:]
            var groupPaths: [String: HDF5WritableGroup] = ["": root]
            for _ in 0..<random.int(1...12) {
                let parentPath = groupPaths.keys.sorted()[random.int(0...(groupPaths.count - 1))]
                let parent = groupPaths[parentPath]!
                let name = random.name()
                let path = parentPath.isEmpty ? name : parentPath + "/" + name
                guard parent.groups[name] == nil, parent.datasets[name] == nil else { continue }
                if random.int(0...2) == 0 {
                    groupPaths[path] = parent.group(name)
                } else {
                    let value = random.array()
                    parent.datasets[name] = value
                    expected[path] = value
                }
            }
            for (path, group) in groupPaths {
                for _ in 0..<random.int(0...3) {
                    let value = random.array(maxElements: 20)
                    let name = random.name()
                    group.attributes[name] = value
                    expectedAttributes[path, default: [:]][name] = value
                }
            }
            let bytes = try HDF5Writer.encode(root)
            try dump(bytes, datasets: expected, attributes: expectedAttributes, groups: groupPaths, name: "random-\(iteration)")
            let file = try HDF5File(bytes: bytes)
            for (path, group) in groupPaths {
                let read = try file.group(at: path.isEmpty ? "/" : path)
                XCTAssertEqual(try read.childNames(), group.memberNames, "iteration \(iteration) \(path)")
                for (name, value) in expectedAttributes[path] ?? [:] {
                    XCTAssertEqual(try read.attribute(name), readValue(value), "iteration \(iteration) \(path)@\(name)")
                }
            }
            for (path, value) in expected {
                let dataset = try file.dataset(at: path)
                XCTAssertEqual(dataset.shape, value.shape, "iteration \(iteration) \(path)")
                XCTAssertEqual(try dataset.readValue(), readValue(value), "iteration \(iteration) \(path)")
            }
        }
    }

    /// With HDF5_WRITER_DUMP=DIR set, each random file and a JSON description of what it holds
    /// go to DIR, for scripts/check-hdf5-writer.py to read with h5py.
    func dump(_ bytes: [UInt8], datasets: [String: HDF5WritableArray], attributes: [String: [String: HDF5WritableArray]],
              groups: [String: HDF5WritableGroup], name: String) throws {
        guard let directory = ProcessInfo.processInfo.environment["HDF5_WRITER_DUMP"] else { return }
        func describe(_ array: HDF5WritableArray) -> [String: Any] {
            let values: [Any]
            switch array.elements {
            case .float32(let v): values = v.map { Double($0) }
            case .float64(let v): values = v
            case .int8(let v): values = v.map { Int($0) }
            case .int16(let v): values = v.map { Int($0) }
            case .int32(let v): values = v.map { Int($0) }
            case .int64(let v): values = v.map { Int($0) }
            case .uint8(let v): values = v.map { Int($0) }
            case .strings(let v): values = v
            }
            return ["shape": array.shape, "dtype": "\(array.elements)".prefix { $0 != "(" }, "values": values]
        }
        let document: [String: Any] = [
            "groups": Dictionary(uniqueKeysWithValues: groups.map { ("/" + $0.key, $0.value.memberNames) }),
            "datasets": Dictionary(uniqueKeysWithValues: datasets.map { ("/" + $0.key, describe($0.value)) }),
            "attributes": Dictionary(uniqueKeysWithValues: attributes.map { path, values in
                ("/" + path, Dictionary(uniqueKeysWithValues: values.map { ($0.key, describe($0.value)) }))
            }),
        ]
        let folder = URL(fileURLWithPath: directory)
        try Data(bytes).write(to: folder.appendingPathComponent(name + ".h5"))
        try JSONSerialization.data(withJSONObject: document).write(to: folder.appendingPathComponent(name + ".json"))
    }

    /// What the reader reports for a written array.
    func readValue(_ array: HDF5WritableArray) -> HDF5Value {
        switch array.elements {
        case .float32(let values): return .floats(values.map(Double.init), shape: array.shape)
        case .float64(let values): return .floats(values, shape: array.shape)
        case .int8(let values): return .integers(values.map(Int64.init), shape: array.shape)
        case .int16(let values): return .integers(values.map(Int64.init), shape: array.shape)
        case .int32(let values): return .integers(values.map(Int64.init), shape: array.shape)
        case .int64(let values): return .integers(values, shape: array.shape)
        case .uint8(let values): return .integers(values.map(Int64.init), shape: array.shape)
        case .strings(let values): return .strings(values, shape: array.shape)
        }
    }
}

/// Random trees for the writer, from a seeded SplitMix64 (TestSupport).
struct SystemFreeGenerator {
    private var source: SplitMix64
    init(seed: UInt64) { source = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { source.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func name() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_:0123456789é")
        return String((0..<int(1...14)).map { _ in alphabet[int(0...(alphabet.count - 1))] })
    }

    mutating func array(maxElements: Int = 200) -> HDF5WritableArray {
        var shape: [Int] = []
        switch int(0...3) {
        case 0: shape = []
        case 1: shape = [int(0...maxElements)]
        default: shape = (0..<int(2...4)).map { _ in int(0...4) }
        }
        let count = shape.reduce(1, *)
        let elements: HDF5WritableArray.Elements
        switch int(0...7) {
        case 0: elements = .float32((0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: next()) & 0x7F7F_FFFF) })
        case 1: elements = .float64((0..<count).map { _ in Double(Int64(bitPattern: next())) / 1e6 })
        case 2: elements = .int8((0..<count).map { _ in Int8(truncatingIfNeeded: next()) })
        case 3: elements = .int16((0..<count).map { _ in Int16(truncatingIfNeeded: next()) })
        case 4: elements = .int32((0..<count).map { _ in Int32(truncatingIfNeeded: next()) })
        case 5: elements = .int64((0..<count).map { _ in Int64(bitPattern: next()) })
        case 6: elements = .uint8((0..<count).map { _ in UInt8(truncatingIfNeeded: next()) })
        default: elements = .strings((0..<count).map { _ in name() })
        }
        return try! HDF5WritableArray(elements, shape: shape)
    }
}

import XCTest
@testable import Datasets

/// The wire format and tf.train.Example by hand-assembled bytes: what protobuf's rules say a
/// parser must accept (unknown fields, unpacked numbers, merging, last-wins) and must refuse.
final class ProtobufTests: XCTestCase {
    func testVarintsRoundTripAtTheirLimits() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16383, 16384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max] {
            var writer = ProtobufWriter()
            writer.varint(value)
            var reader = ProtobufReader(writer.bytes)
            XCTAssertEqual(try reader.readVarint(), value)
            XCTAssertTrue(reader.isAtEnd)
        }
        var writer = ProtobufWriter()
        writer.varint(300)
        XCTAssertEqual(writer.bytes, [0xAC, 0x02], "the encoding guide's example")
    }

    func testMalformedWireDataIsRefusedWithWhere() {
        func fails(_ bytes: [UInt8], _ text: String, file: StaticString = #filePath, line: UInt = #line) {
            var reader = ProtobufReader(bytes)
            XCTAssertThrowsError(try { while let field = try reader.nextField() { try reader.skip(field.wireType, number: field.number) } }(),
                                 file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
            }
        }
        fails([0x08, 0x80], "runs past the end")                        // varint cut short
        fails([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], "longer than 64 bits")
        fails([0x0A, 0x05, 1, 2], "claims 5 bytes, 2 remain")          // length beyond the message
        fails([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "claims 4294967295 bytes")
        fails([0x0E], "wire type 6")
        fails([0x00, 0x01], "field number 0")
        fails([0x0B, 0x10, 0x01], "not closed")                        // group 1 never ended
        fails([0x0B, 0x14], "closed by an end-group tag for field 2")
        fails([0x0C], "has no start")
        fails([0x0D, 1, 2], "4-byte value")
        fails([0x09, 1, 2, 3], "8-byte value")
        fails([UInt8](repeating: 0x0B, count: 150), "more than 100 deep")
    }

    func testGroupsAndUnknownFieldsAreSkipped() throws {
        // field 1 group holding a varint and a nested group, then field 2 varint 7.
        let bytes: [UInt8] = [0x0B, 0x08, 0x05, 0x1B, 0x1C, 0x0C, 0x10, 0x07]
        var reader = ProtobufReader(bytes)
        let group = try XCTUnwrap(reader.nextField())
        XCTAssertEqual(group.wireType, .startGroup)
        try reader.skip(group.wireType, number: group.number)
        let next = try XCTUnwrap(reader.nextField())
        XCTAssertEqual(next.number, 2)
        XCTAssertEqual(try reader.readVarint(), 7)
        XCTAssertNil(try reader.nextField())
    }

    /// Builds an Example field by field: entries is a list of (key, Feature bytes).
    private func example(_ entries: [(String, [UInt8])], extra: [UInt8] = []) -> [UInt8] {
        var features = ProtobufWriter()
        for (key, feature) in entries {
            var entry = ProtobufWriter()
            entry.string(1, key)
            entry.lengthDelimited(2, feature)
            features.message(1, entry)
        }
        var message = ProtobufWriter()
        message.message(1, features)
        return message.bytes + extra
    }

    private func list(_ kind: Int, _ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var list = ProtobufWriter()
        body(&list)
        var feature = ProtobufWriter()
        feature.message(kind, list)
        return feature.bytes
    }

    func testUnpackedAndPackedNumbersAndMergingRules() throws {
        let unpackedInts = list(3) { list in
            for value in [5, -1] as [Int64] { list.tag(1, .varint); list.varint(UInt64(bitPattern: value)) }
        }
        let packedInts = list(3) { $0.packedInt64s(1, [9, 10]) }
        let unpackedFloats = list(2) { list in
            for value: Float in [0.5, -2] { list.tag(1, .fixed32); list.fixed32(value.bitPattern) }
        }
        let bytesList = list(1) { $0.lengthDelimited(1, [1, 2, 3]); $0.lengthDelimited(1, []) }
        // Unknown field 9 in Example and in the entry; a key given twice (the last wins); two
        // int64 lists in one Feature merge; a float list after an int64 list replaces it.
        let replaced = list(3) { $0.packedInt64s(1, [1]) } + list(2) { $0.packedFloats(1, [3]) }
        let bytes = example([("a", unpackedInts + packedInts), ("f", unpackedFloats), ("b", bytesList), ("k", bytesList),
                             ("k", packedInts), ("r", replaced), ("e", [])], extra: [0x48, 0x01])
        let parsed = try TFExample(parsing: bytes)
        XCTAssertEqual(parsed.features["a"], .int64s([5, -1, 9, 10]))
        XCTAssertEqual(parsed.features["f"], .floats([0.5, -2]))
        XCTAssertEqual(parsed.features["b"], .bytes([[1, 2, 3], []]))
        XCTAssertEqual(parsed.features["k"], .int64s([9, 10]))
        XCTAssertEqual(parsed.features["r"], .floats([3]))
        XCTAssertEqual(parsed.features["e"], .empty)
        // Two `features` fields in one Example merge their maps.
        let twice = try TFExample(parsing: example([("x", packedInts)]) + example([("y", packedInts)]))
        XCTAssertEqual(Set(twice.features.keys), ["x", "y"])
    }

    func testWrongWireTypesAndBadPackedListsAreRefused() {
        XCTAssertThrowsError(try TFExample(parsing: [0x08, 0x01])) { XCTAssertTrue("\($0)".contains("Example.features")) }
        let oddFloats = list(2) { $0.lengthDelimited(1, [1, 2, 3, 4, 5]) }
        XCTAssertThrowsError(try TFExample(parsing: example([("f", oddFloats)]))) {
            XCTAssertTrue("\($0)".contains("not a whole number of floats"), "\($0)")
        }
        let varintFloat = list(2) { $0.tag(1, .varint); $0.varint(1) }
        XCTAssertThrowsError(try TFExample(parsing: example([("f", varintFloat)])))
        XCTAssertThrowsError(try TFExample(parsing: example([("\u{FFFD}", [])]).map { $0 == 0xEF ? 0xFF : $0 })) {
            XCTAssertTrue("\($0)".contains("UTF-8"), "\($0)")
        }
    }

    func testEncodingRoundTripsAndIsDeterministic() throws {
        let original = TFExample(features: ["label": .int64s([7, -3, Int64.min]), "image_raw": .bytes([[0, 255, 9]]),
                                            "scores": .floats([0.25, .infinity]), "none": .floats([]), "unset": .empty])
        let bytes = original.encoded()
        XCTAssertEqual(try TFExample(parsing: bytes), original)
        XCTAssertEqual(TFExample(features: original.features).encoded(), bytes)
    }
}

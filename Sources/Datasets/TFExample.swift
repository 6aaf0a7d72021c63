/// `tf.train.Example` (TensorFlow's example.proto and feature.proto), the message TFRecord
/// files of training data hold: a map from feature names to lists of bytes, floats or 64-bit
/// integers.
///
///     Example  { Features features = 1; }
///     Features { map<string, Feature> feature = 1; }      // entries: key = 1, value = 2
///     Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
///     BytesList { repeated bytes value = 1; }  FloatList { repeated float value = 1 [packed]; }
///     Int64List { repeated int64 value = 1 [packed]; }
///
/// Parsed as protobuf requires: unknown fields are skipped, a repeated message field merges,
/// a later map entry with the same key wins, a later `oneof` member replaces an earlier one,
/// and packed and unpacked repeated numbers are both accepted.
public struct TFExample: Equatable, Sendable {
    public var features: [String: TFFeature]

    public init(features: [String: TFFeature]) {
        self.features = features
    }

    /// Parses the serialized message in `bytes[range]` (a whole record by default).
    public init(parsing bytes: [UInt8], range: Range<Int>? = nil) throws {
        var reader = ProtobufReader(bytes, range: range)
        var features: [String: TFFeature] = [:]
        while let field = try reader.nextField() {
            guard field.number == 1 else { try reader.skip(field.wireType, number: field.number); continue }
            try Self.check(field.wireType, .lengthDelimited, "Example.features")
            try Self.parseFeatures(reader.message(try reader.readLengthDelimited()), into: &features)
        }
        self.features = features
    }

    private static func parseFeatures(_ message: ProtobufReader, into features: inout [String: TFFeature]) throws {
        var reader = message
        while let field = try reader.nextField() {
            guard field.number == 1 else { try reader.skip(field.wireType, number: field.number); continue }
            try check(field.wireType, .lengthDelimited, "Features.feature")
            var entry = reader.message(try reader.readLengthDelimited())
            var key = ""
            var value = TFFeature.empty
            while let member = try entry.nextField() {
                switch member.number {
                case 1:
                    try check(member.wireType, .lengthDelimited, "a feature name")
                    let range = try entry.readLengthDelimited()
                    let text = String(decoding: entry.bytes[range], as: UTF8.self)
                    guard text.utf8.elementsEqual(entry.bytes[range]) else {
                        throw ProtobufError("a feature name is not valid UTF-8")
                    }
                    key = text
                case 2:
                    try check(member.wireType, .lengthDelimited, "feature value")
                    try parseFeature(entry.message(try entry.readLengthDelimited()), into: &value)
                default:
                    try entry.skip(member.wireType, number: member.number)
                }
            }
            features[key] = value
        }
    }

    private static func parseFeature(_ message: ProtobufReader, into feature: inout TFFeature) throws {
        var reader = message
        while let field = try reader.nextField() {
            guard (1...3).contains(field.number) else { try reader.skip(field.wireType, number: field.number); continue }
            try check(field.wireType, .lengthDelimited, ["bytes_list", "float_list", "int64_list"][field.number - 1])
            let list = reader.message(try reader.readLengthDelimited())
            switch field.number {
            case 1:
                var values: [[UInt8]] = []
                if case .bytes(let earlier) = feature { values = earlier }
                try parseBytesList(list, into: &values)
                feature = .bytes(values)
            case 2:
                var values: [Float] = []
                if case .floats(let earlier) = feature { values = earlier }
                try parseFloatList(list, into: &values)
                feature = .floats(values)
            default:
                var values: [Int64] = []
                if case .int64s(let earlier) = feature { values = earlier }
                try parseInt64List(list, into: &values)
                feature = .int64s(values)
            }
        }
    }

    private static func parseBytesList(_ message: ProtobufReader, into values: inout [[UInt8]]) throws {
        var reader = message
        while let field = try reader.nextField() {
            guard field.number == 1 else { try reader.skip(field.wireType, number: field.number); continue }
            try check(field.wireType, .lengthDelimited, "BytesList.value")
            values.append(Array(reader.bytes[try reader.readLengthDelimited()]))
        }
    }

    private static func parseFloatList(_ message: ProtobufReader, into values: inout [Float]) throws {
        var reader = message
        while let field = try reader.nextField() {
            guard field.number == 1 else { try reader.skip(field.wireType, number: field.number); continue }
            switch field.wireType {
            case .fixed32:
                values.append(Float(bitPattern: try reader.readFixed32()))
            case .lengthDelimited:
                var packed = reader.message(try reader.readLengthDelimited())
                guard (packed.end - packed.position) % 4 == 0 else {
                    throw ProtobufError("a packed float list of \(packed.end - packed.position) bytes is not a whole number of floats")
                }
                values.reserveCapacity(values.count + (packed.end - packed.position) / 4)
                while !packed.isAtEnd { values.append(Float(bitPattern: try packed.readFixed32())) }
            default:
                throw ProtobufError("FloatList.value has wire type \(field.wireType.rawValue), expected 5 or 2 (packed)")
            }
        }
    }

    private static func parseInt64List(_ message: ProtobufReader, into values: inout [Int64]) throws {
        var reader = message
        while let field = try reader.nextField() {
            guard field.number == 1 else { try reader.skip(field.wireType, number: field.number); continue }
            switch field.wireType {
            case .varint:
                values.append(Int64(bitPattern: try reader.readVarint()))
            case .lengthDelimited:
                var packed = reader.message(try reader.readLengthDelimited())
                while !packed.isAtEnd { values.append(Int64(bitPattern: try packed.readVarint())) }
            default:
                throw ProtobufError("Int64List.value has wire type \(field.wireType.rawValue), expected 0 or 2 (packed)")
            }
        }
    }

    private static func check(_ actual: ProtobufWireType, _ expected: ProtobufWireType, _ field: String) throws {
        guard actual == expected else {
            throw ProtobufError("\(field) has wire type \(actual.rawValue), expected \(expected.rawValue)")
        }
    }

    /// The serialized message, features in name order (the same example always gives the same
    /// bytes), lists of numbers packed as TensorFlow writes them.
    public func encoded() -> [UInt8] {
        var featuresMessage = ProtobufWriter()
        for key in features.keys.sorted() {
            var feature = ProtobufWriter()
            switch features[key]! {
            case .bytes(let values):
                var list = ProtobufWriter()
                for value in values { list.lengthDelimited(1, value) }
                feature.message(1, list)
            case .floats(let values):
                var list = ProtobufWriter()
                if !values.isEmpty { list.packedFloats(1, values) }
                feature.message(2, list)
            case .int64s(let values):
                var list = ProtobufWriter()
                if !values.isEmpty { list.packedInt64s(1, values) }
                feature.message(3, list)
            case .empty:
                break
            }
            var entry = ProtobufWriter()
            entry.string(1, key)
            entry.message(2, feature)
            featuresMessage.message(1, entry)
        }
        var example = ProtobufWriter()
        example.message(1, featuresMessage)
        return example.bytes
    }
}

/// One feature of an example: a list of byte strings, floats or 64-bit integers.
public enum TFFeature: Equatable, Sendable {
    case bytes([[UInt8]])
    case floats([Float])
    case int64s([Int64])
    /// A feature whose `kind` is not set (TensorFlow reads it as an empty list).
    case empty

    /// The list's type as TensorFlow names it, for messages.
    public var kindName: String {
        switch self {
        case .bytes: return "bytes_list"
        case .floats: return "float_list"
        case .int64s: return "int64_list"
        case .empty: return "no value"
        }
    }

    public var count: Int {
        switch self {
        case .bytes(let values): return values.count
        case .floats(let values): return values.count
        case .int64s(let values): return values.count
        case .empty: return 0
        }
    }
}

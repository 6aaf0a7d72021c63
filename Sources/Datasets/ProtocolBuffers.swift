/// The Protocol Buffers wire format (protobuf.dev, "Encoding"), read and written by hand: a
/// message is a sequence of fields, each a tag (field number << 3 | wire type, a varint)
/// followed by a varint, 8 bytes, a length-prefixed run of bytes, or 4 bytes. Enough for
/// `tf.train.Example`; schema-free, so unknown fields are skipped as the format requires.
public enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    /// Proto2 groups (deprecated): skipped with their contents.
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Reads the fields of one message held in `bytes[range]`. Every read is bounds-checked
/// against the message's end, so a length or count in the data can never make it allocate
/// or read beyond the bytes it was given.
public struct ProtobufReader {
    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int

    public init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        let range = range ?? 0..<bytes.count
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    /// A reader for a nested message (the range `readLengthDelimited` returned).
    public func message(_ range: Range<Int>) -> ProtobufReader { ProtobufReader(bytes, range: range) }

    public var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    public mutating func nextField() throws -> (number: Int, wireType: ProtobufWireType)? {
        guard position < end else { return nil }
        let start = position
        let tag = try readVarint()
        guard let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufError("wire type \(tag & 7) (at byte \(start)) does not exist")
        }
        let number = tag >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else {
            throw ProtobufError("field number \(number) (at byte \(start)) is outside 1-536870911")
        }
        return (Int(number), wireType)
    }

    /// A base-128 varint of at most 10 bytes (64 bits).
    public mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else { throw ProtobufError("a varint (at byte \(start)) runs past the end of the message") }
            let byte = bytes[position]
            position += 1
            guard shift < 63 || (shift == 63 && byte <= 1) else {
                throw ProtobufError("a varint (at byte \(start)) is longer than 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readFixed32() throws -> UInt32 { UInt32(try readLittleEndian(4)) }

    public mutating func readFixed64() throws -> UInt64 { try readLittleEndian(8) }

    /// A fixed-width little-endian value of `width` bytes.
    private mutating func readLittleEndian(_ width: Int) throws -> UInt64 {
        guard end - position >= width else {
            throw ProtobufError("a \(width)-byte value (at byte \(position)) runs past the end of the message")
        }
        var value: UInt64 = 0
        for offset in 0..<width { value |= UInt64(bytes[position + offset]) << (8 * UInt64(offset)) }
        position += width
        return value
    }

    /// The range of a length-prefixed value (bytes, a string, a nested or packed message).
    public mutating func readLengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ProtobufError("a field (at byte \(start)) claims \(length) bytes, \(end - position) remain in the message")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips the value of a field of `wireType` (an unknown or unwanted field).
    public mutating func skip(_ wireType: ProtobufWireType, number: Int) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .endGroup: throw ProtobufError("an end-group tag for field \(number) (before byte \(position)) has no start")
        case .startGroup:
            // Groups nest; a counter (not recursion) tracks the depth, so no input can
            // exhaust the stack.
            var open = [number]
            while let last = open.last {
                guard let field = try nextField() else {
                    throw ProtobufError("group \(last) is not closed before the end of the message")
                }
                switch field.wireType {
                case .startGroup:
                    guard open.count < 100 else { throw ProtobufError("groups nest more than 100 deep") }
                    open.append(field.number)
                case .endGroup:
                    guard field.number == last else {
                        throw ProtobufError("group \(last) is closed by an end-group tag for field \(field.number)")
                    }
                    open.removeLast()
                default:
                    try skip(field.wireType, number: field.number)
                }
            }
        }
    }
}

/// A message that is not valid protobuf wire format, with where it broke.
public struct ProtobufError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds a message field by field. Nested messages are written into their own writer and
/// appended with `message(_:_:)`, which prefixes their length.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func tag(_ number: Int, _ wireType: ProtobufWireType) {
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func fixed32(_ value: UInt32) {
        for offset in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(offset)))) }
    }

    /// Field `number` holding `value` as length-prefixed bytes.
    public mutating func lengthDelimited<C: Collection>(_ number: Int, _ value: C) where C.Element == UInt8 {
        tag(number, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    /// Field `number` holding a nested message.
    public mutating func message(_ number: Int, _ nested: ProtobufWriter) {
        lengthDelimited(number, nested.bytes)
    }

    /// Field `number` holding a string.
    public mutating func string(_ number: Int, _ value: String) {
        lengthDelimited(number, Array(value.utf8))
    }

    /// A packed repeated int64 field (proto3's default encoding of `repeated int64`).
    public mutating func packedInt64s(_ number: Int, _ values: [Int64]) {
        var packed = ProtobufWriter()
        for value in values { packed.varint(UInt64(bitPattern: value)) }
        message(number, packed)
    }

    /// A packed repeated float field.
    public mutating func packedFloats(_ number: Int, _ values: [Float]) {
        var packed = ProtobufWriter()
        packed.bytes.reserveCapacity(values.count * 4)
        for value in values { packed.fixed32(value.bitPattern) }
        message(number, packed)
    }
}

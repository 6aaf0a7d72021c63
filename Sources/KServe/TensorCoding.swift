import Foundation
import MAXFramework

/// The values of one tensor on the wire: numbers (every numeric type is read as `Float`, the
/// engine's type) or byte strings (BYTES).
enum TensorValues {
    case numbers([Float])
    case bytes([[UInt8]])

    var count: Int {
        switch self {
        case .numbers(let values): return values.count
        case .bytes(let values): return values.count
        }
    }
}

/// Reading and writing tensor data in the two encodings the protocol has: JSON `data` (flat or
/// nested, row-major) and Triton's binary extension (little-endian elements back to back; BYTES
/// elements each prefixed by a 4-byte little-endian length).
enum TensorCoding {
    // MARK: JSON

    /// `data` as `count` values of `datatype`; nested arrays are flattened in row-major order.
    static func decodeJSON(_ data: JSONValue, datatype: TensorDataType, count: Int, input: String) throws -> TensorValues {
        var leaves: [JSONValue] = []
        // The shape is the client's word, not the data's: reserve for what a body can hold at most.
        leaves.reserveCapacity(min(count, 1 << 16))
        try flatten(data, into: &leaves, limit: count, input: input)
        guard leaves.count == count else {
            throw KServeError("input '\(input)': its shape holds \(count) element(s) but 'data' has \(leaves.count)")
        }
        switch datatype {
        case .bytes:
            return .bytes(try leaves.enumerated().map { index, leaf in
                guard let text = leaf.stringValue else {
                    throw KServeError("input '\(input)' element \(index): BYTES data in JSON must be strings, got \(leaf.kindDescription)")
                }
                // Encoded files are not text: in JSON they travel as base64 (the binary extension carries them raw).
                guard let decoded = Data(base64Encoded: text) else {
                    throw KServeError("input '\(input)' element \(index): BYTES data in JSON must be base64 (or send it with the binary extension)")
                }
                return [UInt8](decoded)
            })
        case .bool:
            throw KServeError("input '\(input)': BOOL tensors are not taken; send numbers")
        default:
            var values: [Float] = []
            values.reserveCapacity(count)
            for (index, leaf) in leaves.enumerated() {
                guard let number = leaf.doubleValue else {
                    throw KServeError("input '\(input)' element \(index): expected a number, got \(leaf.kindDescription)")
                }
                try check(number, fits: datatype, input: input, index: index)
                values.append(Float(number))
            }
            return .numbers(values)
        }
    }

    private static func flatten(_ value: JSONValue, into leaves: inout [JSONValue], limit: Int, input: String) throws {
        if case .array(let items) = value {
            for item in items {
                try flatten(item, into: &leaves, limit: limit, input: input)
                if leaves.count > limit { return }
            }
        } else {
            leaves.append(value)
        }
    }

    /// An integer type's value must be a whole number in its range.
    private static func check(_ number: Double, fits datatype: TensorDataType, input: String, index: Int) throws {
        let range: ClosedRange<Double>?
        switch datatype {
        case .uint8: range = 0...255
        case .uint16: range = 0...65535
        case .uint32: range = 0...4_294_967_295
        case .uint64: range = 0...1.8446744073709552e19
        case .int8: range = -128...127
        case .int16: range = -32768...32767
        case .int32: range = -2_147_483_648...2_147_483_647
        case .int64: range = -9.223372036854776e18...9.223372036854776e18
        default: range = nil
        }
        if let range {
            guard number.rounded() == number, range.contains(number) else {
                throw KServeError("input '\(input)' element \(index): \(number) is not a \(datatype.rawValue) value")
            }
        } else if !number.isFinite {
            throw KServeError("input '\(input)' element \(index): not a finite number")
        }
    }

    // MARK: Binary

    /// `bytes` as `count` elements of `datatype`.
    static func decodeBinary(_ bytes: ArraySlice<UInt8>, datatype: TensorDataType, count: Int, input: String) throws -> TensorValues {
        if datatype == .bytes { return .bytes(try decodeByteStrings(bytes, count: count, input: input)) }
        guard datatype != .bool, let size = datatype.elementSize else {
            throw KServeError("input '\(input)': BOOL tensors are not taken; send numbers")
        }
        guard bytes.count == count * size else {
            throw KServeError("input '\(input)': \(count) \(datatype.rawValue) element(s) take \(count * size) bytes, binary_data_size says \(bytes.count)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                let offset = index * size
                switch datatype {
                case .uint8: values[index] = Float(raw[offset])
                case .int8: values[index] = Float(Int8(bitPattern: raw[offset]))
                case .uint16: values[index] = Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case .int16: values[index] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
                case .uint32: values[index] = Float(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .int32: values[index] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case .uint64: values[index] = Float(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                case .int64: values[index] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .fp16:
                    values[index] = halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case .fp32:
                    values[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .fp64:
                    values[index] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .bool, .bytes: break
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw KServeError("input '\(input)' element \(bad): not a finite number")
        }
        return .numbers(values)
    }

    /// IEEE 754 half precision to single, by hand (`Float16` is missing on some platforms).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }

    /// Length-prefixed elements; the lengths must account for every byte.
    static func decodeByteStrings(_ bytes: ArraySlice<UInt8>, count: Int, input: String) throws -> [[UInt8]] {
        var elements: [[UInt8]] = []
        var position = bytes.startIndex
        for index in 0..<count {
            guard bytes.endIndex - position >= 4 else {
                throw KServeError("input '\(input)' element \(index): the binary data ends before its 4-byte length")
            }
            let length = Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
            position += 4
            guard bytes.endIndex - position >= length else {
                throw KServeError("input '\(input)' element \(index): its length says \(length) bytes, \(bytes.endIndex - position) remain")
            }
            elements.append(Array(bytes[position..<(position + length)]))
            position += length
        }
        guard position == bytes.endIndex else {
            throw KServeError("input '\(input)': \(bytes.endIndex - position) byte(s) left over after \(count) BYTES element(s)")
        }
        return elements
    }

    /// FP32 values little-endian, back to back.
    static func encodeBinary(_ values: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return bytes
    }

    /// BYTES elements, each after its 4-byte little-endian length.
    static func encodeBinary(_ elements: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for element in elements {
            let length = UInt32(element.count)
            bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
            bytes += element
        }
        return bytes
    }
}

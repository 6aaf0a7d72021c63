/// Turns stored element bytes into Swift numbers and strings, honouring byte order, width and
/// string padding; variable-length strings are fetched from the global heap.
enum ValueDecoding {
    /// The numeric element type under arrays and enumerations, and how many of it each stored
    /// element holds.
    static func numericElement(_ type: HDF5Datatype) throws -> (element: HDF5Datatype, perElement: Int, extraShape: [Int]) {
        switch type.kind {
        case .integer, .float:
            return (type, 1, [])
        case .enumeration(let base):
            return try numericElement(base)
        case .array(let dimensions, let element):
            let inner = try numericElement(element)
            return (inner.element, try Checked.product(dimensions, "array") * inner.perElement, dimensions + inner.extraShape)
        default:
            throw HDF5Error(.wrongKind, "values of type \(type) are not numbers")
        }
    }

    /// Calls `body` with each element as Double (integers convert exactly up to 2^53).
    static func doubles(_ raw: [UInt8], _ type: HDF5Datatype) throws -> [Double] {
        let (element, _, _) = try numericElement(type)
        let count = raw.count / element.size
        if case .float = element.kind, element.size == 8, element.byteOrder == .littleEndian {
            return raw.withUnsafeBytes { bytes in
                (0..<count).map { Double(bitPattern: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self).littleEndian) }
            }
        }
        return try raw.withUnsafeBytes { bytes in
            try (0..<count).map { try number(bytes, at: $0 * element.size, element) }
        }
    }

    static func floats(_ raw: [UInt8], _ type: HDF5Datatype) throws -> [Float] {
        let (element, _, _) = try numericElement(type)
        let count = raw.count / element.size
        if case .float = element.kind, element.size == 4 {
            let swap = element.byteOrder == .bigEndian
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                raw.withUnsafeBytes { bytes in
                    for index in 0..<count {
                        let bits = bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                        buffer[index] = Float(bitPattern: swap ? bits.byteSwapped : bits.littleEndian)
                    }
                }
                initialized = count
            }
        }
        if case .float = element.kind, element.size == 2 {
            return raw.withUnsafeBytes { bytes in
                (0..<count).map { index in
                    let bits = bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
                    return halfToFloat(element.byteOrder == .bigEndian ? bits.byteSwapped : bits.littleEndian)
                }
            }
        }
        return try raw.withUnsafeBytes { bytes in
            try (0..<count).map { Float(try number(bytes, at: $0 * element.size, element)) }
        }
    }

    static func integers(_ raw: ArraySlice<UInt8>, _ type: HDF5Datatype) throws -> [Int64] {
        let (element, _, _) = try numericElement(type)
        guard case .integer(let signed) = element.kind else { throw HDF5Error(.wrongKind, "values of type \(type) are not integers") }
        let count = raw.count / element.size
        return try Array(raw).withUnsafeBytes { bytes in
            try (0..<count).map { index in
                let bits = try unsignedBits(bytes, at: index * element.size, element)
                if signed, element.size < 8 {
                    let shift = UInt64(64 - 8 * element.size)
                    return Int64(bitPattern: bits << shift) >> Int64(shift)
                }
                return Int64(bitPattern: bits)
            }
        }
    }

    private static func unsignedBits(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ type: HDF5Datatype) throws -> UInt64 {
        guard offset >= 0, offset + type.size <= bytes.count, type.size <= 8 else {
            throw HDF5Error.truncated("value data ends early")
        }
        var value: UInt64 = 0
        for index in 0..<type.size {
            let byte = UInt64(bytes[offset + (type.byteOrder == .littleEndian ? index : type.size - 1 - index)])
            value |= byte << UInt64(8 * index)
        }
        return value
    }

    private static func number(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ type: HDF5Datatype) throws -> Double {
        let bits = try unsignedBits(bytes, at: offset, type)
        switch type.kind {
        case .integer(let signed):
            if signed {
                let shift = UInt64(64 - 8 * type.size)
                return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
            }
            return Double(bits)
        case .float:
            switch type.size {
            case 2: return Double(halfToFloat(UInt16(truncatingIfNeeded: bits)))
            case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
            default: return Double(bitPattern: bits)
            }
        default:
            throw HDF5Error(.wrongKind, "values of type \(type) are not numbers")
        }
    }

    /// IEEE binary16 to binary32, exactly (every half value is a float value).
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign: UInt32 = UInt32(half >> 15) << 31
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half) & 0x3FF
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Strings of a fixed-length, variable-length or array-of-string type.
    static func strings(_ raw: ArraySlice<UInt8>, _ type: HDF5Datatype, _ image: FileImage) throws -> (values: [String], extraShape: [Int]) {
        switch type.kind {
        case .fixedString(let padding, _):
            guard type.size > 0 else { return (Array(repeating: "", count: raw.isEmpty ? 0 : 1), []) }
            var values: [String] = []
            var start = raw.startIndex
            while start + type.size <= raw.endIndex {
                values.append(fixedString(raw[start..<(start + type.size)], padding))
                start += type.size
            }
            return (values, [])
        case .variableString:
            var values: [String] = []
            var cursor = image.cursor(over: raw, what: "variable-length string")
            let count = type.size > 0 ? raw.count / type.size : 0
            for _ in 0..<count {
                let element = try cursor.take(type.size)
                var fields = image.cursor(over: element, what: "variable-length string")
                let length = try fields.count(4, "string length")
                guard let collection = try fields.address() else { values.append(""); continue }
                let index = try fields.u32()
                let object = try GlobalHeap.object(image, collection: collection, index: index)
                guard length <= object.count else { throw HDF5Error.corrupt("variable-length string longer than its heap object") }
                values.append(String(decoding: object.prefix(length).prefix { $0 != 0 }, as: UTF8.self))
            }
            return (values, [])
        case .array(let dimensions, let element):
            let inner = try strings(raw, element, image)
            return (inner.values, dimensions + inner.extraShape)
        default:
            throw HDF5Error(.wrongKind, "values of type \(type) are not strings")
        }
    }

    private static func fixedString(_ bytes: ArraySlice<UInt8>, _ padding: HDF5Datatype.StringPadding) -> String {
        var content = bytes
        switch padding {
        case .nullTerminated:
            if let end = content.firstIndex(of: 0) { content = content[..<end] }
        case .nullPadded:
            while content.last == 0 { content = content.dropLast() }
        case .spacePadded:
            while content.last == 0x20 || content.last == 0 { content = content.dropLast() }
        }
        return String(decoding: content, as: UTF8.self)
    }
}

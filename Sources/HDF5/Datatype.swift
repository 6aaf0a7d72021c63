/// The datatype message (section IV.A.2.d): how one element is stored. Public because callers
/// inspect it (is this a float? a string?); the numeric and string kinds are read, other
/// classes are described but refused when their values are asked for.
public struct HDF5Datatype: Equatable, CustomStringConvertible, Sendable {
    public enum ByteOrder: Equatable, Sendable { case littleEndian, bigEndian }
    /// How a fixed-length string is terminated or padded.
    public enum StringPadding: Equatable, Sendable { case nullTerminated, nullPadded, spacePadded }
    public enum CharacterSet: Equatable, Sendable { case ascii, utf8 }

    public indirect enum Kind: Equatable, Sendable {
        case integer(signed: Bool)
        case float
        case fixedString(StringPadding, CharacterSet)
        case variableString(StringPadding, CharacterSet)
        /// A variable-length sequence of the base type (stored in the global heap).
        case variableSequence(HDF5Datatype)
        /// A fixed-size array of the base type per element.
        case array(dimensions: [Int], element: HDF5Datatype)
        /// An enumeration (h5py stores booleans this way); values are read as its base integers.
        case enumeration(base: HDF5Datatype)
        /// HDF5 classes this reader describes but does not decode (compound, reference, ...).
        case other(className: String)
    }

    public let kind: Kind
    /// Bytes per element.
    public let size: Int
    public let byteOrder: ByteOrder

    public init(kind: Kind, size: Int, byteOrder: ByteOrder = .littleEndian) {
        self.kind = kind
        self.size = size
        self.byteOrder = byteOrder
    }

    public var isNumeric: Bool {
        switch kind {
        case .integer, .float: return true
        case .enumeration(let base): return base.isNumeric
        case .array(_, let element): return element.isNumeric
        default: return false
        }
    }

    public var isString: Bool {
        switch kind {
        case .fixedString, .variableString: return true
        case .array(_, let element): return element.isString
        default: return false
        }
    }

    /// A NumPy-style name: "float32", ">i2", "|S20", "str" (variable-length), ...
    public var description: String {
        let bigEndian = byteOrder == .bigEndian && size > 1
        switch kind {
        case .integer(let signed):
            return bigEndian ? ">\(signed ? "i" : "u")\(size)" : "\(signed ? "int" : "uint")\(size * 8)"
        case .float:
            return bigEndian ? ">f\(size)" : "float\(size * 8)"
        case .fixedString: return "|S\(size)"
        case .variableString: return "str"
        case .variableSequence(let base): return "vlen(\(base))"
        case .array(let dimensions, let element):
            return "(\(element), (\(dimensions.map(String.init).joined(separator: ", "))))"
        case .enumeration(let base): return "enum(\(base))"
        case .other(let name): return name
        }
    }

    static func parse(_ cursor: inout ByteCursor, depth: Int = 0) throws -> HDF5Datatype {
        guard depth < 16 else { throw HDF5Error.corrupt("datatype nested too deeply") }
        let classAndVersion = try cursor.u8()
        let typeClass = classAndVersion & 0x0F
        let version = classAndVersion >> 4
        let bits = UInt32(try cursor.u8()) | UInt32(try cursor.u8()) << 8 | UInt32(try cursor.u8()) << 16
        let size = try cursor.count(4, "datatype size")
        let order: ByteOrder = bits & 1 == 0 ? .littleEndian : .bigEndian
        switch typeClass {
        case 0:  // fixed-point
            try cursor.skip(4)  // bit offset, precision
            guard [1, 2, 4, 8].contains(size) else {
                return HDF5Datatype(kind: .other(className: "integer of \(size) bytes"), size: size, byteOrder: order)
            }
            return HDF5Datatype(kind: .integer(signed: bits & 0x08 != 0), size: size, byteOrder: order)
        case 1:  // floating point
            try cursor.skip(4)  // bit offset, precision
            let exponentLocation = try cursor.u8()
            let exponentSize = try cursor.u8()
            let mantissaLocation = try cursor.u8()
            let mantissaSize = try cursor.u8()
            try cursor.skip(4)  // exponent bias
            let ieee: [Int: (UInt8, UInt8, UInt8, UInt8)] = [2: (10, 5, 0, 10), 4: (23, 8, 0, 23), 8: (52, 11, 0, 52)]
            guard bits & 0x40 == 0, let layout = ieee[size],
                  layout == (exponentLocation, exponentSize, mantissaLocation, mantissaSize) else {
                return HDF5Datatype(kind: .other(className: "non-IEEE float of \(size) bytes"), size: size, byteOrder: order)
            }
            return HDF5Datatype(kind: .float, size: size, byteOrder: order)
        case 3:  // string
            return HDF5Datatype(kind: .fixedString(padding(bits & 0x0F), charset((bits >> 4) & 0x0F)), size: size)
        case 8:  // enumeration: base type, then names and values we do not need
            let base = try parse(&cursor, depth: depth + 1)
            return HDF5Datatype(kind: .enumeration(base: base), size: size, byteOrder: base.byteOrder)
        case 9:  // variable-length
            let base = try parse(&cursor, depth: depth + 1)
            if bits & 0x0F == 1 {
                return HDF5Datatype(kind: .variableString(padding((bits >> 4) & 0x0F), charset((bits >> 8) & 0x0F)), size: size)
            }
            return HDF5Datatype(kind: .variableSequence(base), size: size)
        case 10:  // array
            let rank = Int(try cursor.u8())
            guard rank >= 1, rank <= 32 else { throw HDF5Error.corrupt("array datatype of rank \(rank)") }
            if version < 3 { try cursor.skip(3) }
            var dimensions: [Int] = []
            for _ in 0..<rank { dimensions.append(try cursor.count(4, "array dimension")) }
            if version < 3 { try cursor.skip(4 * rank) }  // permutation indices
            let element = try parse(&cursor, depth: depth + 1)
            guard try Checked.multiply(Checked.product(dimensions, "array datatype"), element.size, "array datatype") == size else {
                throw HDF5Error.corrupt("array datatype of \(size) bytes does not match its \(dimensions) elements of \(element.size)")
            }
            return HDF5Datatype(kind: .array(dimensions: dimensions, element: element), size: size, byteOrder: element.byteOrder)
        default:
            let names = [2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference"]
            return HDF5Datatype(kind: .other(className: names[Int(typeClass)] ?? "class \(typeClass)"), size: size, byteOrder: order)
        }
    }

    private static func padding(_ code: UInt32) -> StringPadding {
        switch code {
        case 0: return .nullTerminated
        case 1: return .nullPadded
        default: return .spacePadded
        }
    }

    private static func charset(_ code: UInt32) -> CharacterSet { code == 1 ? .utf8 : .ascii }
}

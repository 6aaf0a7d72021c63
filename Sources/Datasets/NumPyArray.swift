/// NumPy's `.npy` format (numpy.lib.format, versions 1-3): the magic `\x93NUMPY`, a version,
/// a header length, then a Python dict literal such as
/// `{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }` padded with spaces,
/// then the values. Numeric types of 1, 2, 4 and 8 bytes in either byte order are read, plus
/// booleans; C order only (Fortran order is refused by name).
public struct NumPyArray: Equatable, Sendable {
    public let shape: [Int]
    /// The NumPy type string, e.g. "<f4", "|u1".
    public let descr: String
    /// uint8 arrays stay bytes; every other type becomes floats.
    public let values: PixelStorage

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    public static func hasSignature(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    public init(bytes: [UInt8], limits: DatasetLimits = .default) throws {
        guard bytes.starts(with: NumPyArray.magic) else {
            throw DatasetError(.unrecognisedFormat, "not a .npy array (no \\x93NUMPY signature)")
        }
        guard bytes.count >= 10 else { throw DatasetError.invalid("the .npy header is cut short") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DatasetError.invalid("the .npy header is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DatasetError.invalid(".npy format version \(major) (versions 1-3 are read)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw DatasetError.invalid("the .npy header claims \(headerLength) bytes, the file has \(bytes.count - headerStart) after it")
        }
        let headerText = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        var parser = PythonLiteralParser(headerText)
        guard case .dictionary(let header)? = try? parser.parseValue() else {
            throw DatasetError.invalid("the .npy header is not a Python dict literal: \(headerText.prefix(80))")
        }
        guard case .string(let descr)? = header["descr"] else { throw DatasetError.invalid("the .npy header has no 'descr' string") }
        guard case .tuple(let dimensions)? = header["shape"] else { throw DatasetError.invalid("the .npy header has no 'shape' tuple") }
        if case .boolean(true)? = header["fortran_order"] {
            throw DatasetError.invalid("the .npy array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
        }
        var shape: [Int] = []
        var total = 1
        for dimension in dimensions {
            guard case .integer(let value) = dimension, value >= 0 else { throw DatasetError.invalid("the .npy shape \(dimensions) is not a tuple of sizes") }
            shape.append(value)
            total = total.multipliedReportingOverflow(by: value).overflow ? Int.max : total * value
        }
        guard total <= limits.maxValues else {
            throw DatasetError(.tooLarge, "the .npy array has shape \(shape) = \(total) values, more than the limit of \(limits.maxValues)")
        }
        guard let type = NumPyArray.elementType(descr) else {
            throw DatasetError.invalid("the .npy element type '\(descr)' is not a number type this reader handles (u1-u8, i1-i8, f2-f8, b1)")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == total * type.size else {
            throw DatasetError.invalid("the .npy array of shape \(shape) and type '\(descr)' needs \(total * type.size) bytes of data, the file has \(bytes.count - dataStart)")
        }
        self.shape = shape
        self.descr = descr
        values = NumPyArray.decode(bytes[dataStart...], count: total, type: type)
    }

    private struct ElementType {
        enum Kind { case unsigned, signed, float, boolean }
        let kind: Kind
        let size: Int
        let bigEndian: Bool
    }

    private static func elementType(_ descr: String) -> ElementType? {
        let characters = Array(descr)
        guard characters.count >= 2 else { return nil }
        var index = 0
        var bigEndian = false
        if "<>|=".contains(characters[0]) {
            bigEndian = characters[0] == ">"
            index = 1
        }
        guard index < characters.count, let size = Int(String(characters[(index + 1)...])) else { return nil }
        let kind: ElementType.Kind
        switch characters[index] {
        case "u": kind = .unsigned
        case "i": kind = .signed
        case "f": kind = .float
        case "b": kind = .boolean
        default: return nil
        }
        switch kind {
        case .float: guard [2, 4, 8].contains(size) else { return nil }
        case .boolean: guard size == 1 else { return nil }
        default: guard [1, 2, 4, 8].contains(size) else { return nil }
        }
        return ElementType(kind: kind, size: size, bigEndian: bigEndian)
    }

    private static func decode(_ data: ArraySlice<UInt8>, count: Int, type: ElementType) -> PixelStorage {
        if type.kind == .unsigned && type.size == 1 { return .bytes(Array(data)) }
        var floats = [Float](repeating: 0, count: count)
        var position = data.startIndex
        for index in 0..<count {
            var bits: UInt64 = 0
            for byte in 0..<type.size {
                let value = UInt64(data[position + byte])
                bits |= type.bigEndian ? value << (8 * UInt64(type.size - 1 - byte)) : value << (8 * UInt64(byte))
            }
            position += type.size
            switch (type.kind, type.size) {
            case (.unsigned, _), (.boolean, _): floats[index] = Float(bits)
            case (.signed, 1): floats[index] = Float(Int8(truncatingIfNeeded: bits))
            case (.signed, 2): floats[index] = Float(Int16(truncatingIfNeeded: bits))
            case (.signed, 4): floats[index] = Float(Int32(truncatingIfNeeded: bits))
            case (.signed, _): floats[index] = Float(Int64(bitPattern: bits))
            case (.float, 2): floats[index] = Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
            case (.float, 4): floats[index] = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
            default: floats[index] = Float(Double(bitPattern: bits))
            }
        }
        return .floats(floats)
    }

    /// The array as integers (labels): every value must be a whole number.
    func integers(what: String) throws -> [Int] {
        switch values {
        case .bytes(let bytes): return bytes.map(Int.init)
        case .floats(let floats):
            return try floats.enumerated().map { index, value in
                guard value == value.rounded(), abs(value) < 1e9 else {
                    throw DatasetError.invalid("\(what)[\(index)] is \(value), not a whole number")
                }
                return Int(value)
            }
        }
    }

    /// A C-order .npy (version 1) of unsigned bytes, for writing datasets and test fixtures.
    public static func encode(shape: [Int], bytes values: [UInt8]) -> [UInt8] {
        encode(shape: shape, descr: "|u1", data: values)
    }

    /// A C-order .npy (version 1) of little-endian 64-bit integers (how NumPy stores labels).
    public static func encode(shape: [Int], integers values: [Int]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 8)
        for value in values {
            let bits = UInt64(bitPattern: Int64(value))
            for byte in 0..<8 { data.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(byte)))) }
        }
        return encode(shape: shape, descr: "<i8", data: data)
    }

    /// A C-order .npy (version 1) of little-endian 32-bit floats.
    public static func encode(shape: [Int], floats values: [Float]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            for byte in 0..<4 { data.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(byte)))) }
        }
        return encode(shape: shape, descr: "<f4", data: data)
    }

    private static func encode(shape: [Int], descr: String, data: [UInt8]) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dimensions)), }"
        // NumPy pads the header with spaces so the data starts on a multiple of 64, ending in '\n'.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
    }
}

/// The few Python literals an .npy header uses: dicts with string keys, strings, integers,
/// True/False/None and tuples.
struct PythonLiteralParser {
    indirect enum Value: Equatable {
        case dictionary([String: Value])
        case tuple([Value])
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case none
    }

    private let characters: [Character]
    private var index = 0
    private var depth = 0

    init(_ text: String) { characters = Array(text) }

    struct Failure: Error {}

    private mutating func skipSpace() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    mutating func parseValue() throws -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw Failure() }
        skipSpace()
        guard index < characters.count else { throw Failure() }
        switch characters[index] {
        case "{":
            index += 1
            var result: [String: Value] = [:]
            while true {
                skipSpace()
                guard index < characters.count else { throw Failure() }
                if characters[index] == "}" { index += 1; return .dictionary(result) }
                guard case .string(let key) = try parseValue() else { throw Failure() }
                skipSpace()
                guard index < characters.count, characters[index] == ":" else { throw Failure() }
                index += 1
                result[key] = try parseValue()
                skipSpace()
                if index < characters.count, characters[index] == "," { index += 1 }
            }
        case "(", "[":
            let close: Character = characters[index] == "(" ? ")" : "]"
            index += 1
            var items: [Value] = []
            while true {
                skipSpace()
                guard index < characters.count else { throw Failure() }
                if characters[index] == close { index += 1; return .tuple(items) }
                items.append(try parseValue())
                skipSpace()
                if index < characters.count, characters[index] == "," { index += 1 }
            }
        case "'", "\"":
            let quote = characters[index]
            index += 1
            var text = ""
            while index < characters.count, characters[index] != quote {
                text.append(characters[index])
                index += 1
            }
            guard index < characters.count else { throw Failure() }
            index += 1
            return .string(text)
        default:
            var word = ""
            while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "-" {
                word.append(characters[index])
                index += 1
            }
            // A trailing 'L' marks a long integer in headers Python 2 wrote.
            if word.hasSuffix("L"), let value = Int(word.dropLast()) { return .integer(value) }
            switch word {
            case "True": return .boolean(true)
            case "False": return .boolean(false)
            case "None": return .none
            default:
                guard let value = Int(word) else { throw Failure() }
                return .integer(value)
            }
        }
    }
}

/// A bounds-checked little-endian reader over a region of bytes. Every read checks the region's
/// end first and throws `truncated` instead of trapping, so hostile files cannot crash us.
struct ByteCursor {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    /// Sizes of file addresses and lengths, from the superblock.
    let offsetSize: Int
    let lengthSize: Int
    /// What is being read, for error messages ("object header", "B-tree node").
    let context: String

    init(_ bytes: ArraySlice<UInt8>, sizes: FileSizes, context: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.offsetSize = sizes.offsetSize
        self.lengthSize = sizes.lengthSize
        self.context = context
    }

    var sizes: FileSizes { FileSizes(offsetSize: offsetSize, lengthSize: lengthSize) }
    var remaining: Int { bytes.endIndex - position }
    var isAtEnd: Bool { position >= bytes.endIndex }
    /// Bytes consumed since the start of the region.
    var consumed: Int { position - bytes.startIndex }

    private func need(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw HDF5Error.truncated("\(context) ends early (needs \(count) more bytes, \(max(0, remaining)) left)")
        }
    }

    mutating func skip(_ count: Int) throws {
        try need(count)
        position += count
    }

    /// Moves to `offset` bytes from the region's start.
    mutating func seek(to offset: Int) throws {
        guard offset >= 0, offset <= bytes.count else {
            throw HDF5Error.truncated("\(context): offset \(offset) outside its \(bytes.count) bytes")
        }
        position = bytes.startIndex + offset
    }

    /// Skips to the next multiple of `alignment` counted from the region's start.
    mutating func align(to alignment: Int) throws {
        let misalignment = consumed % alignment
        if misalignment != 0 { try skip(alignment - misalignment) }
    }

    mutating func u8() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws -> UInt16 { UInt16(truncatingIfNeeded: try unsigned(2)) }
    mutating func u32() throws -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(4)) }
    mutating func u64() throws -> UInt64 { try unsigned(8) }

    /// A little-endian unsigned integer of `width` bytes (0...8).
    mutating func unsigned(_ width: Int) throws -> UInt64 {
        guard width >= 0, width <= 8 else { throw HDF5Error.corrupt("\(context): integer field of \(width) bytes") }
        try need(width)
        var value: UInt64 = 0
        for index in 0..<width {
            value |= UInt64(bytes[position + index]) << (8 * UInt64(index))
        }
        position += width
        return value
    }

    /// A file address; nil for the "undefined address" (all bits set).
    mutating func address() throws -> UInt64? {
        let value = try unsigned(offsetSize)
        let undefined: UInt64 = offsetSize == 8 ? .max : (UInt64(1) << (8 * UInt64(offsetSize))) - 1
        return value == undefined ? nil : value
    }

    /// A "length" field (size of lengths from the superblock), as a non-negative Int.
    mutating func length() throws -> Int {
        try checkedInt(try unsigned(lengthSize), "length")
    }

    /// An unsigned value that must fit an Int (sizes, counts).
    mutating func count(_ width: Int, _ what: String) throws -> Int {
        try checkedInt(try unsigned(width), what)
    }

    func checkedInt(_ value: UInt64, _ what: String) throws -> Int {
        guard value <= UInt64(Int.max / 4) else { throw HDF5Error.corrupt("\(context): \(what) \(value) is absurd") }
        return Int(value)
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        try need(count)
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func expectSignature(_ signature: String) throws {
        let expected = Array(signature.utf8)
        let found = try take(expected.count)
        guard found.elementsEqual(expected) else {
            throw HDF5Error.corrupt("\(context): expected signature '\(signature)'")
        }
    }

    /// A NUL-terminated string; consumes the terminator.
    mutating func cString() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0) else {
            throw HDF5Error.truncated("\(context): unterminated name")
        }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return text
    }
}

/// Sizes of addresses and lengths in a file (bytes), fixed by its superblock.
struct FileSizes: Equatable {
    var offsetSize: Int
    var lengthSize: Int
}

/// Bounded integer arithmetic for sizes from files: products and sums that would overflow are
/// errors, not traps.
enum Checked {
    static func multiply(_ a: Int, _ b: Int, _ what: String) throws -> Int {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, result >= 0 else { throw HDF5Error.tooLarge("\(what) overflows") }
        return result
    }

    static func add(_ a: Int, _ b: Int, _ what: String) throws -> Int {
        let (result, overflow) = a.addingReportingOverflow(b)
        guard !overflow, result >= 0 else { throw HDF5Error.tooLarge("\(what) overflows") }
        return result
    }

    static func product(_ values: [Int], _ what: String) throws -> Int {
        var result = 1
        for value in values {
            guard value >= 0 else { throw HDF5Error.corrupt("\(what): negative dimension") }
            result = try multiply(result, value, what)
        }
        return result
    }
}

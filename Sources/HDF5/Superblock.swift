/// The superblock (specification section II.A): where the file's structure starts. Versions
/// 0 and 1 give the root group as a symbol-table entry; versions 2 and 3 give its object header.
struct Superblock {
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    let version: Int
    /// Offset of the signature in the file (0, 512, 1024, ... when there is a user block).
    let fileOffset: Int
    let sizes: FileSizes
    let baseAddress: UInt64
    let rootObjectHeader: UInt64
    /// For version 0/1 roots: the cached symbol table (B-tree, local heap), if the entry has one.
    let rootSymbolTableCache: (btree: UInt64, heap: UInt64)?

    /// Searches offsets 0, 512, 1024, 2048, ... for the signature and parses the superblock.
    static func locate(in bytes: [UInt8]) throws -> Superblock {
        var offset = 0
        while offset + signature.count <= bytes.count {
            if bytes[offset..<(offset + signature.count)].elementsEqual(signature) {
                return try parse(bytes, at: offset)
            }
            offset = offset == 0 ? 512 : offset * 2
        }
        throw HDF5Error(.notHDF5, "no HDF5 signature at offset 0, 512, 1024, ... (\(bytes.count) bytes): not an HDF5 file")
    }

    private static func parse(_ bytes: [UInt8], at offset: Int) throws -> Superblock {
        let provisional = FileSizes(offsetSize: 8, lengthSize: 8)
        var cursor = ByteCursor(bytes[offset...], sizes: provisional, context: "superblock")
        try cursor.skip(8)
        let version = Int(try cursor.u8())
        switch version {
        case 0, 1:
            try cursor.skip(4)  // free-space, root symbol table, reserved, shared header versions
            let sizes = try readSizes(&cursor)
            try cursor.skip(1)
            var body = ByteCursor(bytes[(offset + cursor.consumed)...], sizes: sizes, context: "superblock")
            try body.skip(4 + 4)  // group leaf/internal K, consistency flags
            if version == 1 { try body.skip(4) }  // indexed storage K + reserved
            let base = try body.address() ?? 0
            _ = try body.address()  // free-space info (reserved)
            _ = try body.address()  // end of file
            _ = try body.address()  // driver info block
            let entry = try SymbolTableEntry.parse(&body)
            return Superblock(version: version, fileOffset: offset, sizes: sizes, baseAddress: base,
                              rootObjectHeader: entry.objectHeader, rootSymbolTableCache: entry.symbolTableCache)
        case 2, 3:
            let sizes = try readSizes(&cursor)
            try cursor.skip(1)  // flags
            var body = ByteCursor(bytes[(offset + cursor.consumed)...], sizes: sizes, context: "superblock")
            let base = try body.address() ?? 0
            _ = try body.address()  // superblock extension
            _ = try body.address()  // end of file
            guard let root = try body.address() else { throw HDF5Error.corrupt("superblock has no root group") }
            try Lookup3.verify(bytes[offset...], start: offset, checkedLength: 12 + body.consumed, what: "superblock")
            return Superblock(version: version, fileOffset: offset, sizes: sizes, baseAddress: base,
                              rootObjectHeader: root, rootSymbolTableCache: nil)
        default:
            throw HDF5Error.unsupported("superblock version \(version) (versions 0-3 are supported)")
        }
    }

    private static func readSizes(_ cursor: inout ByteCursor) throws -> FileSizes {
        let offsetSize = Int(try cursor.u8())
        let lengthSize = Int(try cursor.u8())
        let valid: Set<Int> = [2, 4, 8]
        guard valid.contains(offsetSize), valid.contains(lengthSize) else {
            throw HDF5Error.corrupt("superblock gives \(offsetSize)-byte addresses and \(lengthSize)-byte lengths (2, 4 or 8 expected)")
        }
        return FileSizes(offsetSize: offsetSize, lengthSize: lengthSize)
    }
}

/// A symbol-table entry (section III.C): a name's heap offset, the object's header address and,
/// for groups, optionally a cached copy of its symbol table message.
struct SymbolTableEntry {
    let nameOffset: Int
    let objectHeader: UInt64
    let symbolTableCache: (btree: UInt64, heap: UInt64)?

    static func parse(_ cursor: inout ByteCursor) throws -> SymbolTableEntry {
        let nameOffset = try cursor.count(cursor.offsetSize, "link name offset")
        guard let header = try cursor.address() else {
            throw HDF5Error.corrupt("symbol table entry without an object header address")
        }
        let cacheType = try cursor.u32()
        try cursor.skip(4)
        var scratch = ByteCursor(try cursor.take(16), sizes: cursor.sizes, context: "symbol table entry")
        var cache: (UInt64, UInt64)? = nil
        if cacheType == 1, let btree = try scratch.address(), let heap = try scratch.address() {
            cache = (btree, heap)
        }
        return SymbolTableEntry(nameOffset: nameOffset, objectHeader: header, symbolTableCache: cache)
    }
}

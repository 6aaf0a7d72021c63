/// A fractal heap (section III.G): the store for dense links and dense attributes. Objects are
/// addressed by heap IDs: "managed" objects live in direct blocks reached through a doubling
/// table of indirect blocks, "huge" ones elsewhere in the file (indexed by a v2 B-tree), "tiny"
/// ones inside the ID itself.
struct FractalHeap {
    let image: FileImage
    let address: UInt64
    let idLength: Int
    let maxManagedSize: Int
    let hugeBTree: UInt64?
    let tableWidth: Int
    let startingBlockSize: Int
    let maxDirectBlockSize: Int
    let maxHeapSizeBits: Int
    /// Bytes of a heap ID's offset and length fields for managed objects.
    let offsetFieldSize: Int
    let lengthFieldSize: Int
    /// Every direct block, sorted by offset in the heap's address space.
    private(set) var directBlocks: [(offset: Int, size: Int, address: UInt64)] = []

    init(_ image: FileImage, at address: UInt64) throws {
        self.image = image
        self.address = address
        var cursor = try image.cursor(address, what: "fractal heap header")
        try cursor.expectSignature("FRHP")
        let version = try cursor.u8()
        guard version == 0 else { throw HDF5Error.unsupported("fractal heap version \(version)") }
        idLength = Int(try cursor.u16())
        let filterLength = Int(try cursor.u16())
        guard filterLength == 0 else { throw HDF5Error.unsupported("fractal heap with I/O filters") }
        _ = try cursor.u8()  // flags
        maxManagedSize = try cursor.count(4, "maximum managed object size")
        _ = try cursor.length()  // next huge object ID
        hugeBTree = try cursor.address()
        _ = try cursor.length()  // free space
        _ = try cursor.address()  // free-space manager
        for _ in 0..<8 { _ = try cursor.length() }  // managed/allocated space, iterator, object statistics
        tableWidth = Int(try cursor.u16())
        startingBlockSize = try cursor.length()
        maxDirectBlockSize = try cursor.length()
        maxHeapSizeBits = Int(try cursor.u16())
        _ = try cursor.u16()  // starting rows of the root indirect block
        let root = try cursor.address()
        let rootRows = Int(try cursor.u16())
        let start = try image.absolute(address, length: 0, what: "fractal heap header")
        try Lookup3.verify(image.bytes[...], start: start, checkedLength: cursor.consumed, what: "fractal heap header")

        guard tableWidth > 0, tableWidth <= 65536, tableWidth & (tableWidth - 1) == 0,
              startingBlockSize > 0, startingBlockSize & (startingBlockSize - 1) == 0,
              maxDirectBlockSize >= startingBlockSize, maxDirectBlockSize & (maxDirectBlockSize - 1) == 0,
              maxDirectBlockSize <= 1 << 40, maxHeapSizeBits > 0, maxHeapSizeBits <= 64 else {
            throw HDF5Error.corrupt("fractal heap doubling table is inconsistent")
        }
        offsetFieldSize = (maxHeapSizeBits + 7) / 8
        let directOffsetBytes = (Self.log2(maxDirectBlockSize) + 7) / 8
        lengthFieldSize = min(directOffsetBytes, Self.log2(max(maxManagedSize, 1)) / 8 + 1)

        if let root {
            var visited: Set<UInt64> = []
            if rootRows == 0 {
                directBlocks = [(0, startingBlockSize, root)]
            } else {
                try walkIndirect(root, rows: rootRows, heapOffset: 0, depth: 0, visited: &visited)
            }
        }
    }

    private static func log2(_ value: Int) -> Int { Int.bitWidth - 1 - value.leadingZeroBitCount }

    /// Size of each block in row `row` of the doubling table.
    private func rowBlockSize(_ row: Int) throws -> Int {
        guard row < 48 else { throw HDF5Error.corrupt("fractal heap has too many rows") }
        return row == 0 ? startingBlockSize : try Checked.multiply(startingBlockSize, 1 << (row - 1), "fractal heap block size")
    }

    private mutating func walkIndirect(_ blockAddress: UInt64, rows: Int, heapOffset: Int, depth: Int, visited: inout Set<UInt64>) throws {
        guard depth < 16, visited.insert(blockAddress).inserted else {
            throw HDF5Error.corrupt("fractal heap indirect blocks form a cycle")
        }
        guard rows > 0, rows <= 48 else { throw HDF5Error.corrupt("fractal heap indirect block of \(rows) rows") }
        var cursor = try image.cursor(blockAddress, what: "fractal heap indirect block")
        try cursor.expectSignature("FHIB")
        try cursor.skip(1 + image.sizes.offsetSize + offsetFieldSize)
        var offset = heapOffset
        var children: [(UInt64, Int, Int)] = []  // indirect: address, rows, offset
        for row in 0..<rows {
            let size = try rowBlockSize(row)
            for _ in 0..<tableWidth {
                let child = try cursor.address()
                if let child {
                    if size <= maxDirectBlockSize {
                        directBlocks.append((offset, size, child))
                        guard directBlocks.count <= image.limits.maxEntries else {
                            throw HDF5Error.tooLarge("fractal heap has too many blocks")
                        }
                    } else {
                        let childRows = Self.log2(size) - Self.log2(startingBlockSize) - Self.log2(tableWidth) + 1
                        children.append((child, childRows, offset))
                    }
                }
                offset = try Checked.add(offset, size, "fractal heap offset")
            }
        }
        let start = try image.absolute(blockAddress, length: 0, what: "fractal heap indirect block")
        try Lookup3.verify(image.bytes[...], start: start, checkedLength: cursor.consumed, what: "fractal heap indirect block")
        for (child, childRows, childOffset) in children {
            try walkIndirect(child, rows: childRows, heapOffset: childOffset, depth: depth + 1, visited: &visited)
        }
    }

    /// The bytes of the object a heap ID names.
    func object(id: ArraySlice<UInt8>) throws -> ArraySlice<UInt8> {
        var cursor = image.cursor(over: id, what: "fractal heap ID")
        let flags = try cursor.u8()
        guard flags >> 6 == 0 else { throw HDF5Error.unsupported("fractal heap ID version \(flags >> 6)") }
        switch (flags >> 4) & 0x03 {
        case 0:
            let offset = try cursor.count(offsetFieldSize, "heap offset")
            let length = try cursor.count(lengthFieldSize, "heap object length")
            return try managedObject(offset: offset, length: length)
        case 1:
            return try hugeObject(&cursor)
        case 2:
            var length = Int(flags & 0x0F) + 1
            if idLength > 18 { length = (Int(flags & 0x0F) << 8 | Int(try cursor.u8())) + 1 }
            return try cursor.take(length)
        default:
            throw HDF5Error.corrupt("fractal heap ID of unknown type")
        }
    }

    private func managedObject(offset: Int, length: Int) throws -> ArraySlice<UInt8> {
        // The last block starting at or before `offset`.
        var low = 0
        var high = directBlocks.count
        while low < high {
            let middle = (low + high) / 2
            if directBlocks[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { throw HDF5Error.corrupt("fractal heap object at offset \(offset) is in no block") }
        let block = directBlocks[low - 1]
        let within = offset - block.offset
        guard within >= 0, length <= block.size, within <= block.size - length else {
            throw HDF5Error.corrupt("fractal heap object (offset \(offset), \(length) bytes) crosses its block")
        }
        let bytes = try image.region(block.address, length: block.size, what: "fractal heap direct block")
        guard bytes.prefix(4).elementsEqual("FHDB".utf8) else {
            throw HDF5Error.corrupt("fractal heap direct block at \(block.address) lacks 'FHDB'")
        }
        return bytes[(bytes.startIndex + within)..<(bytes.startIndex + within + length)]
    }

    private func hugeObject(_ cursor: inout ByteCursor) throws -> ArraySlice<UInt8> {
        let sizes = image.sizes
        if idLength - 1 >= sizes.offsetSize + sizes.lengthSize {
            guard let address = try cursor.address() else { throw HDF5Error.corrupt("huge heap object without address") }
            let length = try cursor.length()
            return try image.region(address, length: length, what: "huge heap object")
        }
        let key = try cursor.unsigned(min(idLength - 1, 8))
        guard let hugeBTree else { throw HDF5Error.corrupt("huge heap object but the heap has no huge-object index") }
        let tree = try BTreeV2(image, at: hugeBTree)
        guard tree.type == 1 else {
            throw HDF5Error.unsupported("huge heap objects indexed by v2 B-tree type \(tree.type) (filtered heaps)")
        }
        var found: ArraySlice<UInt8>? = nil
        try tree.forEachRecord { record in
            var fields = image.cursor(over: record, what: "huge object record")
            guard let address = try fields.address() else { return true }
            let length = try fields.length()
            let id = try fields.unsigned(sizes.lengthSize)
            if id == key {
                found = try image.region(address, length: length, what: "huge heap object")
                return false
            }
            return true
        }
        guard let found else { throw HDF5Error.corrupt("huge heap object \(key) is not in its index") }
        return found
    }
}

/// Chunk indexes (sections III.A.1, VII and IV.A.2.i): from a chunked layout to the list of
/// stored chunks. Version 1 B-trees (the 'earliest' format) and the five indexes of layout
/// version 4: single chunk, implicit, fixed array, extensible array and version 2 B-tree.
struct ChunkRecord {
    /// Chunk position in the chunk grid (element offset divided by chunk size).
    let scaled: [Int]
    let address: UInt64
    let storedSize: Int
    let filterMask: UInt32
}

struct ChunkIndex {
    let image: FileImage
    let layout: ChunkedLayout
    let dimensions: [Int]
    /// Chunks per dimension now, and at the maximum extent (nil: unlimited).
    let grid: [Int]
    let maxGrid: [Int?]
    let chunkBytes: Int
    let isFiltered: Bool

    init(_ image: FileImage, layout: ChunkedLayout, dataspace: Dataspace, isFiltered: Bool) throws {
        guard layout.chunkDimensions.count == dataspace.dimensions.count else {
            throw HDF5Error.corrupt("chunks of rank \(layout.chunkDimensions.count) for a dataset of rank \(dataspace.dimensions.count)")
        }
        self.image = image
        self.layout = layout
        self.dimensions = dataspace.dimensions
        self.isFiltered = isFiltered
        let chunk = layout.chunkDimensions
        grid = zip(dimensions, chunk).map { ($0 + $1 - 1) / $1 }
        let dimensions = dataspace.dimensions
        maxGrid = dimensions.indices.map { axis in
            var maximum: Int? = dimensions[axis]
            if let maxima = dataspace.maxDimensions, axis < maxima.count { maximum = maxima[axis] }
            return maximum.map { ($0 + chunk[axis] - 1) / chunk[axis] }
        }
        chunkBytes = try Checked.multiply(Checked.product(chunk, "chunk size"), layout.elementSize, "chunk size")
    }

    func chunks() throws -> [ChunkRecord] {
        switch layout.index {
        case .btreeV1(let address):
            guard let address else { return [] }
            return try btreeV1Chunks(address)
        case .singleChunk(let address, let filtered):
            guard let address else { return [] }
            return [ChunkRecord(scaled: Array(repeating: 0, count: dimensions.count), address: address,
                                storedSize: filtered?.size ?? chunkBytes, filterMask: filtered?.mask ?? 0)]
        case .implicit(let address):
            guard let address else { return [] }
            return try implicitChunks(address)
        case .fixedArray(let address):
            guard let address else { return [] }
            return try fixedArrayChunks(address)
        case .extensibleArray(let address):
            guard let address else { return [] }
            return try extensibleArrayChunks(address)
        case .btreeV2(let address):
            guard let address else { return [] }
            return try btreeV2Chunks(address)
        }
    }

    // MARK: Linear chunk numbering used by implicit, fixed-array and extensible-array indexes

    /// Grid coordinates of chunk number `linear`, counted row-major over the maximum grid with
    /// `slowest` (an unlimited axis, for extensible arrays) moved to the front.
    private func scaledCoordinates(_ linear: Int, slowest: Int? = nil) -> [Int] {
        var order = Array(dimensions.indices)
        if let slowest { order.removeAll { $0 == slowest }; order.insert(slowest, at: 0) }
        var coordinates = Array(repeating: 0, count: dimensions.count)
        var rest = linear
        for (position, axis) in order.enumerated().reversed() {
            if position == 0 {
                coordinates[axis] = rest
            } else {
                let count = max(maxGrid[axis] ?? grid[axis], 1)
                coordinates[axis] = rest % count
                rest /= count
            }
        }
        return coordinates
    }

    private func isInsideDataset(_ scaled: [Int]) -> Bool {
        zip(scaled, grid).allSatisfy { $0 >= 0 && $0 < $1 }
    }

    private func maxChunkCount() throws -> Int {
        try Checked.product(maxGrid.enumerated().map { $1 ?? grid[$0] }, "chunk count")
    }

    /// Decodes one chunk entry of a fixed or extensible array (address, then for filtered
    /// chunks its stored size and filter mask).
    private func arrayEntry(_ entry: ArraySlice<UInt8>, linear: Int, slowest: Int? = nil) throws -> ChunkRecord? {
        var cursor = image.cursor(over: entry, what: "chunk index entry")
        guard let address = try cursor.address() else { return nil }
        var size = chunkBytes
        var mask: UInt32 = 0
        if isFiltered {
            let sizeWidth = entry.count - image.sizes.offsetSize - 4
            guard sizeWidth >= 1, sizeWidth <= 8 else { throw HDF5Error.corrupt("chunk index entry of \(entry.count) bytes") }
            size = try cursor.count(sizeWidth, "chunk size")
            mask = try cursor.u32()
        }
        let scaled = scaledCoordinates(linear, slowest: slowest)
        guard isInsideDataset(scaled) else { return nil }
        return ChunkRecord(scaled: scaled, address: address, storedSize: size, filterMask: mask)
    }

    // MARK: Indexes

    private func btreeV1Chunks(_ root: UInt64) throws -> [ChunkRecord] {
        let rank = dimensions.count
        var records: [ChunkRecord] = []
        try BTreeV1.forEachLeafEntry(image, root: root, type: .chunk, keySize: 8 + 8 * (rank + 1)) { key, child in
            var cursor = image.cursor(over: key, what: "chunk B-tree key")
            let size = try cursor.count(4, "chunk size")
            let mask = try cursor.u32()
            var scaled: [Int] = []
            for axis in 0..<rank {
                let offset = try cursor.count(8, "chunk offset")
                guard offset % layout.chunkDimensions[axis] == 0 else {
                    throw HDF5Error.corrupt("chunk offset \(offset) is not a multiple of the chunk size")
                }
                scaled.append(offset / layout.chunkDimensions[axis])
            }
            if isInsideDataset(scaled) {
                records.append(ChunkRecord(scaled: scaled, address: child, storedSize: size, filterMask: mask))
            }
        }
        return records
    }

    private func implicitChunks(_ base: UInt64) throws -> [ChunkRecord] {
        let count = try maxChunkCount()
        guard count <= image.limits.maxEntries else { throw HDF5Error.tooLarge("\(count) chunks") }
        var records: [ChunkRecord] = []
        for linear in 0..<count {
            let scaled = scaledCoordinates(linear)
            guard isInsideDataset(scaled) else { continue }
            let offset = try Checked.multiply(linear, chunkBytes, "implicit chunk address")
            let (address, overflow) = base.addingReportingOverflow(UInt64(offset))
            guard !overflow else { throw HDF5Error.corrupt("implicit chunk address overflows") }
            records.append(ChunkRecord(scaled: scaled, address: address, storedSize: chunkBytes, filterMask: 0))
        }
        return records
    }

    private func fixedArrayChunks(_ headerAddress: UInt64) throws -> [ChunkRecord] {
        var header = try image.cursor(headerAddress, what: "fixed array header")
        try header.expectSignature("FAHD")
        try header.skip(2)  // version, client ID
        let entrySize = Int(try header.u8())
        let pageBits = Int(try header.u8())
        let entryCount = try header.length()
        let dataBlock = try header.address()
        try Lookup3.verify(header.bytes, start: header.bytes.startIndex, checkedLength: header.consumed, what: "fixed array header")
        guard let dataBlock, entryCount > 0 else { return [] }
        guard entrySize >= image.sizes.offsetSize, pageBits < 32, entryCount <= image.limits.maxEntries else {
            throw HDF5Error.corrupt("fixed array of \(entryCount) entries of \(entrySize) bytes")
        }
        var block = try image.cursor(dataBlock, what: "fixed array data block")
        try block.expectSignature("FADB")
        try block.skip(2 + image.sizes.offsetSize)
        var records: [ChunkRecord] = []
        let pageSize = 1 << pageBits
        if entryCount <= pageSize {
            let entries = try block.take(try Checked.multiply(entryCount, entrySize, "fixed array"))
            try Lookup3.verify(block.bytes, start: block.bytes.startIndex, checkedLength: block.consumed, what: "fixed array data block")
            for linear in 0..<entryCount {
                let start = entries.startIndex + linear * entrySize
                if let record = try arrayEntry(entries[start..<(start + entrySize)], linear: linear) { records.append(record) }
            }
            return records
        }
        // Paged: a bitmap of initialised pages, the block's checksum, then the pages.
        let pageCount = (entryCount + pageSize - 1) / pageSize
        let bitmap = try block.take((pageCount + 7) / 8)
        try Lookup3.verify(block.bytes, start: block.bytes.startIndex, checkedLength: block.consumed, what: "fixed array data block")
        try block.skip(4)
        for page in 0..<pageCount {
            let entriesInPage = min(pageSize, entryCount - page * pageSize)
            let pageBytes = try Checked.multiply(entriesInPage, entrySize, "fixed array page")
            let initialised = bitmap[bitmap.startIndex + page / 8] & (0x80 >> UInt8(page % 8)) != 0
            let pageStart = block.consumed
            let entries = try block.take(pageBytes)
            try Lookup3.verify(block.bytes, start: block.bytes.startIndex + pageStart, checkedLength: pageBytes,
                               what: "fixed array page")
            try block.skip(4)
            guard initialised else { continue }
            for index in 0..<entriesInPage {
                let start = entries.startIndex + index * entrySize
                if let record = try arrayEntry(entries[start..<(start + entrySize)], linear: page * pageSize + index) {
                    records.append(record)
                }
            }
        }
        return records
    }

    private func extensibleArrayChunks(_ headerAddress: UInt64) throws -> [ChunkRecord] {
        guard let unlimited = maxGrid.firstIndex(where: { $0 == nil }) else {
            throw HDF5Error.corrupt("extensible array index on a dataset without an unlimited dimension")
        }
        let offsetSize = image.sizes.offsetSize
        var header = try image.cursor(headerAddress, what: "extensible array header")
        try header.expectSignature("EAHD")
        try header.skip(2)  // version, client ID
        let entrySize = Int(try header.u8())
        let maxElementBits = Int(try header.u8())
        let indexBlockElements = Int(try header.u8())
        let dataBlockMinElements = Int(try header.u8())
        let superBlockMinPointers = Int(try header.u8())
        let pageBits = Int(try header.u8())
        for _ in 0..<4 { _ = try header.length() }  // block statistics
        let maxIndexSet = try header.length()
        _ = try header.length()  // elements realised
        let indexBlock = try header.address()
        try Lookup3.verify(header.bytes, start: header.bytes.startIndex, checkedLength: header.consumed, what: "extensible array header")
        guard let indexBlock else { return [] }
        func isPowerOfTwo(_ value: Int) -> Bool { value > 0 && value & (value - 1) == 0 }
        guard entrySize >= offsetSize, maxElementBits > 0, maxElementBits <= 64, isPowerOfTwo(dataBlockMinElements),
              isPowerOfTwo(superBlockMinPointers), pageBits < 32, maxIndexSet <= image.limits.maxEntries else {
            throw HDF5Error.corrupt("extensible array parameters are inconsistent")
        }
        let log2 = { (value: Int) in Int.bitWidth - 1 - value.leadingZeroBitCount }
        let superBlockCount = 1 + maxElementBits - log2(dataBlockMinElements)
        let directSuperBlocks = 2 * log2(superBlockMinPointers)
        let directDataBlocks = 2 * (superBlockMinPointers - 1)
        guard superBlockCount > 0, superBlockCount < 64, directSuperBlocks <= superBlockCount else {
            throw HDF5Error.corrupt("extensible array parameters are inconsistent")
        }
        let blockOffsetSize = (maxElementBits + 7) / 8

        var records: [ChunkRecord] = []
        func collect(_ entries: ArraySlice<UInt8>, firstLinear: Int, count: Int) throws {
            for index in 0..<count where firstLinear + index < maxIndexSet {
                let start = entries.startIndex + index * entrySize
                if let record = try arrayEntry(entries[start..<(start + entrySize)], linear: firstLinear + index, slowest: unlimited) {
                    records.append(record)
                }
            }
        }

        var block = try image.cursor(indexBlock, what: "extensible array index block")
        try block.expectSignature("EAIB")
        try block.skip(2 + offsetSize)
        try collect(try block.take(indexBlockElements * entrySize), firstLinear: 0, count: indexBlockElements)
        var dataBlockAddresses: [UInt64?] = []
        for _ in 0..<directDataBlocks { dataBlockAddresses.append(try block.address()) }
        var superBlockAddresses: [UInt64?] = []
        for _ in 0..<(superBlockCount - directSuperBlocks) { superBlockAddresses.append(try block.address()) }
        try Lookup3.verify(block.bytes, start: block.bytes.startIndex, checkedLength: block.consumed, what: "extensible array index block")

        func readDataBlock(_ address: UInt64, elements: Int, firstLinear: Int) throws {
            guard elements <= 1 << pageBits else {
                throw HDF5Error.unsupported("paged extensible-array data blocks (over \(1 << pageBits) chunks in one block)")
            }
            var data = try image.cursor(address, what: "extensible array data block")
            try data.expectSignature("EADB")
            try data.skip(2 + offsetSize + blockOffsetSize)
            let entries = try data.take(try Checked.multiply(elements, entrySize, "extensible array data block"))
            try Lookup3.verify(data.bytes, start: data.bytes.startIndex, checkedLength: data.consumed, what: "extensible array data block")
            try collect(entries, firstLinear: firstLinear, count: elements)
        }

        var linear = indexBlockElements
        var directIndex = 0
        var visited: Set<UInt64> = []
        for superBlock in 0..<superBlockCount {
            guard linear < maxIndexSet else { break }
            let dataBlocks = 1 << (superBlock / 2)
            let elementsPerBlock = (1 << ((superBlock + 1) / 2)) * dataBlockMinElements
            var addresses: [UInt64?]
            if superBlock < directSuperBlocks {
                guard directIndex + dataBlocks <= dataBlockAddresses.count else { break }
                addresses = Array(dataBlockAddresses[directIndex..<(directIndex + dataBlocks)])
                directIndex += dataBlocks
            } else if let address = superBlockAddresses[superBlock - directSuperBlocks] {
                var secondary = try image.cursor(address, what: "extensible array secondary block")
                try secondary.expectSignature("EASB")
                try secondary.skip(2 + offsetSize + blockOffsetSize)
                addresses = []
                for _ in 0..<dataBlocks { addresses.append(try secondary.address()) }
            } else {
                addresses = Array(repeating: nil, count: dataBlocks)
            }
            for address in addresses {
                if let address {
                    guard visited.insert(address).inserted else { throw HDF5Error.corrupt("extensible array block reused") }
                    try readDataBlock(address, elements: elementsPerBlock, firstLinear: linear)
                }
                linear = try Checked.add(linear, elementsPerBlock, "extensible array index")
            }
        }
        return records
    }

    private func btreeV2Chunks(_ headerAddress: UInt64) throws -> [ChunkRecord] {
        let tree = try BTreeV2(image, at: headerAddress)
        let rank = dimensions.count
        let offsetSize = image.sizes.offsetSize
        let expectedType = isFiltered ? 11 : 10
        guard tree.type == expectedType else {
            throw HDF5Error.corrupt("chunk index is a v2 B-tree of type \(tree.type), expected \(expectedType)")
        }
        let sizeWidth = tree.recordSize - offsetSize - 8 * rank - 4
        if isFiltered {
            guard (1...8).contains(sizeWidth) else { throw HDF5Error.corrupt("chunk record of \(tree.recordSize) bytes") }
        } else {
            guard tree.recordSize == offsetSize + 8 * rank else { throw HDF5Error.corrupt("chunk record of \(tree.recordSize) bytes") }
        }
        var records: [ChunkRecord] = []
        try tree.forEachRecord { record in
            var cursor = image.cursor(over: record, what: "chunk B-tree record")
            guard let address = try cursor.address() else { return true }
            var size = chunkBytes
            var mask: UInt32 = 0
            if isFiltered {
                size = try cursor.count(sizeWidth, "chunk size")
                mask = try cursor.u32()
            }
            var scaled: [Int] = []
            for _ in 0..<rank { scaled.append(try cursor.count(8, "chunk offset")) }
            if isInsideDataset(scaled) {
                records.append(ChunkRecord(scaled: scaled, address: address, storedSize: size, filterMask: mask))
            }
            return true
        }
        return records
    }
}

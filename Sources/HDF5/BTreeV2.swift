/// Version 2 B-trees (section III.A.2): the name and creation-order indexes of dense groups
/// and attributes, huge fractal-heap objects, and chunk indexes of datasets written with
/// libver='latest'. Records are opaque here; each user decodes its own record type.
struct BTreeV2 {
    let image: FileImage
    let type: Int
    let nodeSize: Int
    let recordSize: Int
    let depth: Int
    let root: UInt64?
    let rootRecordCount: Int
    /// Per depth: most records a node holds, and the byte widths of the child-pointer counts.
    private var maxRecords: [Int] = []
    private var cumulativeCountSize: [Int] = []
    private var recordCountSize = 1

    init(_ image: FileImage, at address: UInt64) throws {
        self.image = image
        var cursor = try image.cursor(address, what: "v2 B-tree header")
        try cursor.expectSignature("BTHD")
        let version = try cursor.u8()
        guard version == 0 else { throw HDF5Error.unsupported("v2 B-tree version \(version)") }
        type = Int(try cursor.u8())
        nodeSize = try cursor.count(4, "v2 B-tree node size")
        recordSize = Int(try cursor.u16())
        depth = Int(try cursor.u16())
        try cursor.skip(2)  // split and merge percentages
        root = try cursor.address()
        rootRecordCount = Int(try cursor.u16())
        _ = try cursor.length()  // total records
        let start = try image.absolute(address, length: 0, what: "v2 B-tree header")
        try Lookup3.verify(image.bytes[...], start: start, checkedLength: cursor.consumed, what: "v2 B-tree header")
        guard recordSize > 0, nodeSize > 10 + recordSize, nodeSize <= 1 << 24, depth < 64 else {
            throw HDF5Error.corrupt("v2 B-tree with node size \(nodeSize), record size \(recordSize), depth \(depth)")
        }
        try computeNodeCapacities()
    }

    private static func bytesToEncode(_ value: Int) -> Int {
        value <= 0 ? 1 : (Int.bitWidth - 1 - value.leadingZeroBitCount) / 8 + 1
    }

    /// Node capacities per depth, as the library derives them from node and record sizes; they
    /// fix the widths of the record counts stored in internal nodes.
    private mutating func computeNodeCapacities() throws {
        let prefix = 10  // signature, version, type, checksum
        let leafMax = (nodeSize - prefix) / recordSize
        recordCountSize = Self.bytesToEncode(leafMax)
        maxRecords = [leafMax]
        var cumulative = [leafMax]
        cumulativeCountSize = [0]
        if depth == 0 { return }
        for level in 1...depth {
            let pointerSize = image.sizes.offsetSize + recordCountSize + (level > 1 ? cumulativeCountSize[level - 1] : 0)
            let capacity = (nodeSize - (prefix + pointerSize)) / (recordSize + pointerSize)
            guard capacity > 0 else { throw HDF5Error.corrupt("v2 B-tree nodes too small for depth \(depth)") }
            maxRecords.append(capacity)
            let (product, overflow1) = (capacity + 1).multipliedReportingOverflow(by: cumulative[level - 1])
            let (total, overflow2) = product.addingReportingOverflow(capacity)
            let bounded = overflow1 || overflow2 ? Int.max / 2 : total
            cumulative.append(bounded)
            cumulativeCountSize.append(Self.bytesToEncode(bounded))
        }
    }

    /// Calls `body` with each record in key order until it returns false.
    func forEachRecord(_ body: (ArraySlice<UInt8>) throws -> Bool) throws {
        guard let root, rootRecordCount > 0 else { return }
        var visited: Set<UInt64> = []
        var budget = image.limits.maxEntries
        _ = try visit(root, depth: depth, count: rootRecordCount, visited: &visited, budget: &budget, body)
    }

    private func visit(_ address: UInt64, depth: Int, count: Int, visited: inout Set<UInt64>, budget: inout Int,
                       _ body: (ArraySlice<UInt8>) throws -> Bool) throws -> Bool {
        guard visited.insert(address).inserted else { throw HDF5Error.corrupt("v2 B-tree node \(address) is reached twice (cycle)") }
        guard count <= maxRecords[depth] else {
            throw HDF5Error.corrupt("v2 B-tree node holds \(count) records, more than fit (\(maxRecords[depth]))")
        }
        budget -= count
        guard budget >= 0 else { throw HDF5Error.tooLarge("v2 B-tree has too many records") }
        let isLeaf = depth == 0
        var cursor = try image.cursor(address, length: nodeSize, what: "v2 B-tree node")
        try cursor.expectSignature(isLeaf ? "BTLF" : "BTIN")
        try cursor.skip(2)  // version, type
        let recordsStart = cursor.consumed
        try cursor.skip(try Checked.multiply(count, recordSize, "v2 B-tree node"))
        var children: [(UInt64, Int)] = []
        if !isLeaf {
            for _ in 0...count {
                guard let child = try cursor.address() else { throw HDF5Error.corrupt("v2 B-tree child without address") }
                let childCount = try cursor.count(recordCountSize, "v2 B-tree record count")
                if depth > 1 { try cursor.skip(cumulativeCountSize[depth - 1]) }
                children.append((child, childCount))
            }
        }
        try Lookup3.verify(cursor.bytes, start: cursor.bytes.startIndex, checkedLength: cursor.consumed, what: "v2 B-tree node")
        let records = cursor.bytes.dropFirst(recordsStart)
        for index in 0...count {
            if !isLeaf {
                let (child, childCount) = children[index]
                if try !visit(child, depth: depth - 1, count: childCount, visited: &visited, budget: &budget, body) { return false }
            }
            if index < count {
                let start = records.startIndex + index * recordSize
                if try !body(records[start..<(start + recordSize)]) { return false }
            }
        }
        return true
    }
}

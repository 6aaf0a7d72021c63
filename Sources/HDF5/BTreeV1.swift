/// Version 1 B-trees (section III.A.1): the index of old-style groups (node type 0, children
/// are symbol-table nodes) and of chunked datasets (node type 1, children are chunks).
enum BTreeV1 {
    enum NodeType: UInt8 { case group = 0, chunk = 1 }

    /// Calls `body` with each leaf-level (key, child address) pair, left to right. The key is
    /// the one before the child: for chunks it holds the chunk's size, filter mask and offset.
    static func forEachLeafEntry(_ image: FileImage, root: UInt64, type: NodeType, keySize: Int,
                                 _ body: (ArraySlice<UInt8>, UInt64) throws -> Void) throws {
        var visited: Set<UInt64> = []
        try visit(image, root, type: type, keySize: keySize, expectedLevel: nil, visited: &visited, body)
    }

    private static func visit(_ image: FileImage, _ address: UInt64, type: NodeType, keySize: Int, expectedLevel: Int?,
                              visited: inout Set<UInt64>, _ body: (ArraySlice<UInt8>, UInt64) throws -> Void) throws {
        guard visited.insert(address).inserted else { throw HDF5Error.corrupt("v1 B-tree node \(address) is reached twice (cycle)") }
        guard visited.count <= image.limits.maxEntries else { throw HDF5Error.tooLarge("v1 B-tree has too many nodes") }
        var cursor = try image.cursor(address, what: "v1 B-tree node")
        try cursor.expectSignature("TREE")
        let nodeType = try cursor.u8()
        guard nodeType == type.rawValue else {
            throw HDF5Error.corrupt("v1 B-tree node of type \(nodeType) where type \(type.rawValue) was expected")
        }
        let level = Int(try cursor.u8())
        if let expectedLevel, level != expectedLevel {
            throw HDF5Error.corrupt("v1 B-tree node at level \(level), expected \(expectedLevel)")
        }
        let entries = Int(try cursor.u16())
        _ = try cursor.address()  // left sibling
        _ = try cursor.address()  // right sibling
        var pairs: [(ArraySlice<UInt8>, UInt64)] = []
        pairs.reserveCapacity(entries)
        for _ in 0..<entries {
            let key = try cursor.take(keySize)
            guard let child = try cursor.address() else { throw HDF5Error.corrupt("v1 B-tree entry without a child address") }
            pairs.append((key, child))
        }
        for (key, child) in pairs {
            if level == 0 {
                try body(key, child)
            } else {
                try visit(image, child, type: type, keySize: keySize, expectedLevel: level - 1, visited: &visited, body)
            }
        }
    }
}

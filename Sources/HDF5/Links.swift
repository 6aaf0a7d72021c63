/// Groups and links (sections IV.A.2.f, g, q, r and III.C): how a group names its members.
/// Old-style groups keep a symbol table (v1 B-tree of symbol-table nodes plus a local heap of
/// names); new-style groups keep link messages in the header (compact) or in a fractal heap
/// indexed by a v2 B-tree (dense).
struct Link {
    enum Target: Equatable {
        case hard(UInt64)
        case soft(String)
        case external(file: String, path: String)
        case userDefined(Int)
    }

    let name: String
    let target: Target
    let creationOrder: Int64?

    /// The link message (type 0x06).
    static func parse(_ cursor: inout ByteCursor) throws -> Link {
        let version = try cursor.u8()
        guard version == 1 else { throw HDF5Error.unsupported("link message version \(version)") }
        let flags = try cursor.u8()
        let type = flags & 0x08 != 0 ? try cursor.u8() : 0
        let order: Int64? = flags & 0x04 != 0 ? Int64(bitPattern: try cursor.u64()) : nil
        if flags & 0x10 != 0 { _ = try cursor.u8() }  // character set of the name
        let nameLength = try cursor.count(1 << Int(flags & 0x03), "link name length")
        guard nameLength > 0 else { throw HDF5Error.corrupt("link with an empty name") }
        let name = String(decoding: try cursor.take(nameLength), as: UTF8.self)
        switch type {
        case 0:
            guard let address = try cursor.address() else { throw HDF5Error.corrupt("hard link '\(name)' without address") }
            return Link(name: name, target: .hard(address), creationOrder: order)
        case 1:
            let length = Int(try cursor.u16())
            return Link(name: name, target: .soft(String(decoding: try cursor.take(length), as: UTF8.self)), creationOrder: order)
        case 64:
            let length = Int(try cursor.u16())
            var info = cursor.subCursor(try cursor.take(length), what: "external link")
            _ = try info.u8()  // version and flags
            let file = try info.cString()
            let path = try info.cString()
            return Link(name: name, target: .external(file: file, path: path), creationOrder: order)
        default:
            return Link(name: name, target: .userDefined(Int(type)), creationOrder: order)
        }
    }
}

extension ByteCursor {
    func subCursor(_ bytes: ArraySlice<UInt8>, what: String) -> ByteCursor {
        ByteCursor(bytes, sizes: sizes, context: what)
    }
}

/// The link info message (type 0x02) of a new-style group.
struct LinkInfo {
    let tracksCreationOrder: Bool
    let fractalHeap: UInt64?
    let nameIndex: UInt64?

    static func parse(_ cursor: inout ByteCursor) throws -> LinkInfo {
        let version = try cursor.u8()
        guard version == 0 else { throw HDF5Error.unsupported("link info message version \(version)") }
        let flags = try cursor.u8()
        if flags & 0x01 != 0 { try cursor.skip(8) }  // maximum creation index
        let heap = try cursor.address()
        let index = try cursor.address()
        return LinkInfo(tracksCreationOrder: flags & 0x01 != 0, fractalHeap: heap, nameIndex: index)
    }
}

/// Reads the members of a group, in the order h5py lists them: by name (byte order), or by
/// creation order when the group tracks it.
enum GroupLinks {
    static func isGroup(_ header: ObjectHeader) -> Bool {
        header.first(.symbolTable) != nil || header.first(.linkInfo) != nil || header.first(.groupInfo) != nil
            || header.first(.link) != nil
    }

    static func links(of header: ObjectHeader, _ image: FileImage) throws -> [Link] {
        if let message = header.first(.symbolTable) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "symbol table message")
            guard let btree = try body.address(), let heap = try body.address() else {
                throw HDF5Error.corrupt("symbol table message without B-tree or heap")
            }
            return sortedByName(try symbolTableLinks(image, btree: btree, heap: heap))
        }
        var info: LinkInfo? = nil
        if let message = header.first(.linkInfo) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "link info message")
            info = try LinkInfo.parse(&body)
        }
        var links: [Link] = []
        for message in header.all(.link) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "link message")
            links.append(try Link.parse(&body))
        }
        if let info, let heapAddress = info.fractalHeap, let indexAddress = info.nameIndex {
            links += try denseLinks(image, heap: heapAddress, nameIndex: indexAddress)
        }
        if info?.tracksCreationOrder == true {
            return links.sorted { first, second in
                let (a, b) = (first.creationOrder ?? .max, second.creationOrder ?? .max)
                return a != b ? a < b : first.name.utf8.lexicographicallyPrecedes(second.name.utf8)
            }
        }
        return sortedByName(links)
    }

    private static func sortedByName(_ links: [Link]) -> [Link] {
        links.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    static func symbolTableLinks(_ image: FileImage, btree: UInt64, heap heapAddress: UInt64) throws -> [Link] {
        let heap = try LocalHeap.read(image, at: heapAddress)
        var links: [Link] = []
        try BTreeV1.forEachLeafEntry(image, root: btree, type: .group, keySize: image.sizes.lengthSize) { _, nodeAddress in
            var node = try image.cursor(nodeAddress, what: "symbol table node")
            try node.expectSignature("SNOD")
            let version = try node.u8()
            guard version == 1 else { throw HDF5Error.unsupported("symbol table node version \(version)") }
            try node.skip(1)
            let count = Int(try node.u16())
            for _ in 0..<count {
                let entry = try SymbolTableEntry.parse(&node)
                links.append(Link(name: try heap.string(at: entry.nameOffset), target: .hard(entry.objectHeader), creationOrder: nil))
            }
            guard links.count <= image.limits.maxEntries else { throw HDF5Error.tooLarge("group has too many members") }
        }
        return links
    }

    private static func denseLinks(_ image: FileImage, heap heapAddress: UInt64, nameIndex: UInt64) throws -> [Link] {
        let heap = try FractalHeap(image, at: heapAddress)
        let tree = try BTreeV2(image, at: nameIndex)
        guard tree.type == 5 else { throw HDF5Error.corrupt("link name index is a v2 B-tree of type \(tree.type), not 5") }
        var links: [Link] = []
        try tree.forEachRecord { record in
            // Record: name hash (4 bytes), heap ID (7 bytes).
            guard record.count >= 5 else { throw HDF5Error.corrupt("link name index record of \(record.count) bytes") }
            var body = image.cursor(over: try heap.object(id: record.dropFirst(4)), what: "dense link")
            links.append(try Link.parse(&body))
            return true
        }
        return links
    }
}

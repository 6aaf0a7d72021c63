/// Attributes (sections IV.A.2.m and IV.A.2.v): small named values on a group or dataset,
/// stored as attribute messages in the header (compact) or, when many or large, in a fractal
/// heap indexed by a v2 B-tree (dense, announced by an attribute info message).
struct AttributeMessage {
    let name: String
    let datatype: HDF5Datatype
    let dataspace: Dataspace
    let data: ArraySlice<UInt8>
    let creationOrder: Int64?

    static func parse(_ cursor: inout ByteCursor, creationOrder: Int64?) throws -> AttributeMessage {
        let version = try cursor.u8()
        guard (1...3).contains(version) else { throw HDF5Error.unsupported("attribute message version \(version)") }
        let flags = try cursor.u8()
        guard flags & 0x03 == 0 else {
            throw HDF5Error.unsupported("attribute with a shared datatype or dataspace (committed datatype)")
        }
        let nameSize = Int(try cursor.u16())
        let datatypeSize = Int(try cursor.u16())
        let dataspaceSize = Int(try cursor.u16())
        if version == 3 { _ = try cursor.u8() }  // name character set
        let padded = { (size: Int) in version == 1 ? (size + 7) / 8 * 8 : size }
        let nameBytes = try cursor.take(padded(nameSize))
        let name = String(decoding: nameBytes.prefix(nameSize).prefix { $0 != 0 }, as: UTF8.self)
        var typeCursor = cursor.subCursor(try cursor.take(padded(datatypeSize)), what: "attribute '\(name)' datatype")
        let datatype = try HDF5Datatype.parse(&typeCursor)
        var spaceCursor = cursor.subCursor(try cursor.take(padded(dataspaceSize)), what: "attribute '\(name)' dataspace")
        let dataspace = try Dataspace.parse(&spaceCursor)
        let byteCount = try Checked.multiply(dataspace.elementCount(), datatype.size, "attribute '\(name)' size")
        guard byteCount <= cursor.remaining else {
            throw HDF5Error.truncated("attribute '\(name)' needs \(byteCount) bytes of data, message has \(cursor.remaining)")
        }
        return AttributeMessage(name: name, datatype: datatype, dataspace: dataspace,
                                data: try cursor.take(byteCount), creationOrder: creationOrder)
    }

    /// The attributes of an object in h5py's order: creation order when tracked, else by name.
    static func all(of header: ObjectHeader, _ image: FileImage) throws -> [AttributeMessage] {
        var attributes: [AttributeMessage] = []
        for message in header.all(.attribute) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "attribute message")
            attributes.append(try parse(&body, creationOrder: message.creationOrder.map(Int64.init)))
        }
        var tracksCreationOrder = false
        if let message = header.first(.attributeInfo) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "attribute info message")
            let version = try body.u8()
            guard version == 0 else { throw HDF5Error.unsupported("attribute info message version \(version)") }
            let flags = try body.u8()
            tracksCreationOrder = flags & 0x01 != 0
            if tracksCreationOrder { try body.skip(2) }
            let heapAddress = try body.address()
            let indexAddress = try body.address()
            if let heapAddress, let indexAddress {
                attributes += try dense(image, heap: heapAddress, nameIndex: indexAddress)
            }
        }
        if tracksCreationOrder {
            return attributes.enumerated().sorted { first, second in
                let (a, b) = (first.element.creationOrder ?? .max, second.element.creationOrder ?? .max)
                return a != b ? a < b : first.offset < second.offset
            }.map(\.element)
        }
        return attributes.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    private static func dense(_ image: FileImage, heap heapAddress: UInt64, nameIndex: UInt64) throws -> [AttributeMessage] {
        let heap = try FractalHeap(image, at: heapAddress)
        let tree = try BTreeV2(image, at: nameIndex)
        guard tree.type == 8 else { throw HDF5Error.corrupt("attribute name index is a v2 B-tree of type \(tree.type), not 8") }
        var attributes: [AttributeMessage] = []
        try tree.forEachRecord { record in
            // Record: heap ID (8 bytes), message flags (1), creation order (4), name hash (4).
            var fields = image.cursor(over: record, what: "attribute name index record")
            let id = try fields.take(8)
            let flags = try fields.u8()
            let order = try fields.u32()
            guard flags & 0x02 == 0 else { throw HDF5Error.unsupported("dense attribute stored as a shared message") }
            var body = image.cursor(over: try heap.object(id: id), what: "dense attribute")
            attributes.append(try parse(&body, creationOrder: Int64(order)))
            return true
        }
        return attributes
    }
}

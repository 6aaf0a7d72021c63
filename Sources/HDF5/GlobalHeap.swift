/// Global heap collections (section III.E): where variable-length strings and sequences live.
/// A value in a dataset or attribute refers to (collection address, object index).
enum GlobalHeap {
    /// The bytes of object `index` in the collection at `address`.
    static func object(_ image: FileImage, collection address: UInt64, index: UInt32) throws -> ArraySlice<UInt8> {
        var header = try image.cursor(address, length: 8 + image.sizes.lengthSize, what: "global heap collection")
        try header.expectSignature("GCOL")
        let version = try header.u8()
        guard version == 1 else { throw HDF5Error.unsupported("global heap version \(version)") }
        try header.skip(3)
        let collectionSize = try header.length()
        guard collectionSize >= header.consumed else { throw HDF5Error.corrupt("global heap collection of \(collectionSize) bytes") }
        var cursor = try image.cursor(address, length: collectionSize, what: "global heap collection")
        try cursor.skip(header.consumed)
        while cursor.remaining >= 8 + image.sizes.lengthSize {
            let objectIndex = try cursor.u16()
            try cursor.skip(6)  // reference count, reserved
            let size = try cursor.length()
            if objectIndex == 0 { break }  // free space: no objects follow
            let body = try cursor.take(size)
            if UInt32(objectIndex) == index { return body }
            try cursor.align(to: 8)
        }
        throw HDF5Error.corrupt("global heap collection at \(address) has no object \(index)")
    }
}

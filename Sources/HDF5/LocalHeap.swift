/// A local heap (section III.D): the names of an old-style group's links, NUL-terminated,
/// addressed by offset into the heap's data segment.
struct LocalHeap {
    let data: ArraySlice<UInt8>

    static func read(_ image: FileImage, at address: UInt64) throws -> LocalHeap {
        var cursor = try image.cursor(address, what: "local heap")
        try cursor.expectSignature("HEAP")
        let version = try cursor.u8()
        guard version == 0 else { throw HDF5Error.unsupported("local heap version \(version)") }
        try cursor.skip(3)
        let size = try cursor.length()
        _ = try cursor.length()  // free list head
        guard let dataAddress = try cursor.address() else { throw HDF5Error.corrupt("local heap without a data segment") }
        return LocalHeap(data: try image.region(dataAddress, length: size, what: "local heap data"))
    }

    /// The NUL-terminated string at `offset`.
    func string(at offset: Int) throws -> String {
        guard offset >= 0, offset < data.count else {
            throw HDF5Error.corrupt("name offset \(offset) outside the \(data.count)-byte local heap")
        }
        let start = data.startIndex + offset
        guard let end = data[start...].firstIndex(of: 0) else {
            throw HDF5Error.corrupt("unterminated name in local heap at offset \(offset)")
        }
        return String(decoding: data[start..<end], as: UTF8.self)
    }
}

/// A dataset's storage as its header describes it (dataspace, datatype, layout, filters, fill
/// value), and the assembly of its raw bytes in row-major order from compact, contiguous or
/// chunked storage.
struct DatasetStorage {
    let dataspace: Dataspace
    let datatype: HDF5Datatype
    let layout: DataLayout
    let filters: FilterPipeline
    let fillValue: [UInt8]?

    init(_ header: ObjectHeader, _ image: FileImage) throws {
        guard let spaceMessage = header.first(.dataspace) else { throw HDF5Error.corrupt("dataset without a dataspace message") }
        guard let typeMessage = header.first(.datatype) else { throw HDF5Error.corrupt("dataset without a datatype message") }
        guard let layoutMessage = header.first(.dataLayout) else { throw HDF5Error.corrupt("dataset without a data layout message") }
        var space = try ObjectHeader.bodyCursor(spaceMessage, image, what: "dataspace message")
        dataspace = try Dataspace.parse(&space)
        var type = try ObjectHeader.bodyCursor(typeMessage, image, what: "datatype message")
        datatype = try HDF5Datatype.parse(&type)
        var layoutCursor = try ObjectHeader.bodyCursor(layoutMessage, image, what: "data layout message")
        layout = try DataLayout.parse(&layoutCursor)
        if let message = header.first(.filterPipeline) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "filter pipeline message")
            filters = try FilterPipeline.parse(&body)
        } else {
            filters = .empty
        }
        fillValue = try FillValue.bytes(of: header, image)
        if header.first(.externalFiles) != nil {
            throw HDF5Error.unsupported("dataset stored in external files")
        }
    }

    /// Size of the whole dataset in bytes, refused beyond the reader's limit before allocating.
    func byteCount(_ image: FileImage) throws -> Int {
        let count = try Checked.multiply(dataspace.elementCount(), datatype.size, "dataset size")
        guard count <= image.limits.maxValueBytes else {
            throw HDF5Error.tooLarge("dataset of \(count) bytes exceeds the \(image.limits.maxValueBytes)-byte limit")
        }
        return count
    }

    /// The dataset's bytes, row-major, as stored (file byte order).
    func rawBytes(_ image: FileImage) throws -> [UInt8] {
        let total = try byteCount(image)
        switch layout {
        case .compact(let data):
            guard data.count >= total else { throw HDF5Error.truncated("compact data holds \(data.count) of \(total) bytes") }
            return Array(data.prefix(total))
        case .contiguous(let address, _):
            guard let address else { return filled(total) }
            return Array(try image.region(address, length: total, what: "contiguous data"))
        case .chunked(let chunked):
            return try assembleChunks(chunked, total: total, image)
        }
    }

    /// A buffer of `total` bytes holding the fill value (zeros by default).
    private func filled(_ total: Int) -> [UInt8] {
        guard let fillValue, fillValue.count == datatype.size, fillValue.contains(where: { $0 != 0 }) else {
            return [UInt8](repeating: 0, count: total)
        }
        var output = [UInt8](repeating: 0, count: total)
        for start in stride(from: 0, to: total - fillValue.count + 1, by: fillValue.count) {
            output.replaceSubrange(start..<(start + fillValue.count), with: fillValue)
        }
        return output
    }

    private func assembleChunks(_ chunked: ChunkedLayout, total: Int, _ image: FileImage) throws -> [UInt8] {
        guard chunked.elementSize == datatype.size else {
            throw HDF5Error.corrupt("chunk element size \(chunked.elementSize) differs from the datatype's \(datatype.size)")
        }
        var output = filled(total)
        guard total > 0 else { return output }
        let index = try ChunkIndex(image, layout: chunked, dataspace: dataspace, isFiltered: !filters.filters.isEmpty)
        let chunkBytes = index.chunkBytes
        // Decoding work is bounded by the chunk grid: each grid cell is decoded at most once,
        // however often a damaged index lists it.
        let gridBytes = try Checked.multiply(Checked.product(index.grid, "chunk grid"), chunkBytes, "chunk grid")
        guard chunkBytes <= image.limits.maxValueBytes, gridBytes / 4 <= image.limits.maxValueBytes else {
            throw HDF5Error.tooLarge("chunks of \(chunkBytes) bytes covering \(gridBytes) bytes exceed the reader's limit")
        }
        var decodedCells: Set<[Int]> = []
        for chunk in try index.chunks() where decodedCells.insert(chunk.scaled).inserted {
            let stored = try image.region(chunk.address, length: chunk.storedSize, what: "chunk")
            let decoded: [UInt8]
            if filters.filters.isEmpty {
                decoded = Array(stored)
            } else {
                decoded = try filters.decode(stored, mask: chunk.filterMask, expectedSize: chunkBytes)
            }
            guard decoded.count >= chunkBytes else {
                throw HDF5Error.corrupt("chunk at \(chunk.address) decodes to \(decoded.count) bytes, expected \(chunkBytes)")
            }
            copyChunk(decoded, at: chunk.scaled, chunkDimensions: chunked.chunkDimensions, into: &output)
        }
        return output
    }

    /// Copies the part of a chunk that lies inside the dataset into the row-major output, one
    /// run along the fastest axis at a time.
    private func copyChunk(_ chunk: [UInt8], at scaled: [Int], chunkDimensions: [Int], into output: inout [UInt8]) {
        let dimensions = dataspace.dimensions
        let rank = dimensions.count
        let elementSize = datatype.size
        let origin = zip(scaled, chunkDimensions).map { $0 * $1 }
        let extent = (0..<rank).map { min(chunkDimensions[$0], dimensions[$0] - origin[$0]) }
        guard extent.allSatisfy({ $0 > 0 }) else { return }
        // Element strides of the dataset and of the chunk.
        var datasetStride = Array(repeating: 1, count: rank)
        var chunkStride = Array(repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            datasetStride[axis] = datasetStride[axis + 1] * dimensions[axis + 1]
            chunkStride[axis] = chunkStride[axis + 1] * chunkDimensions[axis + 1]
        }
        let runBytes = extent[rank - 1] * elementSize
        var position = Array(repeating: 0, count: rank)  // within the chunk, last axis fixed at 0
        chunk.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                while true {
                    var sourceElement = 0
                    var destinationElement = 0
                    for axis in 0..<rank {
                        sourceElement += position[axis] * chunkStride[axis]
                        destinationElement += (origin[axis] + position[axis]) * datasetStride[axis]
                    }
                    let from = sourceElement * elementSize
                    let to = destinationElement * elementSize
                    if let base = destination.baseAddress, let sourceBase = source.baseAddress {
                        (base + to).copyMemory(from: sourceBase + from, byteCount: runBytes)
                    }
                    // Advance the multi-index over all axes but the last.
                    var axis = rank - 2
                    while axis >= 0 {
                        position[axis] += 1
                        if position[axis] < extent[axis] { break }
                        position[axis] = 0
                        axis -= 1
                    }
                    if axis < 0 { return }
                }
            }
        }
    }
}

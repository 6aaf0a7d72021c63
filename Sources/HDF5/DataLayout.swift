/// The data layout message (section IV.A.2.i), versions 1-4: where a dataset's raw data is.
enum DataLayout {
    case compact(ArraySlice<UInt8>)
    /// nil address: never written (reads as the fill value).
    case contiguous(address: UInt64?, size: Int?)
    case chunked(ChunkedLayout)

    static func parse(_ cursor: inout ByteCursor) throws -> DataLayout {
        let version = try cursor.u8()
        switch version {
        case 1, 2:
            let dimensionality = Int(try cursor.u8())
            let layoutClass = try cursor.u8()
            try cursor.skip(5)
            guard dimensionality <= 33 else { throw HDF5Error.corrupt("data layout of rank \(dimensionality)") }
            let address = layoutClass == 0 ? nil : try cursor.address()
            var dimensions: [Int] = []
            for _ in 0..<dimensionality { dimensions.append(try cursor.count(4, "layout dimension")) }
            switch layoutClass {
            case 0:
                let size = try cursor.count(4, "compact data size")
                return .compact(try cursor.take(size))
            case 1:
                return .contiguous(address: address, size: nil)
            case 2:
                return .chunked(try ChunkedLayout(dimensionsWithElementSize: dimensions, index: .btreeV1(address)))
            default:
                throw HDF5Error.unsupported("data layout class \(layoutClass)")
            }
        case 3, 4:
            let layoutClass = try cursor.u8()
            switch layoutClass {
            case 0:
                let size = Int(try cursor.u16())
                return .compact(try cursor.take(size))
            case 1:
                let address = try cursor.address()
                return .contiguous(address: address, size: try cursor.length())
            case 2 where version == 3:
                let dimensionality = Int(try cursor.u8())
                guard dimensionality <= 33 else { throw HDF5Error.corrupt("data layout of rank \(dimensionality)") }
                let address = try cursor.address()
                var dimensions: [Int] = []
                for _ in 0..<dimensionality { dimensions.append(try cursor.count(4, "chunk dimension")) }
                return .chunked(try ChunkedLayout(dimensionsWithElementSize: dimensions, index: .btreeV1(address)))
            case 2:
                return .chunked(try parseVersion4Chunked(&cursor))
            case 3:
                throw HDF5Error.unsupported("virtual dataset layout")
            default:
                throw HDF5Error.unsupported("data layout class \(layoutClass)")
            }
        default:
            throw HDF5Error.unsupported("data layout message version \(version)")
        }
    }

    private static func parseVersion4Chunked(_ cursor: inout ByteCursor) throws -> ChunkedLayout {
        let flags = try cursor.u8()
        let dimensionality = Int(try cursor.u8())
        let encodedWidth = Int(try cursor.u8())
        guard dimensionality <= 33, (1...8).contains(encodedWidth) else {
            throw HDF5Error.corrupt("chunked layout of rank \(dimensionality) with \(encodedWidth)-byte dimensions")
        }
        var dimensions: [Int] = []
        for _ in 0..<dimensionality { dimensions.append(try cursor.count(encodedWidth, "chunk dimension")) }
        let indexType = try cursor.u8()
        let index: ChunkedLayout.Index
        switch indexType {
        case 1:
            var filtered: (size: Int, mask: UInt32)? = nil
            if flags & 0x02 != 0 { filtered = (try cursor.length(), try cursor.u32()) }
            index = .singleChunk(try cursor.address(), filtered: filtered)
        case 2:
            index = .implicit(try cursor.address())
        case 3:
            try cursor.skip(1)  // page bits
            index = .fixedArray(try cursor.address())
        case 4:
            try cursor.skip(5)  // creation parameters, repeated in the array's header
            index = .extensibleArray(try cursor.address())
        case 5:
            try cursor.skip(6)  // node size, split and merge percentages
            index = .btreeV2(try cursor.address())
        default:
            throw HDF5Error.unsupported("chunk index type \(indexType)")
        }
        return try ChunkedLayout(dimensionsWithElementSize: dimensions, index: index)
    }
}

/// A chunked layout: chunk shape plus the index that finds each chunk.
struct ChunkedLayout {
    enum Index {
        case btreeV1(UInt64?)
        case singleChunk(UInt64?, filtered: (size: Int, mask: UInt32)?)
        case implicit(UInt64?)
        case fixedArray(UInt64?)
        case extensibleArray(UInt64?)
        case btreeV2(UInt64?)
    }

    /// Chunk shape in elements (the stored trailing element-size dimension removed).
    let chunkDimensions: [Int]
    let elementSize: Int
    let index: Index

    init(dimensionsWithElementSize dimensions: [Int], index: Index) throws {
        guard let elementSize = dimensions.last, dimensions.count >= 2 else {
            throw HDF5Error.corrupt("chunked layout without chunk dimensions")
        }
        guard dimensions.allSatisfy({ $0 > 0 }) else { throw HDF5Error.corrupt("chunk dimension of zero") }
        self.chunkDimensions = Array(dimensions.dropLast())
        self.elementSize = elementSize
        self.index = index
    }
}

/// Fill value messages (sections IV.A.2.e and f): what unwritten data reads as.
enum FillValue {
    /// The fill value bytes, or nil when the default (zeros) applies.
    static func bytes(of header: ObjectHeader, _ image: FileImage) throws -> [UInt8]? {
        if let message = header.first(.fillValue) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "fill value message")
            let version = try body.u8()
            switch version {
            case 1, 2:
                try body.skip(2)  // allocation and write times
                guard try body.u8() != 0 else { return nil }
                let size = try body.count(4, "fill value size")
                return size == 0 ? nil : Array(try body.take(size))
            case 3:
                let flags = try body.u8()
                guard flags & 0x20 != 0 else { return nil }
                let size = try body.count(4, "fill value size")
                return size == 0 ? nil : Array(try body.take(size))
            default:
                throw HDF5Error.unsupported("fill value message version \(version)")
            }
        }
        if let message = header.first(.fillValueOld) {
            var body = try ObjectHeader.bodyCursor(message, image, what: "old fill value message")
            let size = try body.count(4, "fill value size")
            return size == 0 ? nil : Array(try body.take(size))
        }
        return nil
    }
}

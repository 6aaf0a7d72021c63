/// The dataspace message (section IV.A.2.b): the shape of a dataset or attribute.
struct Dataspace: Equatable {
    enum Kind: Equatable { case scalar, simple, null }

    let kind: Kind
    /// Current dimensions; empty for scalar and null spaces.
    let dimensions: [Int]
    /// Maximum dimensions when stored; nil entries are unlimited.
    let maxDimensions: [Int?]?

    /// Number of elements: 1 for a scalar, 0 for a null space.
    func elementCount() throws -> Int {
        switch kind {
        case .null: return 0
        case .scalar: return 1
        case .simple: return try Checked.product(dimensions, "dataspace size")
        }
    }

    static func parse(_ cursor: inout ByteCursor) throws -> Dataspace {
        let version = try cursor.u8()
        let rank = Int(try cursor.u8())
        let flags = try cursor.u8()
        guard rank <= 32 else { throw HDF5Error.corrupt("dataspace of rank \(rank) (at most 32)") }
        var kind: Kind
        switch version {
        case 1:
            try cursor.skip(5)
            kind = rank == 0 ? .scalar : .simple
        case 2:
            switch try cursor.u8() {
            case 0: kind = .scalar
            case 1: kind = .simple
            case 2: kind = .null
            case let other: throw HDF5Error.corrupt("dataspace type \(other)")
            }
        default:
            throw HDF5Error.unsupported("dataspace message version \(version)")
        }
        var dimensions: [Int] = []
        for _ in 0..<rank { dimensions.append(try cursor.length()) }
        var maxDimensions: [Int?]? = nil
        if flags & 0x01 != 0 {
            var maxima: [Int?] = []
            for _ in 0..<rank {
                let value = try cursor.unsigned(cursor.lengthSize)
                let unlimited = cursor.lengthSize == 8 ? UInt64.max : (UInt64(1) << (8 * UInt64(cursor.lengthSize))) - 1
                maxima.append(value == unlimited ? nil : try cursor.checkedInt(value, "maximum dimension"))
            }
            maxDimensions = maxima
        }
        if kind != .simple { dimensions = [] }
        if kind == .simple && rank == 0 { kind = .scalar }
        return Dataspace(kind: kind, dimensions: dimensions, maxDimensions: maxDimensions)
    }
}

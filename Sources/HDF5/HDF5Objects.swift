import Foundation

/// A group: a named collection of links to groups and datasets, plus attributes.
public struct HDF5Group {
    let file: HDF5File
    let header: ObjectHeader
    /// Absolute path, "/" for the root ("/model_weights/conv2d_1").
    public let path: String

    init(file: HDF5File, header: ObjectHeader, path: String) {
        self.file = file
        self.header = header
        self.path = path
    }

    func links() throws -> [Link] {
        try withObjectPath(path) { try file.links(of: header) }
    }

    func link(named name: String) throws -> Link {
        guard let link = try links().first(where: { $0.name == name }) else {
            throw HDF5Error(.notFound, "no member named '\(name)'", path: path)
        }
        return link
    }

    /// Every link with where it points, in `childNames()` order (soft and external links are
    /// listed, not followed).
    public func linkTargets() throws -> [(name: String, target: HDF5LinkTarget)] {
        try links().map { link in
            switch link.target {
            case .hard: return (link.name, .hard)
            case .soft(let path): return (link.name, .soft(path))
            case .external(let file, let path): return (link.name, .external(file: file, path: path))
            case .userDefined(let type): return (link.name, .userDefined(type))
            }
        }
    }

    /// When the group was last modified, if the file records it (h5py does not by default).
    public var modificationTime: Date? { header.modificationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// Member names in h5py's `keys()` order: by name, or by creation order when tracked.
    public func childNames() throws -> [String] {
        try links().map(\.name)
    }

    /// The member `name`, following a soft link within the file.
    public func node(named name: String) throws -> HDF5Node {
        if case .hard(let address) = try link(named: name).target {
            return try makeNode(name: name, address: address)
        }
        return try file.node(at: childPath(path, name))
    }

    public func group(named name: String) throws -> HDF5Group {
        guard case .group(let group) = try node(named: name) else {
            throw HDF5Error(.wrongKind, "is a dataset, not a group", path: childPath(path, name))
        }
        return group
    }

    public func dataset(named name: String) throws -> HDF5Dataset {
        guard case .dataset(let dataset) = try node(named: name) else {
            throw HDF5Error(.wrongKind, "is a group, not a dataset", path: childPath(path, name))
        }
        return dataset
    }

    /// Every member with its kind, in `childNames()` order; soft links are resolved, external
    /// ones reported as errors.
    public func children() throws -> [HDF5Node] {
        try childNames().map { try node(named: $0) }
    }

    public func attributeNames() throws -> [String] {
        try withObjectPath(path) { try AttributeMessage.all(of: header, file.image).map(\.name) }
    }

    /// The attribute `name`, or nil when the group has none of that name.
    public func attribute(_ name: String) throws -> HDF5Value? {
        try readAttribute(name, header: header, file: file, path: path)
    }

    /// All attributes in `attributeNames()` order.
    public func attributes() throws -> [(name: String, value: HDF5Value)] {
        try readAttributes(header: header, file: file, path: path)
    }

    /// Builds the node for a hard link to `address` named `name` below this group.
    func makeNode(name: String, address: UInt64) throws -> HDF5Node {
        let path = childPath(self.path, name)
        let image = file.image
        return try withObjectPath(path) {
            let header = try ObjectHeader.read(image, at: address)
            if header.first(.dataLayout) != nil {
                return .dataset(try HDF5Dataset(file: file, header: header, path: path))
            }
            return .group(HDF5Group(file: file, header: header, path: path))
        }
    }
}

/// Where a link points.
public enum HDF5LinkTarget: Equatable, Sendable {
    case hard
    case soft(String)
    case external(file: String, path: String)
    case userDefined(Int)
}

/// A dataset: an n-dimensional array of one datatype, plus attributes.
public struct HDF5Dataset {
    let file: HDF5File
    let header: ObjectHeader
    let storage: DatasetStorage
    public let path: String

    init(file: HDF5File, header: ObjectHeader, path: String) throws {
        self.file = file
        self.header = header
        self.path = path
        self.storage = try DatasetStorage(header, file.image)
    }

    /// When the dataset was last modified, if the file records it.
    public var modificationTime: Date? { header.modificationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// Dimensions, `[]` for a scalar.
    public var shape: [Int] { storage.dataspace.dimensions }
    public var datatype: HDF5Datatype { storage.datatype }
    public var elementCount: Int { (try? storage.dataspace.elementCount()) ?? 0 }

    /// How the data is stored, for diagnostics: "contiguous", "compact", "chunked (7, 5) gzip".
    public var storageDescription: String {
        switch storage.layout {
        case .compact: return "compact"
        case .contiguous: return "contiguous"
        case .chunked(let chunked):
            let names = storage.filters.filters.map { filter -> String in
                switch filter.id {
                case FilterPipeline.deflate: return "gzip"
                case FilterPipeline.shuffle: return "shuffle"
                case FilterPipeline.fletcher32: return "fletcher32"
                default: return filter.name.isEmpty ? "filter\(filter.id)" : filter.name
                }
            }
            let chunk = "chunked (" + chunked.chunkDimensions.map(String.init).joined(separator: ", ") + ")"
            return names.isEmpty ? chunk : chunk + " " + names.joined(separator: "+")
        }
    }

    /// The raw element bytes, row-major, in the file's byte order.
    public func readBytes() throws -> [UInt8] {
        try withObjectPath(path) { try storage.rawBytes(file.image) }
    }

    /// Every element as Float: integers and doubles converted, float16 widened.
    public func readFloats() throws -> [Float] {
        try withObjectPath(path) { try ValueDecoding.floats(try storage.rawBytes(file.image), storage.datatype) }
    }

    public func readDoubles() throws -> [Double] {
        try withObjectPath(path) { try ValueDecoding.doubles(try storage.rawBytes(file.image), storage.datatype) }
    }

    /// Every element of an integer dataset as Int64.
    public func readIntegers() throws -> [Int64] {
        try withObjectPath(path) { try ValueDecoding.integers(try storage.rawBytes(file.image)[...], storage.datatype) }
    }

    /// The whole dataset as a value (strings, integers or floats) with its shape.
    public func readValue() throws -> HDF5Value {
        try withObjectPath(path) {
            try HDF5Value.decode(try storage.rawBytes(file.image)[...], type: storage.datatype, space: storage.dataspace, file.image)
        }
    }

    public func attributeNames() throws -> [String] {
        try withObjectPath(path) { try AttributeMessage.all(of: header, file.image).map(\.name) }
    }

    public func attribute(_ name: String) throws -> HDF5Value? {
        try readAttribute(name, header: header, file: file, path: path)
    }

    public func attributes() throws -> [(name: String, value: HDF5Value)] {
        try readAttributes(header: header, file: file, path: path)
    }
}

private func readAttribute(_ name: String, header: ObjectHeader, file: HDF5File, path: String) throws -> HDF5Value? {
    try withObjectPath(path) {
        guard let message = try AttributeMessage.all(of: header, file.image).first(where: { $0.name == name }) else { return nil }
        return try withObjectPath("\(path)@\(name)") { try decode(message, file.image) }
    }
}

private func readAttributes(header: ObjectHeader, file: HDF5File, path: String) throws -> [(name: String, value: HDF5Value)] {
    try withObjectPath(path) {
        try AttributeMessage.all(of: header, file.image).map { message in
            (message.name, try withObjectPath("\(path)@\(message.name)") { try decode(message, file.image) })
        }
    }
}

private func decode(_ message: AttributeMessage, _ image: FileImage) throws -> HDF5Value {
    guard message.data.count <= image.limits.maxValueBytes else {
        throw HDF5Error.tooLarge("attribute of \(message.data.count) bytes")
    }
    return try HDF5Value.decode(message.data, type: message.datatype, space: message.dataspace, image)
}

import Foundation

/// An HDF5 file read whole into memory. Immutable after `init` but for a cache of each group's
/// links (under a lock), so one instance may be shared across threads. Objects are reached by
/// path ("a/b/c") from the root group.
public final class HDF5File: @unchecked Sendable {
    let image: FileImage
    let superblock: Superblock
    private let rootHeader: ObjectHeader
    /// Each group's links once read, by object header address: finding a member by name (a
    /// Keras file asks its groups for each layer and weight) then reads the B-tree and heap once.
    private let linkCacheLock = NSLock()
    private var linkCache: [UInt64: [Link]] = [:]

    func links(of header: ObjectHeader) throws -> [Link] {
        linkCacheLock.lock()
        let cached = linkCache[header.address]
        linkCacheLock.unlock()
        if let cached { return cached }
        let links = try GroupLinks.links(of: header, image)
        linkCacheLock.lock()
        linkCache[header.address] = links
        linkCacheLock.unlock()
        return links
    }

    /// Parses the superblock, searching offsets 0, 512, 1024, ... (files with a user block).
    public convenience init(bytes: [UInt8]) throws {
        try self.init(bytes: bytes, limits: .default)
    }

    /// As `init(bytes:)`, with explicit allocation limits (the fuzzer uses small ones).
    public init(bytes: [UInt8], limits: HDF5Limits) throws {
        superblock = try Superblock.locate(in: bytes)
        // Addresses count from the superblock, as the reference library does whatever the
        // stored base address says (they agree in every file it writes).
        let image = FileImage(bytes: bytes, baseAddress: superblock.fileOffset, sizes: superblock.sizes, limits: limits)
        self.image = image
        // Fail now, not on first use, if the root group is unreadable.
        let rootAddress = superblock.rootObjectHeader
        rootHeader = try withObjectPath("/") { try ObjectHeader.read(image, at: rootAddress) }
    }

    /// Reads the whole file once, then parses it.
    public convenience init(path: String) throws {
        try self.init(path: path, limits: .default)
    }

    public convenience init(path: String, limits: HDF5Limits) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HDF5Error(.io, "cannot open '\(path)' for reading")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw HDF5Error(.io, "cannot read '\(path)': \(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data), limits: limits)
    }

    /// The superblock version (0-3).
    public var superblockVersion: Int { superblock.version }

    public var root: HDF5Group {
        HDF5Group(file: self, header: rootHeader, path: "/")
    }

    /// The object at `path` ("a/b/c", "/a/b"; "" or "/" is the root), following hard and soft links.
    public func node(at path: String) throws -> HDF5Node {
        var current = HDF5Node.group(root)
        var softHops = 0
        var components = path.split(separator: "/").map(String.init)[...]
        while let name = components.popFirst() {
            if name == "." { continue }
            guard case .group(let group) = current else {
                throw HDF5Error(.wrongKind, "'\(current.path)' is a dataset, so it has no member '\(name)'", path: path)
            }
            let link = try group.link(named: name)
            switch link.target {
            case .hard(let address):
                current = try group.makeNode(name: name, address: address)
            case .soft(let target):
                softHops += 1
                guard softHops <= 32 else { throw HDF5Error(.corrupt, "too many soft links (a loop?)", path: path) }
                let targetComponents = target.split(separator: "/").map(String.init)
                if target.hasPrefix("/") {
                    current = .group(root)
                }
                components = (targetComponents + Array(components))[...]
            case .external(let file, let targetPath):
                throw HDF5Error(.unsupported, "'\(name)' is an external link to '\(targetPath)' in file '\(file)'; external links are not followed", path: path)
            case .userDefined(let type):
                throw HDF5Error(.unsupported, "'\(name)' is a user-defined link of type \(type)", path: path)
            }
        }
        return current
    }

    public func group(at path: String) throws -> HDF5Group {
        guard case .group(let group) = try node(at: path) else {
            throw HDF5Error(.wrongKind, "is a dataset, not a group", path: path)
        }
        return group
    }

    public func dataset(at path: String) throws -> HDF5Dataset {
        guard case .dataset(let dataset) = try node(at: path) else {
            throw HDF5Error(.wrongKind, "is a group, not a dataset", path: path)
        }
        return dataset
    }

    /// Visits every object below the root, depth first in listing order, each once (hard links
    /// that point back up the tree are not followed twice). Soft and external links are skipped.
    public func walk(_ visit: (HDF5Node) throws -> Void) throws {
        var seen: Set<UInt64> = [superblock.rootObjectHeader]
        try walk(root, seen: &seen, visit)
    }

    private func walk(_ group: HDF5Group, seen: inout Set<UInt64>, _ visit: (HDF5Node) throws -> Void) throws {
        for link in try group.links() {
            guard case .hard(let address) = link.target, seen.insert(address).inserted else { continue }
            let node = try group.makeNode(name: link.name, address: address)
            try visit(node)
            if case .group(let child) = node { try walk(child, seen: &seen, visit) }
        }
    }
}

/// A group or a dataset.
public enum HDF5Node {
    case group(HDF5Group)
    case dataset(HDF5Dataset)

    public var path: String {
        switch self {
        case .group(let group): return group.path
        case .dataset(let dataset): return dataset.path
        }
    }

    public var name: String {
        path.split(separator: "/").last.map(String.init) ?? "/"
    }
}

func childPath(_ parent: String, _ name: String) -> String {
    parent == "/" ? "/" + name : parent + "/" + name
}

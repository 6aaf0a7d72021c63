/// Writes an HDF5 file in the format h5py's default ('earliest') produces and Keras 2 files
/// use: superblock version 0, version-1 object headers, groups as symbol tables (a v1 B-tree of
/// symbol-table nodes plus a local heap of names), contiguous datasets, attributes in the
/// object header. Every structure follows the specification's section it is named for, with
/// the sizes the reference library expects (B-tree nodes and symbol-table nodes are written at
/// their full capacity for K = 16 and 4, as the superblock declares).
///
/// Objects are written children first, so every address a structure needs is known when it is
/// written; the superblock, which points at the root, is filled in last.
public enum HDF5Writer {
    public static func encode(_ root: HDF5WritableGroup) throws -> [UInt8] {
        var encoder = Encoder()
        encoder.reserve(Layout.superblockSize)
        let rootGroup = try encoder.writeGroup(root, path: "/")
        encoder.writeSuperblock(root: rootGroup)
        return encoder.bytes
    }

    enum Layout {
        static let superblockSize = 96
        /// Group leaf node K: a symbol-table node holds up to 2K entries.
        static let leafK = 4
        /// Group internal node K: a B-tree node has up to 2K children.
        static let internalK = 16
        static let symbolTableEntrySize = 40
        static let symbolTableNodeSize = 8 + 2 * leafK * symbolTableEntrySize
        /// "TREE", type, level, entries, two siblings; then 2K children and 2K+1 keys.
        static let btreeNodeSize = 24 + 2 * internalK * 8 + (2 * internalK + 1) * 8
        static let undefined = UInt64.max
        /// The local heap's "no free block" offset (H5HL_FREE_NULL in the reference library).
        static let noFreeBlock: UInt64 = 1
        /// An object header message body is at most this long (its size field is 16 bits).
        static let maxMessageBody = 0xFFF8
    }

    /// Where a written group lives: the superblock and parents cache its B-tree and heap.
    struct WrittenGroup {
        let header: UInt64
        let btree: UInt64
        let heap: UInt64
    }

    struct Encoder {
        var bytes: [UInt8] = []

        /// Appends `count` zero bytes at an 8-byte boundary; returns their address.
        @discardableResult
        mutating func reserve(_ count: Int) -> UInt64 {
            while bytes.count % 8 != 0 { bytes.append(0) }
            let address = UInt64(bytes.count)
            bytes += [UInt8](repeating: 0, count: count)
            return address
        }

        mutating func append(_ block: [UInt8]) -> UInt64 {
            let address = reserve(0)
            bytes += block
            return address
        }

        mutating func patch(_ address: UInt64, _ block: [UInt8]) {
            let start = Int(address)
            bytes.replaceSubrange(start..<(start + block.count), with: block)
        }

        // MARK: Groups

        mutating func writeGroup(_ group: HDF5WritableGroup, path: String) throws -> WrittenGroup {
            // Children first: their header addresses go into this group's symbol table.
            var entries: [(name: String, header: UInt64, cache: WrittenGroup?)] = []
            for name in group.memberNames {
                try checkName(name, in: path)
                let childPath = path == "/" ? "/" + name : path + "/" + name
                if let child = group.groups[name] {
                    guard group.datasets[name] == nil else {
                        throw HDF5Error(.corrupt, "'\(name)' is both a group and a dataset", path: path)
                    }
                    let written = try writeGroup(child, path: childPath)
                    entries.append((name, written.header, written))
                } else if let array = group.datasets[name] {
                    entries.append((name, try writeDataset(array, attributes: group.datasetAttributes[name] ?? [:], path: childPath), nil))
                }
            }
            // Local heap: "" at offset 0 (the B-tree's first key), then each name, 8-byte aligned.
            var heapData = [UInt8](repeating: 0, count: 8)
            var nameOffsets: [UInt64] = []
            for entry in entries {
                nameOffsets.append(UInt64(heapData.count))
                heapData += Array(entry.name.utf8) + [0]
                while heapData.count % 8 != 0 { heapData.append(0) }
            }
            var heapHeader = Array("HEAP".utf8) + [0, 0, 0, 0]
            heapHeader += le(UInt64(heapData.count)) + le(Layout.noFreeBlock)
            let heapAddress = reserve(32)
            let heapDataAddress = append(heapData)
            heapHeader += le(heapDataAddress)
            patch(heapAddress, heapHeader)

            // Symbol-table nodes of up to 2K entries each, then the B-tree over them.
            var leaves: [(address: UInt64, lastKey: UInt64)] = []
            var start = 0
            while start < entries.count {
                let slice = Array(entries.indices[start..<min(start + 2 * Layout.leafK, entries.count)])
                var node = Array("SNOD".utf8) + [1, 0] + le16(UInt16(slice.count))
                for index in slice {
                    node += symbolTableEntry(nameOffset: nameOffsets[index], header: entries[index].header, cache: entries[index].cache)
                }
                node += [UInt8](repeating: 0, count: Layout.symbolTableNodeSize - node.count)
                let address = append(node)
                leaves.append((address, slice.last.map { nameOffsets[$0] } ?? 0))
                start += 2 * Layout.leafK
            }
            let btree = writeBTree(children: leaves, level: 0)

            var messages: [Message] = [Message(type: 0x11, body: le(btree) + le(heapAddress))]
            messages += try attributeMessages(group.attributes, path: path)
            let header = try writeObjectHeader(messages, path: path)
            return WrittenGroup(header: header, btree: btree, heap: heapAddress)
        }

        /// A B-tree over `children` (address, largest key below it); builds upper levels until
        /// one node holds them all, and returns the root's address.
        mutating func writeBTree(children: [(address: UInt64, lastKey: UInt64)], level: Int) -> UInt64 {
            var nodes: [(address: UInt64, lastKey: UInt64)] = []
            var start = 0
            repeat {
                let slice = Array(children[start..<min(start + 2 * Layout.internalK, children.count)])
                var node = Array("TREE".utf8) + [0, UInt8(level)] + le16(UInt16(slice.count))
                node += le(Layout.undefined) + le(Layout.undefined)
                // Key 0 is the first child's left bound: the heap offset of "", or the previous
                // node's last key.
                node += le(start == 0 ? 0 : children[start - 1].lastKey)
                for child in slice { node += le(child.address) + le(child.lastKey) }
                node += [UInt8](repeating: 0, count: Layout.btreeNodeSize - node.count)
                nodes.append((append(node), slice.last?.lastKey ?? 0))
                start += 2 * Layout.internalK
            } while start < children.count
            return nodes.count == 1 ? nodes[0].address : writeBTree(children: nodes, level: level + 1)
        }

        func symbolTableEntry(nameOffset: UInt64, header: UInt64, cache: WrittenGroup?) -> [UInt8] {
            var entry = le(nameOffset) + le(header)
            if let cache {
                entry += le32(1) + le32(0) + le(cache.btree) + le(cache.heap)
            } else {
                entry += le32(0) + le32(0) + [UInt8](repeating: 0, count: 16)
            }
            return entry
        }

        func checkName(_ name: String, in path: String) throws {
            guard !name.isEmpty, !name.contains("/"), name != ".", !name.utf8.contains(0) else {
                throw HDF5Error(.corrupt, "'\(name)' is not a valid member name (empty, '.', or holding '/' or NUL)", path: path)
            }
        }

        // MARK: Datasets

        mutating func writeDataset(_ array: HDF5WritableArray, attributes: [String: HDF5WritableArray], path: String) throws -> UInt64 {
            let data = rawData(array)
            let address = data.isEmpty ? Layout.undefined : append(data)
            var messages: [Message] = [
                Message(type: 0x01, body: dataspace(array.shape, withMaxima: true), flags: 1),
                Message(type: 0x03, body: datatype(array), flags: 1),
                // Fill value (version 2): allocated late, written if set, defined as the default (zeros).
                Message(type: 0x05, body: [2, 2, 2, 1] + le32(0), flags: 1),
                // Data layout (version 3): contiguous, address and size.
                Message(type: 0x08, body: [3, 1] + le(address) + le(UInt64(data.count))),
            ]
            messages += try attributeMessages(attributes, path: path)
            return try writeObjectHeader(messages, path: path)
        }

        // MARK: Object headers and messages

        struct Message {
            let type: UInt16
            var body: [UInt8]
            var flags: UInt8 = 0
        }

        mutating func writeObjectHeader(_ messages: [Message], path: String) throws -> UInt64 {
            var block: [UInt8] = []
            for message in messages {
                var body = message.body
                while body.count % 8 != 0 { body.append(0) }
                guard body.count <= Layout.maxMessageBody else {
                    throw HDF5Error.tooLarge("a header message of \(body.count) bytes at \(path) (at most \(Layout.maxMessageBody) in this format)")
                }
                block += le16(message.type) + le16(UInt16(body.count)) + [message.flags, 0, 0, 0] + body
            }
            // Prefix: version 1, reserved, message count, reference count, header size, padding.
            let prefix: [UInt8] = [1, 0] + le16(UInt16(messages.count)) + le32(1) + le32(UInt32(block.count)) + [0, 0, 0, 0]
            return append(prefix + block)
        }

        func attributeMessages(_ attributes: [String: HDF5WritableArray], path: String) throws -> [Message] {
            try attributes.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { name in
                guard !name.isEmpty, !name.utf8.contains(0) else {
                    throw HDF5Error(.corrupt, "an attribute name may not be empty or hold NUL", path: path)
                }
                let array = attributes[name]!
                let nameBytes = Array(name.utf8) + [0]
                let type = datatype(array)
                let space = dataspace(array.shape, withMaxima: false)
                // Version 1: name, datatype and dataspace each padded to 8 bytes, then the data.
                var body: [UInt8] = [1, 0] + le16(UInt16(nameBytes.count)) + le16(UInt16(type.count)) + le16(UInt16(space.count))
                body += padded(nameBytes) + padded(type) + padded(space) + rawData(array)
                guard body.count <= Layout.maxMessageBody else {
                    throw HDF5Error.tooLarge(
                        "attribute '\(name)' of \(body.count) bytes at \(path): the 'earliest' format keeps attributes under 64 KiB (split long lists)")
                }
                return Message(type: 0x0C, body: body)
            }
        }

        /// Dataspace message version 1: rank, flags, reserved; dimensions (and maxima).
        func dataspace(_ shape: [Int], withMaxima: Bool) -> [UInt8] {
            let maxima = withMaxima && !shape.isEmpty
            var body: [UInt8] = [1, UInt8(shape.count), maxima ? 1 : 0, 0, 0, 0, 0, 0]
            for dimension in shape { body += le(UInt64(dimension)) }
            if maxima { for dimension in shape { body += le(UInt64(dimension)) } }
            return body
        }

        /// Datatype message version 1 for the element type (little-endian numbers, IEEE floats,
        /// NUL-padded ASCII/UTF-8 strings).
        func datatype(_ array: HDF5WritableArray) -> [UInt8] {
            let size = le32(UInt32(array.elementSize))
            switch array.elements {
            case .float32:
                // Class 1, bits: mantissa normalised (implied 1), sign at bit 31.
                return [0x11, 0x20, 31, 0] + size + le16(0) + le16(32) + [23, 8, 0, 23] + le32(127)
            case .float64:
                return [0x11, 0x20, 63, 0] + size + le16(0) + le16(64) + [52, 11, 0, 52] + le32(1023)
            case .int8, .int16, .int32, .int64:
                return [0x10, 0x08, 0, 0] + size + le16(0) + le16(UInt16(array.elementSize * 8))
            case .uint8:
                return [0x10, 0x00, 0, 0] + size + le16(0) + le16(8)
            case .strings(let values):
                let utf8 = values.contains { $0.utf8.contains { $0 >= 0x80 } }
                return [0x13, utf8 ? 0x11 : 0x01, 0, 0] + size
            }
        }

        func rawData(_ array: HDF5WritableArray) -> [UInt8] {
            var data: [UInt8] = []
            data.reserveCapacity(array.elements.count * array.elementSize)
            switch array.elements {
            case .float32(let values): data = littleEndianBytes(values) ?? values.flatMap { le32($0.bitPattern) }
            case .float64(let values): data = littleEndianBytes(values) ?? values.flatMap { le($0.bitPattern) }
            case .int8(let values): data = values.map { UInt8(bitPattern: $0) }
            case .int16(let values): for value in values { data += le16(UInt16(bitPattern: value)) }
            case .int32(let values): for value in values { data += le32(UInt32(bitPattern: value)) }
            case .int64(let values): for value in values { data += le(UInt64(bitPattern: value)) }
            case .uint8(let values): data = values
            case .strings(let values):
                let width = array.elementSize
                for value in values {
                    let utf8 = Array(value.utf8)
                    data += utf8 + [UInt8](repeating: 0, count: width - utf8.count)
                }
            }
            return data
        }

        /// The values' memory as bytes on a little-endian machine (every platform Swift runs on
        /// today); nil elsewhere, where the caller swaps element by element.
        func littleEndianBytes<T>(_ values: [T]) -> [UInt8]? {
            #if _endian(little)
            return values.withUnsafeBytes { Array($0) }
            #else
            return nil
            #endif
        }

        func padded(_ bytes: [UInt8]) -> [UInt8] {
            bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        }

        // MARK: Superblock

        mutating func writeSuperblock(root: WrittenGroup) {
            var block = Superblock.signature
            // Versions: superblock 0, free space 0, root symbol table entry 0, reserved, shared header 0;
            // 8-byte offsets and lengths; reserved; group leaf K, internal K; consistency flags.
            block += [0, 0, 0, 0, 0, 8, 8, 0] + le16(UInt16(Layout.leafK)) + le16(UInt16(Layout.internalK)) + le32(0)
            block += le(0) + le(Layout.undefined) + le(UInt64(bytes.count)) + le(Layout.undefined)
            block += symbolTableEntry(nameOffset: 0, header: root.header, cache: root)
            patch(0, block)
        }
    }
}

@inline(__always) private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
@inline(__always) private func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}
@inline(__always) private func le(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

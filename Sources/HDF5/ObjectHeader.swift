/// Header message types (specification section IV.A.2) this reader looks at.
enum MessageType: UInt16 {
    case nil_ = 0x00
    case dataspace = 0x01
    case linkInfo = 0x02
    case datatype = 0x03
    case fillValueOld = 0x04
    case fillValue = 0x05
    case link = 0x06
    case externalFiles = 0x07
    case dataLayout = 0x08
    case groupInfo = 0x0A
    case filterPipeline = 0x0B
    case attribute = 0x0C
    case modificationTimeOld = 0x0E
    case continuation = 0x10
    case symbolTable = 0x11
    case modificationTime = 0x12
    case attributeInfo = 0x15
}

/// One message of an object header: its type, flags and body bytes.
struct HeaderMessage {
    let type: UInt16
    let flags: UInt8
    let body: ArraySlice<UInt8>
    /// Creation order, in version-2 headers that track it (tracked attribute order).
    var creationOrder: UInt16? = nil

    /// Bit 1: the body is a reference to a message stored elsewhere (shared message).
    var isShared: Bool { flags & 0x02 != 0 }
}

/// An object header (section IV.A), version 1 or 2, with all continuation blocks followed:
/// the list of messages that describe a group or dataset.
struct ObjectHeader {
    let address: UInt64
    let version: Int
    let messages: [HeaderMessage]
    /// Modification time in seconds since the epoch, when recorded.
    let modificationTime: UInt32?

    func first(_ type: MessageType) -> HeaderMessage? {
        messages.first { $0.type == type.rawValue }
    }

    func all(_ type: MessageType) -> [HeaderMessage] {
        messages.filter { $0.type == type.rawValue }
    }

    /// A cursor over a message body, refusing shared messages (stored in another object or in
    /// the shared-message heap), which this reader does not follow.
    static func bodyCursor(_ message: HeaderMessage, _ image: FileImage, what: String) throws -> ByteCursor {
        guard !message.isShared else {
            throw HDF5Error.unsupported("\(what) is a shared message (committed datatype or shared-message table), which this reader does not support")
        }
        return image.cursor(over: message.body, what: what)
    }

    static func read(_ image: FileImage, at address: UInt64) throws -> ObjectHeader {
        var cursor = try image.cursor(address, what: "object header")
        let first = try cursor.u8()
        if first == 1 {
            return try readVersion1(image, at: address)
        }
        try cursor.seek(to: 0)
        if try cursor.take(4).elementsEqual("OHDR".utf8) {
            return try readVersion2(image, at: address)
        }
        throw HDF5Error.corrupt("no object header at address \(address) (neither version 1 nor 'OHDR')")
    }

    /// Pending continuation blocks, with a guard against chains that loop.
    private struct ContinuationQueue {
        var pending: [(address: UInt64, length: Int)] = []
        var seen: Set<UInt64> = []

        mutating func add(_ message: HeaderMessage, _ image: FileImage, headerAddress: UInt64) throws {
            var body = image.cursor(over: message.body, what: "continuation message")
            guard let address = try body.address() else { throw HDF5Error.corrupt("continuation message with no address") }
            let length = try body.length()
            guard address != headerAddress, seen.insert(address).inserted else {
                throw HDF5Error.corrupt("object header continuation chain loops back to address \(address)")
            }
            guard seen.count <= 100_000 else { throw HDF5Error.tooLarge("object header has too many continuation blocks") }
            pending.append((address, length))
        }
    }

    private static func readVersion1(_ image: FileImage, at address: UInt64) throws -> ObjectHeader {
        var prefix = try image.cursor(address, length: 16, what: "object header")
        try prefix.skip(2)
        let messageCount = Int(try prefix.u16())
        try prefix.skip(4)  // reference count
        let chunkSize = try prefix.count(4, "object header size")
        var queue = ContinuationQueue()
        var messages: [HeaderMessage] = []
        var chunks: [(UInt64, Int)] = [(address + 16, chunkSize)]
        while let (chunkAddress, length) = chunks.popLast() {
            var chunk = try image.cursor(chunkAddress, length: length, what: "object header")
            while chunk.remaining >= 8 {
                let type = try chunk.u16()
                let size = Int(try chunk.u16())
                let flags = try chunk.u8()
                try chunk.skip(3)
                let body = try chunk.take(size)
                try chunk.align(to: 8)
                let message = HeaderMessage(type: type, flags: flags, body: body)
                if type == MessageType.continuation.rawValue {
                    try queue.add(message, image, headerAddress: address)
                } else if type != MessageType.nil_.rawValue {
                    messages.append(message)
                }
                guard messages.count <= max(messageCount, 1) * 4 + 64 else {
                    throw HDF5Error.corrupt("object header has more messages than it declares (\(messageCount))")
                }
            }
            chunks.append(contentsOf: queue.pending.reversed())
            queue.pending.removeAll()
        }
        return ObjectHeader(address: address, version: 1, messages: messages,
                            modificationTime: try modificationTime(messages, image))
    }

    private static func readVersion2(_ image: FileImage, at address: UInt64) throws -> ObjectHeader {
        var cursor = try image.cursor(address, what: "object header")
        try cursor.skip(4)
        let version = try cursor.u8()
        guard version == 2 else { throw HDF5Error.unsupported("object header version \(version)") }
        let flags = try cursor.u8()
        var time: UInt32? = nil
        if flags & 0x20 != 0 {
            try cursor.skip(4)
            time = try cursor.u32()
            try cursor.skip(8)
        }
        if flags & 0x10 != 0 { try cursor.skip(4) }
        let chunkSize = try cursor.count(1 << Int(flags & 0x03), "object header chunk size")
        let prefixLength = cursor.consumed
        let start = try image.absolute(address, length: 0, what: "object header")
        try Lookup3.verify(image.bytes[...], start: start, checkedLength: prefixLength + chunkSize, what: "object header")
        let hasCreationOrder = flags & 0x04 != 0
        var queue = ContinuationQueue()
        var messages: [HeaderMessage] = []
        var chunks: [ArraySlice<UInt8>] = [try cursor.take(chunkSize)]
        while let chunkBytes = chunks.popLast() {
            var chunk = image.cursor(over: chunkBytes, what: "object header")
            let headerSize = hasCreationOrder ? 6 : 4
            while chunk.remaining >= headerSize {
                let type = UInt16(try chunk.u8())
                let size = Int(try chunk.u16())
                let messageFlags = try chunk.u8()
                let order: UInt16? = hasCreationOrder ? try chunk.u16() : nil
                let message = HeaderMessage(type: type, flags: messageFlags, body: try chunk.take(size), creationOrder: order)
                if type == MessageType.continuation.rawValue {
                    try queue.add(message, image, headerAddress: address)
                } else if type != MessageType.nil_.rawValue {
                    messages.append(message)
                }
                guard messages.count <= image.limits.maxEntries else { throw HDF5Error.tooLarge("object header has too many messages") }
            }
            for (blockAddress, length) in queue.pending.reversed() {
                guard length >= 8 else { throw HDF5Error.corrupt("object header continuation block of \(length) bytes") }
                let block = try image.region(blockAddress, length: length, what: "object header continuation block")
                guard block.prefix(4).elementsEqual("OCHK".utf8) else {
                    throw HDF5Error.corrupt("object header continuation block at \(blockAddress) lacks 'OCHK'")
                }
                try Lookup3.verify(block, start: block.startIndex, checkedLength: length - 4, what: "object header continuation block")
                chunks.append(block[(block.startIndex + 4)..<(block.endIndex - 4)])
            }
            queue.pending.removeAll()
        }
        let stamped = try time ?? modificationTime(messages, image)
        return ObjectHeader(address: address, version: 2, messages: messages, modificationTime: stamped)
    }

    private static func modificationTime(_ messages: [HeaderMessage], _ image: FileImage) throws -> UInt32? {
        guard let message = messages.first(where: { $0.type == MessageType.modificationTime.rawValue }) else { return nil }
        var body = image.cursor(over: message.body, what: "modification time message")
        try body.skip(4)  // version, reserved
        return try body.u32()
    }
}

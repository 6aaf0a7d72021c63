/// The blocks of a GIF file up to its first image (GIF87a and GIF89a): the header, the logical
/// screen with its global colour table, any extensions before the image (only the graphic
/// control extension's transparent index matters to the first frame), and that image's
/// descriptor, local colour table and LZW data with its sub-blocks joined.
struct GIFStructure {
    let screenWidth: Int
    let screenHeight: Int
    /// RGB triples; empty when the file has none.
    let globalColors: [UInt8]
    let frame: GIFFrame

    init(_ bytes: [UInt8]) throws {
        var reader = GIFReader(bytes: bytes)
        let signature = try reader.bytes(6, "the header")
        guard signature.elementsEqual(Array("GIF87a".utf8)) || signature.elementsEqual(Array("GIF89a".utf8)) else {
            throw GIFReader.invalid("the header is not GIF87a or GIF89a")
        }
        screenWidth = Int(try reader.uint16("the logical screen size"))
        screenHeight = Int(try reader.uint16("the logical screen size"))
        let flags = try reader.byte("the logical screen descriptor")
        _ = try reader.bytes(2, "the logical screen descriptor")  // background index, aspect ratio
        globalColors = flags & 0x80 != 0 ? Array(try reader.bytes(3 << (Int(flags & 7) + 1), "the global colour table")) : []

        var transparentIndex: Int?
        while true {
            switch try reader.byte("a block introducer (the file holds no image)") {
            case 0x21:
                let label = try reader.byte("an extension label")
                let data = try reader.subBlocks("an extension")
                // Graphic control: flags, delay (2), transparent index; bit 0 of flags says it is used.
                if label == 0xF9, data.count >= 4 {
                    transparentIndex = data[0] & 1 != 0 ? Int(data[3]) : nil
                }
            case 0x2C:
                frame = try GIFFrame(&reader, transparentIndex: transparentIndex)
                return
            case 0x3B:
                throw GIFReader.invalid("the file ends (trailer) before any image")
            case let other:
                throw GIFReader.invalid("unknown block type 0x\(String(other, radix: 16)) before the first image")
            }
        }
    }
}

/// The first image: where it sits on the screen, its colours and its compressed indexes.
struct GIFFrame {
    let left: Int, top: Int, width: Int, height: Int
    let interlaced: Bool
    /// RGB triples of the local colour table; empty when the global one applies.
    let localColors: [UInt8]
    let transparentIndex: Int?
    /// LZW minimum code size (2...8, as the specification allows; Pillow reads 1 too).
    let minimumCodeSize: Int
    let compressed: [UInt8]

    init(_ reader: inout GIFReader, transparentIndex: Int?) throws {
        left = Int(try reader.uint16("the image descriptor"))
        top = Int(try reader.uint16("the image descriptor"))
        width = Int(try reader.uint16("the image descriptor"))
        height = Int(try reader.uint16("the image descriptor"))
        let flags = try reader.byte("the image descriptor")
        interlaced = flags & 0x40 != 0
        localColors = flags & 0x80 != 0 ? Array(try reader.bytes(3 << (Int(flags & 7) + 1), "the local colour table")) : []
        self.transparentIndex = transparentIndex
        minimumCodeSize = Int(try reader.byte("the LZW minimum code size"))
        guard (1...11).contains(minimumCodeSize) else {
            throw GIFReader.invalid("LZW minimum code size \(minimumCodeSize) is outside 1...11")
        }
        compressed = try reader.subBlocks("the image data")
    }
}

/// Bounds-checked reading of a GIF's bytes; running out is `.truncated`.
struct GIFReader {
    let bytes: [UInt8]
    var position = 0

    static func invalid(_ message: String) -> ImageDecodingError { ImageDecodingError(.gif, .invalid, message) }

    private func truncated(_ what: String) -> ImageDecodingError {
        ImageDecodingError(.gif, .truncated, "the file ends inside \(what) (after \(bytes.count) bytes)")
    }

    mutating func byte(_ what: String) throws -> UInt8 {
        guard position < bytes.count else { throw truncated(what) }
        position += 1
        return bytes[position - 1]
    }

    mutating func uint16(_ what: String) throws -> UInt16 {
        guard let value = bytes.uint16LE(at: position) else { throw truncated(what) }
        position += 2
        return value
    }

    mutating func bytes(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count - position else { throw truncated(what) }
        position += count
        return bytes[(position - count)..<position]
    }

    /// Data sub-blocks (a length byte, then that many bytes) up to the empty one, joined.
    mutating func subBlocks(_ what: String) throws -> [UInt8] {
        var data: [UInt8] = []
        while true {
            let length = Int(try byte(what))
            if length == 0 { return data }
            data.append(contentsOf: try bytes(length, what))
        }
    }
}

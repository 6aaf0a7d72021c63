extension ImageFormat {
    /// The format announced by the first bytes of `bytes`, or nil. File names and content types
    /// are never consulted: users mislabel files, the bytes do not lie about their layout.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        func starts(with prefix: [UInt8]) -> Bool {
            bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
        }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) { return .gif }
        if starts(with: Array("BM".utf8)) { return .bmp }
        // TIFF and BigTIFF (refused by the decoder by name), in either byte order.
        if starts(with: [0x49, 0x49, 0x2A, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || starts(with: [0x49, 0x49, 0x2B, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2B]) { return .tiff }
        // Binary netpbm: P4 (bitmap), P5 (graymap), P6 (pixmap), P7 (PAM), then whitespace.
        if bytes.count >= 3, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "4")...UInt8(ascii: "7")).contains(bytes[1]),
           [0x20, 0x09, 0x0A, 0x0D].contains(bytes[2]) {
            return .pnm
        }
        return nil
    }
}

/// Small text operations on header values, done on their UTF-8 bytes: Foundation's
/// `trimmingCharacters(in:)` and `lowercased()` bridge through NSString and cost thousands of
/// instructions per call, several times per request.
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    public var trimmingHTTPWhitespace: Substring {
        let text = Substring(self)
        let bytes = text.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] == .space || bytes[start] == .tab { start = bytes.index(after: start) }
        while end > start {
            let before = bytes.index(before: end)
            guard bytes[before] == .space || bytes[before] == .tab else { break }
            end = before
        }
        return text[start..<end]
    }

    /// ASCII letters lower-cased, every other character kept (header names, tokens, media types).
    public var asciiLowercased: String {
        guard utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return String(self) }
        return String(unsafeUninitializedCapacity: utf8.count) { buffer in
            var count = 0
            for byte in utf8 {
                buffer[count] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                count += 1
            }
            return count
        }
    }

    /// What comes before the first `;`, without HTTP whitespace, ASCII letters lower-cased: the
    /// `type/subtype` of a media type without its parameters (`Multipart/Form-Data; boundary=x`
    /// -> `multipart/form-data`). Scanned as bytes: splitting a String walks its characters.
    public var valueBeforeParameters: String {
        let bytes = utf8
        let end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
        return Substring(self)[..<end].trimmingHTTPWhitespace.asciiLowercased
    }
}

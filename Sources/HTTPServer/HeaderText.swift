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
}

extension String {
    /// What comes before the first `;`, without HTTP whitespace, ASCII letters lower-cased: the
    /// `type/subtype` of a media type without its parameters (`Multipart/Form-Data; boundary=x`
    /// -> `multipart/form-data`). One pass over the bytes: splitting a String walks its
    /// characters, and generic string code is not specialized across modules.
    public var valueBeforeParameters: String {
        var text = self
        return text.withUTF8 { bytes in
            var end = 0
            while end < bytes.count && bytes[end] != UInt8(ascii: ";") { end += 1 }
            var start = 0
            while start < end && (bytes[start] == .space || bytes[start] == .tab) { start += 1 }
            while end > start && (bytes[end - 1] == .space || bytes[end - 1] == .tab) { end -= 1 }
            return String(unsafeUninitializedCapacity: end - start) { output in
                for index in start..<end {
                    let byte = bytes[index]
                    output[index - start] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                }
                return end - start
            }
        }
    }
}

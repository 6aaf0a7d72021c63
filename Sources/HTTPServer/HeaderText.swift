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
        return String(decoding: utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

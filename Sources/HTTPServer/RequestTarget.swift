/// Splits a request target into its percent-decoded path and query parameters.
enum RequestTarget {
    /// `/a%20b?x=1&y=two+words` -> (`/a b`, [(x, 1), (y, two words)]). An absolute-form target
    /// (`http://host/path?q`) is reduced to its path; `*` stays `*`.
    static func split(_ target: String) -> (path: String, query: [(name: String, value: String)]) {
        var rest = Substring(target)
        // An origin-form target (the usual `/path`) is not searched for a scheme: Foundation's
        // `range(of:)` costs thousands of instructions per request.
        if rest.utf8.first != UInt8(ascii: "/"), let schemeEnd = rest.range(of: "://") {
            let afterAuthority = rest[schemeEnd.upperBound...]
            rest = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? "/"
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        // `#` and `?` are ASCII: found among the bytes, not by walking characters.
        if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        guard let questionMark = rest.utf8.firstIndex(of: UInt8(ascii: "?")) else {
            return (percentDecode(rest.utf8, plusAsSpace: false), [])
        }
        let path = percentDecode(rest[..<questionMark].utf8, plusAsSpace: false)
        return (path, parseQuery(rest[rest.utf8.index(after: questionMark)...]))
    }

    /// `a=1&b&c=` -> [(a, 1), (b, ""), (c, "")], decoded as a form: `+` is a space.
    static func parseQuery(_ query: Substring) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (percentDecode(pair[..<equals].utf8, plusAsSpace: true),
                        percentDecode(pair[pair.index(after: equals)...].utf8, plusAsSpace: true))
            }
            return (percentDecode(pair.utf8, plusAsSpace: true), "")
        }
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as it is.
    /// Bytes that are not UTF-8 become U+FFFD.
    static func percentDecode<C: Collection>(_ text: C, plusAsSpace: Bool) -> String where C.Element == UInt8 {
        guard text.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(decoding: text, as: UTF8.self)
        }
        let bytes = Array(text)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = bytes[index + 1].hexValue, let low = bytes[index + 2].hexValue {
                decoded.append(UInt8(high * 16 + low))
                index += 3
            } else {
                decoded.append(plusAsSpace && byte == UInt8(ascii: "+") ? .space : byte)
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}

import Foundation

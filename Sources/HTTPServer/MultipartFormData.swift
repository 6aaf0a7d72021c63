/// One part of a `multipart/form-data` body (RFC 7578).
public struct MultipartPart: Sendable {
    /// The form field name from `Content-Disposition: form-data; name="..."`.
    public var name: String?
    /// The uploaded file's name, when the part is a file.
    public var filename: String?
    public var contentType: String?
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(name: String? = nil, filename: String? = nil, contentType: String? = nil,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// Why a multipart body was refused; the message says what a client should fix.
public enum MultipartError: Error, CustomStringConvertible, Equatable, Sendable {
    case notMultipart(contentType: String)
    case missingBoundary
    case invalidBoundary(String)
    case missingFirstBoundary
    case malformedPartHeaders(part: Int)
    case unterminatedPart(part: Int)

    public var description: String {
        switch self {
        case .notMultipart(let contentType):
            return "expected a multipart/form-data body, got Content-Type '\(contentType)'"
        case .missingBoundary:
            return "the multipart Content-Type has no boundary parameter"
        case .invalidBoundary(let boundary):
            return "the multipart boundary '\(boundary)' is invalid (1-70 characters, no trailing space)"
        case .missingFirstBoundary:
            return "the multipart body does not contain its boundary"
        case .malformedPartHeaders(let part):
            return "the headers of multipart part \(part + 1) are malformed"
        case .unterminatedPart(let part):
            return "multipart part \(part + 1) is not closed by a boundary (truncated upload?)"
        }
    }
}

/// Parses `multipart/form-data` bodies: parts are split on `CRLF--boundary`, found with a
/// linear-time search so a hostile boundary cannot make parsing quadratic.
public enum MultipartFormData {
    /// Largest header block accepted per part.
    static let maxPartHeaderBytes = 16 * 1024

    public static func parse(body: [UInt8], contentType: String) throws -> [MultipartPart] {
        let boundary = try boundary(from: contentType)
        // CRLF "--" boundary; without its CRLF it may open the body.
        var delimiter: [UInt8] = [.cr, .lf, UInt8(ascii: "-"), UInt8(ascii: "-")]
        delimiter.append(contentsOf: boundary.utf8)
        let delimiterSearch = SubsequenceSearch(delimiter)

        // The first boundary may open the body or follow a preamble (and its CRLF).
        var position: Int
        if body.count >= delimiter.count - 2, body[0..<(delimiter.count - 2)].elementsEqual(delimiter[2...]) {
            position = delimiter.count - 2
        } else if let found = delimiterSearch.firstIndex(in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw MultipartError.missingFirstBoundary
        }

        var parts: [MultipartPart] = []
        while true {
            // After a boundary: `--` ends the body; otherwise optional padding, then CRLF.
            if position + 1 < body.count, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") {
                return parts
            }
            while position < body.count, body[position] == .space || body[position] == .tab { position += 1 }
            guard position + 1 < body.count, body[position] == .cr, body[position + 1] == .lf else {
                throw MultipartError.unterminatedPart(part: parts.count)
            }
            position += 2
            let (headers, bodyStart) = try parsePartHeaders(body, from: position, part: parts.count)
            guard let end = delimiterSearch.firstIndex(in: body, from: bodyStart) else {
                throw MultipartError.unterminatedPart(part: parts.count)
            }
            let disposition = headers["Content-Disposition"]
            parts.append(MultipartPart(name: disposition.flatMap { parameter("name", of: $0) },
                                       filename: disposition.flatMap { parameter("filename", of: $0) },
                                       contentType: headers["Content-Type"], headers: headers,
                                       body: Array(body[bodyStart..<end])))
            position = end + delimiter.count
        }
    }

    /// The `boundary` parameter of a `multipart/...` media type, unquoted.
    static func boundary(from contentType: String) throws -> String {
        guard isMultipart(contentType) else { throw MultipartError.notMultipart(contentType: contentType) }
        guard let boundary = parameter("boundary", of: contentType) else { throw MultipartError.missingBoundary }
        // Printable ASCII only, so the last byte is the last character (no grapheme breaking).
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.last != .space,
              boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw MultipartError.invalidBoundary(boundary)
        }
        return boundary
    }

    /// Whether the media type (before any `;`, without HTTP whitespace, case folded) starts
    /// with `multipart/`, as `String.hasPrefix` decides; looked at in place unless a non-ASCII
    /// byte follows the prefix (a combining mark would join its `/` into another character).
    private static func isMultipart(_ contentType: String) -> Bool {
        var text = contentType
        let bytePrefix = text.withUTF8 { bytes -> Bool? in
            var start = 0
            while start < bytes.count, bytes[start] == .space || bytes[start] == .tab { start += 1 }
            let prefix = "multipart/".utf8
            guard bytes.count - start >= prefix.count else { return false }
            for (offset, expected) in prefix.enumerated() {
                let byte = bytes[start + offset]
                guard byte == expected || (byte | 0x20 == expected && expected &- UInt8(ascii: "a") < 26) else { return false }
            }
            return start + prefix.count < bytes.count && bytes[start + prefix.count] >= 0x80 ? nil : true
        }
        return bytePrefix ?? contentType.valueBeforeParameters.hasPrefix("multipart/")
    }

    /// Header lines up to the blank line; returns them and where the part's body starts.
    private static func parsePartHeaders(_ body: [UInt8], from start: Int, part: Int) throws -> (HTTPHeaders, Int) {
        var headers = HTTPHeaders()
        var lineStart = start
        while true {
            guard lineStart - start <= maxPartHeaderBytes else { throw MultipartError.malformedPartHeaders(part: part) }
            let found = body.withUnsafeBufferPointer { bytes -> Int? in
                guard lineStart < bytes.count, let base = bytes.baseAddress,
                      let lf = memchr(base + lineStart, Int32(UInt8.lf), bytes.count - lineStart) else { return nil }
                return base.distance(to: lf.assumingMemoryBound(to: UInt8.self))
            }
            guard let lineEnd = found else { throw MultipartError.unterminatedPart(part: part) }
            var contentEnd = lineEnd
            if contentEnd > lineStart && body[contentEnd - 1] == .cr { contentEnd -= 1 }
            if contentEnd == lineStart { return (headers, lineEnd + 1) }
            guard let field = try? HTTPRequestParser.parseField(body[lineStart..<contentEnd]) else {
                throw MultipartError.malformedPartHeaders(part: part)
            }
            headers.add(field.name, field.value)
            lineStart = lineEnd + 1
        }
    }

    /// `form-data; name="file"; filename="a b.png"` -> ["name": "file", "filename": "a b.png"]
    /// (names lowercased; quoted strings unescaped; `filename*=UTF-8''...` percent-decoded and preferred).
    static func parseParameters(_ value: String) -> [String: String] {
        var parameters: [String: String] = [:]
        var extended: [(name: String, value: String)] = []
        forEachParameter(of: value) { name, isExtended, parameterValue in
            let name = String(decoding: name, as: UTF8.self).asciiLowercased
            if isExtended {
                if let decoded = extendedValue(parameterValue()) { extended.append((name, decoded)) }
            } else if parameters[name] == nil {
                parameters[name] = parameterValue()
            }
        }
        for (name, value) in extended { parameters[name] = value }  // preferred, the last one winning
        return parameters
    }

    /// `parseParameters(value)[name]` for one lowercase `name`, without building the dictionary
    /// or any string but the answer: requests look up two parameters this way each.
    static func parameter(_ name: String, of value: String) -> String? {
        var wanted = name
        return wanted.withUTF8 { wanted in
            var plain: String?, extended: String?
            forEachParameter(of: value) { parameterName, isExtended, parameterValue in
                guard parameterName.count == wanted.count,
                      zip(parameterName, wanted).allSatisfy({ $0 == $1 || ($0 | 0x20 == $1 && $1 &- UInt8(ascii: "a") < 26) })
                else { return }
                if isExtended {
                    if let decoded = extendedValue(parameterValue()) { extended = decoded }
                } else if plain == nil {
                    plain = parameterValue()
                }
            }
            return extended ?? plain
        }
    }

    /// An RFC 8187 extended value (`charset'language'percent-encoded`), decoded; nil when it
    /// has not the three parts.
    private static func extendedValue(_ value: String) -> String? {
        let parts = value.utf8.split(separator: UInt8(ascii: "'"), maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? RequestTarget.percentDecode(parts[2], plusAsSpace: false) : nil
    }

    /// Calls `body` for each parameter after the first `;` of `value`, in order, with its name
    /// (as sent: callers fold its case; without HTTP whitespace and without the `*` of an
    /// extended parameter), whether it was extended, and a function that makes its value (unquoted and
    /// unescaped, or trimmed): callers make only the values they want.
    /// Scanned as UTF-8 bytes: every delimiter is ASCII, so multi-byte characters pass through whole.
    private static func forEachParameter(of value: String,
                                         _ body: (_ name: UnsafeBufferPointer<UInt8>, _ isExtended: Bool, _ value: () -> String) -> Void) {
        var text = value
        text.withUTF8 { bytes in
            let semicolon = UInt8(ascii: ";"), equals = UInt8(ascii: "="), quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
            func isBlank(_ byte: UInt8) -> Bool { byte == .space || byte == .tab }
            /// The bytes start..<end without HTTP whitespace, as a String.
            func string(_ start: Int, _ end: Int) -> String {
                var start = start, end = end
                while start < end, isBlank(bytes[start]) { start += 1 }
                while end > start, isBlank(bytes[end - 1]) { end -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            var index = 0
            while index < bytes.count, bytes[index] != semicolon { index += 1 }
            while index < bytes.count {
                index += 1  // past ';'
                var nameStart = index
                while index < bytes.count, bytes[index] != equals, bytes[index] != semicolon { index += 1 }
                var nameEnd = index
                while nameStart < nameEnd, isBlank(bytes[nameStart]) { nameStart += 1 }
                while nameEnd > nameStart, isBlank(bytes[nameEnd - 1]) { nameEnd -= 1 }
                // The value's extent: `valueStart..<valueEnd`, quoted or not.
                var valueStart = index, valueEnd = index, quoted = false
                if index < bytes.count, bytes[index] == equals {
                    index += 1
                    while index < bytes.count, bytes[index] == .space { index += 1 }
                    if index < bytes.count, bytes[index] == quote {
                        quoted = true
                        index += 1
                        valueStart = index
                        while index < bytes.count, bytes[index] != quote {
                            if bytes[index] == backslash, index + 1 < bytes.count { index += 1 }
                            index += 1
                        }
                        valueEnd = index
                        while index < bytes.count, bytes[index] != semicolon { index += 1 }
                    } else {
                        valueStart = index
                        while index < bytes.count, bytes[index] != semicolon { index += 1 }
                        valueEnd = index
                    }
                }
                guard nameEnd > nameStart else { continue }
                let isExtended = bytes[nameEnd - 1] == UInt8(ascii: "*")
                if isExtended { nameEnd -= 1 }
                let (start, end) = (valueStart, valueEnd)
                body(UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), isExtended) {
                    guard quoted else { return string(start, end) }
                    if !bytes[start..<end].contains(backslash) {
                        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                    }
                    var unquoted: [UInt8] = []
                    var position = start
                    while position < end {
                        if bytes[position] == backslash, position + 1 < end { position += 1 }
                        unquoted.append(bytes[position])
                        position += 1
                    }
                    return String(decoding: unquoted, as: UTF8.self)
                }
            }
        }
    }
}

/// Knuth-Morris-Pratt search for a fixed byte pattern: linear in the text whatever the pattern.
struct SubsequenceSearch {
    let pattern: [UInt8]
    private let failure: [Int]

    init(_ pattern: [UInt8]) {
        self.pattern = pattern
        var failure = [Int](repeating: 0, count: pattern.count)
        var matched = 0
        var index = 1
        while index < pattern.count {
            while matched > 0 && pattern[index] != pattern[matched] { matched = failure[matched - 1] }
            if pattern[index] == pattern[matched] { matched += 1 }
            failure[index] = matched
            index += 1
        }
        self.failure = failure
    }

    /// The index where `pattern` first occurs in `text` at or after `start`. While nothing is
    /// matched, `memchr` skips to the next byte that could begin a match (a boundary's CR is rare
    /// in an upload), so most of a body is scanned by libc, still in linear time.
    func firstIndex(in text: [UInt8], from start: Int) -> Int? {
        guard !pattern.isEmpty else { return start <= text.count ? start : nil }
        let first = Int32(pattern[0])
        return text.withUnsafeBufferPointer { text -> Int? in
            guard let base = text.baseAddress else { return nil }
            var matched = 0
            var index = max(0, start)
            while index < text.count {
                if matched == 0 {
                    guard let next = memchr(base + index, first, text.count - index) else { return nil }
                    index = UnsafeRawPointer(next).assumingMemoryBound(to: UInt8.self) - base
                }
                let byte = text[index]
                while matched > 0 && byte != pattern[matched] { matched = failure[matched - 1] }
                if byte == pattern[matched] { matched += 1 }
                if matched == pattern.count { return index - pattern.count + 1 }
                index += 1
            }
            return nil
        }
    }
}

import Foundation

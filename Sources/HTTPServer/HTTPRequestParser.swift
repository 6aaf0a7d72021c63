/// Size limits the parser enforces while bytes arrive, so nothing unbounded is ever buffered.
public struct HTTPParserLimits: Sendable {
    public var maxRequestLineBytes: Int
    public var maxHeaderBytes: Int
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 64 * 1024,
                maxBodyBytes: Int = 16 * 1024 * 1024) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// A request the parser refused: the status to answer with and a message the client can act on.
/// After an error the connection must be closed: the byte stream can no longer be framed.
public struct HTTPParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let status: HTTPStatus
    public let message: String

    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(status.reason): \(message)" }
}

/// How the body of a request is delimited (RFC 9112 §6).
public enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

/// The request line and header section of one request.
public struct HTTPRequestHead: Sendable {
    public var method: String
    public var target: String
    /// The minor version of HTTP/1.x.
    public var minorVersion: Int
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// Whether the connection may carry another request after this one's response.
    public var keepAlive: Bool
    /// `Expect: 100-continue`: the client waits for `100 Continue` before sending the body.
    public var expectsContinue: Bool
}

/// What `HTTPRequestParser.next()` found in the bytes so far.
public enum HTTPParserEvent: Sendable {
    /// The buffered bytes end inside a request.
    case needMoreData
    /// A head whose body has not been read yet (only for requests that have a body).
    case head(HTTPRequestHead)
    /// A whole request; its body is de-chunked.
    case request(HTTPRequestHead, body: [UInt8])
}

/// An incremental HTTP/1.1 request parser: feed it bytes as they arrive with `append`, then call
/// `next()` until it says `.needMoreData`. Limits are checked while scanning, before anything
/// is copied, and every error is a `HTTPParseError` carrying the status to answer with.
public struct HTTPRequestParser {
    private enum State {
        /// Looking for the end of the head. Offsets are relative to `readIndex`.
        case head(scanned: Int, lineStart: Int, requestLineLength: Int?)
        case fixedBody(HTTPRequestHead, length: Int)
        case chunkSize(HTTPRequestHead)
        case chunkData(HTTPRequestHead, remaining: Int)
        case chunkDataEnd(HTTPRequestHead)
        case trailers(HTTPRequestHead, scanned: Int, lineStart: Int)
    }

    /// Longest accepted chunk-size line (size, extensions and CRLF).
    static let maxChunkSizeLineBytes = 4096

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state: State = .head(scanned: 0, lineStart: 0, requestLineLength: nil)
    /// The body of the request being received, kept apart from `buffer` so that it is handed
    /// over without a copy and its storage is allocated once, at its declared size.
    private var body: [UInt8] = []

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a returned event, besides the body being received.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Body bytes of the request being received so far (de-chunked).
    public var receivedBodyByteCount: Int { body.count }

    /// The storage the body being received will need once `readAhead` more bytes are taken in:
    /// its declared length, or for a chunked body what arrived plus `readAhead` rounded up to a
    /// power of two (as the array grows), at most the limit; 0 while no body is being received.
    public func bodyBytesNeeded(readAhead: Int) -> Int {
        switch state {
        case .head:
            return 0
        case let .fixedBody(_, length):
            return length
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            let wanted = body.count + readAhead
            var rounded = 1
            while rounded < wanted { rounded <<= 1 }
            return min(rounded, max(limits.maxBodyBytes, body.count))
        }
    }

    /// True while part of a request has arrived (used to start the request timeout).
    public var hasPartialRequest: Bool {
        if case .head = state { return bufferedByteCount > 0 }
        return true
    }

    /// True until the head of the request being received is complete (the header deadline).
    public var isReceivingHead: Bool {
        if case .head = state { return true }
        return false
    }

    /// Where the request being received stops, for an answer when the client ends its side
    /// early ("the request ended inside a chunk size line"); nil when no request is partial.
    public var truncationMessage: String? {
        guard hasPartialRequest else { return nil }
        let place: String
        switch state {
        case .head: place = "inside the request head"
        case let .fixedBody(_, length): place = "after \(body.count) of \(length) body bytes"
        case .chunkSize: place = "inside a chunk size line"
        case .chunkData, .chunkDataEnd: place = "inside a chunk's data"
        case .trailers: place = "inside the trailer fields"
        }
        return "the client closed its side of the connection \(place); the request is incomplete"
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let forBody = bodyShare(of: bytes.count)
        if forBody > 0 { body.append(contentsOf: bytes[0..<forBody]) }
        compact()
        buffer.append(contentsOf: bytes[forBody...])
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let forBody = bodyShare(of: bytes.count)
        if forBody > 0 { body.append(contentsOf: bytes.prefix(forBody)) }
        compact()
        buffer.append(contentsOf: bytes.dropFirst(forBody))
    }

    /// While a Content-Length body is arriving (nothing else is buffered then) its bytes go
    /// straight into `body`: how many of `count` new bytes belong to it. The body's storage is
    /// reserved at its full declared size once it outgrows what arrived with the head, so it is
    /// allocated once and resident only as far as bytes are written.
    private mutating func bodyShare(of count: Int) -> Int {
        guard case let .fixedBody(_, length) = state, readIndex == buffer.count else { return 0 }
        let share = min(count, length - body.count)
        if share > 0 && body.count + share > body.capacity { body.reserveCapacity(length) }
        return max(0, share)
    }

    /// Drops consumed bytes once they are worth moving.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    /// Advances as far as the buffered bytes allow.
    public mutating func next() throws -> HTTPParserEvent {
        while true {
            switch state {
            case let .head(scanned, lineStart, requestLineLength):
                guard let head = try scanHead(scanned: scanned, lineStart: lineStart,
                                              requestLineLength: requestLineLength) else { return .needMoreData }
                switch head.framing {
                case .none:
                    return .request(head, body: [])
                case .contentLength(let length):
                    let arrived = min(bufferedByteCount, length)
                    body = Array(buffer[readIndex..<(readIndex + arrived)])
                    readIndex += arrived
                    state = .fixedBody(head, length: length)
                    if arrived < length { return .head(head) }
                case .chunked:
                    body = []
                    state = .chunkSize(head)
                    return .head(head)
                }
            case let .fixedBody(head, length):
                guard body.count == length else { return .needMoreData }
                return finishRequest(head)
            case let .chunkSize(head):
                guard let size = try scanChunkSize() else { return .needMoreData }
                if size == 0 {
                    state = .trailers(head, scanned: 0, lineStart: 0)
                } else {
                    guard size <= limits.maxBodyBytes - body.count else {
                        throw HTTPParseError(.payloadTooLarge, "the chunked body exceeds the limit of \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(head, remaining: size)
                }
            case let .chunkData(head, remaining):
                let available = min(bufferedByteCount, remaining)
                guard available > 0 else { return .needMoreData }
                body.append(contentsOf: buffer[readIndex..<(readIndex + available)])
                readIndex += available
                state = remaining == available ? .chunkDataEnd(head) : .chunkData(head, remaining: remaining - available)
            case let .chunkDataEnd(head):
                guard bufferedByteCount >= 1 else { return .needMoreData }
                if buffer[readIndex] == .lf {
                    readIndex += 1
                } else if buffer[readIndex] == .cr {
                    guard bufferedByteCount >= 2 else { return .needMoreData }
                    guard buffer[readIndex + 1] == .lf else { throw HTTPParseError(.badRequest, "chunk data is not followed by CRLF") }
                    readIndex += 2
                } else {
                    throw HTTPParseError(.badRequest, "chunk data is longer than its chunk size")
                }
                state = .chunkSize(head)
            case let .trailers(head, scanned, lineStart):
                guard try scanTrailers(head: head, scanned: scanned, lineStart: lineStart) else {
                    return .needMoreData
                }
                return finishRequest(head)
            }
        }
    }

    /// Hands the body over (moved, not copied) and gets ready for the next request.
    private mutating func finishRequest(_ head: HTTPRequestHead) -> HTTPParserEvent {
        let complete = body
        body = []
        resetForNextRequest()
        return .request(head, body: complete)
    }

    private mutating func resetForNextRequest() {
        state = .head(scanned: 0, lineStart: 0, requestLineLength: nil)
    }

    // MARK: - Head

    /// Scans for the blank line ending the head, enforcing the line and header limits as it goes;
    /// parses the head once it is complete. Returns nil when more bytes are needed.
    private mutating func scanHead(scanned: Int, lineStart: Int, requestLineLength: Int?) throws -> HTTPRequestHead? {
        var scanned = scanned
        var lineStart = lineStart
        var requestLineLength = requestLineLength
        var available = bufferedByteCount
        while scanned < available {
            guard let lf = indexOfLineFeed(from: readIndex + scanned) else {
                scanned = available
                break
            }
            let offset = lf - readIndex
            let lineLength = offset - lineStart  // without the LF, with any CR
            if requestLineLength == nil {
                if lineLength == 0 || (lineLength == 1 && buffer[readIndex + lineStart] == .cr) {
                    // RFC 9112 §2.2: ignore empty lines before the request line. Offsets are
                    // relative to `readIndex`, so what is left to scan shrinks with it.
                    readIndex = lf + 1
                    available = bufferedByteCount
                    scanned = 0
                    lineStart = 0
                    continue
                }
                // The limit counts the request line itself, not its CR LF.
                let hasCR = buffer[readIndex + offset - 1] == .cr
                guard lineLength - (hasCR ? 1 : 0) <= limits.maxRequestLineBytes else { throw requestLineTooLong() }
                requestLineLength = lineLength
            } else if lineLength == 0 || (lineLength == 1 && buffer[readIndex + lineStart] == .cr) {
                let head = try parseHead(length: offset + 1, requestLineLength: requestLineLength ?? 0)
                readIndex += offset + 1
                resetForNextRequest()
                return head
            }
            lineStart = offset + 1
            scanned = offset + 1
            if let requestLineLength, lineStart - requestLineLength - 1 > limits.maxHeaderBytes {
                throw headersTooLarge()
            }
        }
        if let requestLineLength {
            let complete = lineStart - requestLineLength - 1
            if complete + pendingFieldBytes(from: lineStart, available: available) > limits.maxHeaderBytes { throw headersTooLarge() }
        } else if available > limits.maxRequestLineBytes + 1 {
            // No line end yet, and more bytes than the longest request line plus its CR.
            throw requestLineTooLong()
        }
        state = .head(scanned: scanned, lineStart: lineStart, requestLineLength: requestLineLength)
        return nil
    }

    /// Bytes of the incomplete line at `lineStart` (relative to `readIndex`) that count against
    /// the header limit: all of them, except a lone CR, which may begin the head's blank line.
    private func pendingFieldBytes(from lineStart: Int, available: Int) -> Int {
        let pending = available - lineStart
        return pending == 1 && buffer[readIndex + lineStart] == .cr ? 0 : pending
    }

    private func requestLineTooLong() -> HTTPParseError {
        HTTPParseError(.uriTooLong, "the request line exceeds the limit of \(limits.maxRequestLineBytes) bytes")
    }

    private func headersTooLarge() -> HTTPParseError {
        HTTPParseError(.headersTooLarge, "the request headers exceed the limit of \(limits.maxHeaderBytes) bytes")
    }

    private func indexOfLineFeed(from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { bytes -> Int? in
            guard let base = bytes.baseAddress, start < bytes.count else { return nil }
            guard let found = memchr(base + start, Int32(UInt8.lf), bytes.count - start) else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Parses a complete head of `length` bytes at `readIndex` (ending with its blank line).
    private func parseHead(length: Int, requestLineLength: Int) throws -> HTTPRequestHead {
        let start = readIndex
        let (method, target, minorVersion) = try parseRequestLine(buffer[start..<(start + requestLineLength)])
        var headers = HTTPHeaders()
        headers.reserveCapacity(8)
        var lineStart = start + requestLineLength + 1
        let end = start + length
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end && buffer[lineEnd] != .lf { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && buffer[contentEnd - 1] == .cr { contentEnd -= 1 }
            if contentEnd > lineStart {
                let field = try HTTPRequestParser.parseField(buffer[lineStart..<contentEnd])
                headers.add(field.name, field.value)
            }
            lineStart = lineEnd + 1
        }
        return try interpret(method: method, target: target, minorVersion: minorVersion, headers: headers)
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws -> (String, String, Int) {
        try line.withUnsafeBufferPointer { line in
            var count = line.count
            if count > 0 && line[count - 1] == .cr { count -= 1 }
            let malformed = HTTPParseError(.badRequest, "malformed request line; expected 'METHOD /target HTTP/1.1'")
            var firstSpace = 0
            while firstSpace < count && line[firstSpace] != .space { firstSpace += 1 }
            var secondSpace = firstSpace + 1
            while secondSpace < count && line[secondSpace] != .space { secondSpace += 1 }
            guard secondSpace < count else { throw malformed }
            guard firstSpace > 0 else { throw malformed }
            for index in 0..<firstSpace where !line[index].isTokenCharacter { throw malformed }
            guard secondSpace > firstSpace + 1 else { throw malformed }
            for index in (firstSpace + 1)..<secondSpace where line[index] <= 0x20 || line[index] == 0x7F { throw malformed }
            // HTTP-version = "HTTP/" DIGIT "." DIGIT
            let version = UnsafeBufferPointer(rebasing: line[(secondSpace + 1)..<count])
            guard version.count == 8, version.starts(with: "HTTP/".utf8), version[6] == UInt8(ascii: "."),
                  version[5].isDigit, version[7].isDigit else { throw malformed }
            guard version[5] == UInt8(ascii: "1") else {
                throw HTTPParseError(.httpVersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported")
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: line[0..<firstSpace]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace]), as: UTF8.self),
                    Int(version[7] - UInt8(ascii: "0")))
        }
    }

    /// `name: value` with optional whitespace around the value (RFC 9112 §5).
    /// Scanned through a buffer pointer: slice indexing checks bounds at every byte.
    static func parseField(_ line: ArraySlice<UInt8>) throws -> (name: String, value: String) {
        try line.withUnsafeBufferPointer { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw HTTPParseError(.badRequest, "malformed header line (no colon)")
            }
            guard colon > 0, line[0..<colon].allSatisfy(\.isTokenCharacter) else {
                throw HTTPParseError(.badRequest, "malformed header name (folded lines and spaces before the colon are not allowed)")
            }
            var start = colon + 1, end = line.count
            while start < end && (line[start] == .space || line[start] == .tab) { start += 1 }
            while end > start && (line[end - 1] == .space || line[end - 1] == .tab) { end -= 1 }
            for index in start..<end where line[index] == 0 || line[index] == .cr || line[index] == .lf {
                throw HTTPParseError(.badRequest, "header value contains a control character")
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: line[0..<colon]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
        }
    }

    /// Works out body framing, persistence and expectations from the header fields.
    private func interpret(method: String, target: String, minorVersion: Int, headers: HTTPHeaders) throws -> HTTPRequestHead {
        var framing = HTTPBodyFraming.none
        // The fields that frame the request, found in one pass over the head.
        var transferCodings: [String] = [], lengths: [String] = [], connectionTokens: [String] = []
        // Host is counted, not collected: a request has one (an array would allocate per request).
        var host: String?, hostCount = 0
        var expectation: String?
        for field in headers {
            switch field.name.utf8.count {
            case 4 where field.name.caseInsensitiveEquals("Host"):
                if host == nil { host = field.value }
                hostCount += 1
            case 6 where field.name.caseInsensitiveEquals("Expect"): expectation = expectation ?? field.value
            case 10 where field.name.caseInsensitiveEquals("Connection"):
                connectionTokens += HTTPRequestParser.commaList(field.value).map(\.asciiLowercased)
            case 14 where field.name.caseInsensitiveEquals("Content-Length"):
                // Nearly always one number: no list to split (the value is trimmed already).
                if !field.value.utf8.contains(UInt8(ascii: ",")) {
                    if !field.value.isEmpty { lengths.append(field.value) }
                } else {
                    lengths += HTTPRequestParser.commaList(field.value)
                }
            case 17 where field.name.caseInsensitiveEquals("Transfer-Encoding"):
                transferCodings += HTTPRequestParser.commaList(field.value)
            default: break
            }
        }
        if !transferCodings.isEmpty {
            guard lengths.isEmpty else {
                throw HTTPParseError(.badRequest, "a request must not carry both Transfer-Encoding and Content-Length")
            }
            guard minorVersion >= 1 else {
                throw HTTPParseError(.badRequest, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            }
            let codings = transferCodings.map(\.asciiLowercased)
            guard codings.last == "chunked" else {
                throw HTTPParseError(.badRequest, "the last transfer coding of a request must be chunked")
            }
            guard codings.count == 1 else {
                throw HTTPParseError(.notImplemented, "transfer codings other than chunked are not supported")
            }
            framing = .chunked
        } else if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }) else {
                throw HTTPParseError(.badRequest, "conflicting Content-Length values")
            }
            guard !first.isEmpty, first.utf8.allSatisfy(\.isDigit) else {
                throw HTTPParseError(.badRequest, "Content-Length must be a decimal number")
            }
            // Every byte is a digit: leading zeros dropped, at most 18 left (no overflow).
            var length = 0, significant = 0
            for byte in first.utf8 where significant > 0 || byte != UInt8(ascii: "0") {
                significant += 1
                if significant <= 18 { length = length * 10 + Int(byte - UInt8(ascii: "0")) }
            }
            guard significant <= 18, length <= limits.maxBodyBytes else {
                throw HTTPParseError(.payloadTooLarge, "the body exceeds the limit of \(limits.maxBodyBytes) bytes")
            }
            framing = length > 0 ? .contentLength(length) : .none
        } else if ["POST", "PUT", "PATCH"].contains(method) {
            throw HTTPParseError(.lengthRequired, "a \(method) request needs Content-Length or chunked Transfer-Encoding")
        }

        try HTTPRequestParser.checkHost(first: host, count: hostCount, minorVersion: minorVersion)

        let keepAlive = minorVersion >= 1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")

        var expectsContinue = false
        if let expectation {
            guard expectation.asciiLowercased == "100-continue" else {
                throw HTTPParseError(.expectationFailed, "only 'Expect: 100-continue' is supported")
            }
            expectsContinue = minorVersion >= 1 && framing != .none
        }
        return HTTPRequestHead(method: method, target: target, minorVersion: minorVersion, headers: headers,
                               framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host field, and any request at most
    /// one; its value is `uri-host [":" port]` (RFC 3986), or empty.
    static func checkHost(first: String?, count: Int, minorVersion: Int) throws {
        guard count <= 1 else {
            throw HTTPParseError(.badRequest, "the request has \(count) Host header fields; exactly one is allowed")
        }
        guard var value = first else {
            if minorVersion >= 1 {
                throw HTTPParseError(.badRequest, "an HTTP/1.1 request needs a Host header field (RFC 9112, section 3.2)")
            }
            return
        }
        guard value.withUTF8({ isValidHost($0) }) else {
            throw HTTPParseError(.badRequest, "the Host header field is not a valid host[:port]")
        }
    }

    static func isValidHost(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var hostEnd = bytes.count
        if bytes.first == UInt8(ascii: "[") {
            // IP-literal: an IPv6 address or "v" HEXDIG "." ..., checked for its characters.
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            let inside = bytes[1..<close]
            let allowed: (UInt8) -> Bool = { $0.hexValue != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".")
                || $0.isUnreservedOrSubDelimiter }
            guard inside.allSatisfy(allowed) else { return false }
            hostEnd = close + 1
            guard hostEnd == bytes.count || bytes[hostEnd] == UInt8(ascii: ":") else { return false }
        } else {
            hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            var index = 0
            while index < hostEnd {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < hostEnd, bytes[index + 1].hexValue != nil, bytes[index + 2].hexValue != nil else { return false }
                    index += 3
                    continue
                }
                guard byte.isUnreservedOrSubDelimiter else { return false }
                index += 1
            }
        }
        guard hostEnd < bytes.count else { return true }
        return bytes[(hostEnd + 1)...].allSatisfy(\.isDigit)  // port = *DIGIT
    }

    /// `a, b,,c` -> [a, b, c]; split on the UTF-8 bytes (a comma is ASCII), not on characters.
    static func commaList(_ value: String) -> [String] {
        value.utf8.split(separator: UInt8(ascii: ",")).compactMap { item in
            let trimmed = Substring(item).trimmingHTTPWhitespace
            return trimmed.isEmpty ? nil : String(trimmed)
        }
    }

    // MARK: - Chunked body

    /// Reads `chunk-size [; extensions] CRLF`; nil when the line is incomplete.
    private mutating func scanChunkSize() throws -> Int? {
        let window = min(bufferedByteCount, HTTPRequestParser.maxChunkSizeLineBytes)
        guard let lf = buffer[readIndex..<(readIndex + window)].firstIndex(of: .lf) else {
            if bufferedByteCount >= HTTPRequestParser.maxChunkSizeLineBytes {
                throw HTTPParseError(.badRequest, "chunk size line is too long")
            }
            return nil
        }
        var size = 0
        var digits = 0
        var index = readIndex
        while index < lf, let digit = buffer[index].hexValue {
            guard digits < 15 else { throw HTTPParseError(.payloadTooLarge, "chunk size is too large") }
            size = size * 16 + digit
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw HTTPParseError(.badRequest, "malformed chunk size") }
        // What follows the digits may only be whitespace, extensions or the CR.
        if index < lf {
            let rest = buffer[index]
            guard rest == UInt8(ascii: ";") || rest == .space || rest == .tab || rest == .cr else {
                throw HTTPParseError(.badRequest, "malformed chunk size")
            }
        }
        readIndex = lf + 1
        return size
    }

    /// Skips trailer fields up to the blank line; returns true once it was consumed.
    private mutating func scanTrailers(head: HTTPRequestHead, scanned: Int, lineStart: Int) throws -> Bool {
        var scanned = scanned
        var lineStart = lineStart
        let available = bufferedByteCount
        while scanned < available {
            guard let lf = indexOfLineFeed(from: readIndex + scanned) else { break }
            let offset = lf - readIndex
            let lineLength = offset - lineStart
            if lineLength == 0 || (lineLength == 1 && buffer[readIndex + lineStart] == .cr) {
                readIndex += offset + 1
                return true
            }
            // Over the limit before malformed, as when the line arrives in pieces and is
            // refused for its length before it is complete.
            if offset > limits.maxHeaderBytes { throw headersTooLarge() }
            var contentEnd = readIndex + offset
            if buffer[contentEnd - 1] == .cr { contentEnd -= 1 }
            _ = try HTTPRequestParser.parseField(buffer[(readIndex + lineStart)..<contentEnd])
            lineStart = offset + 1
            scanned = offset + 1
            // Trailer lines count against the header limit as header lines do.
            if lineStart > limits.maxHeaderBytes { throw headersTooLarge() }
        }
        if lineStart + pendingFieldBytes(from: lineStart, available: available) > limits.maxHeaderBytes { throw headersTooLarge() }
        state = .trailers(head, scanned: scanned, lineStart: lineStart)
        return false
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var hexValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(self - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// unreserved / sub-delims of RFC 3986 (the characters of a reg-name besides %-escapes).
    var isUnreservedOrSubDelimiter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// tchar of RFC 9110 §5.6.2: the characters of methods and header names.
    var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

import Foundation

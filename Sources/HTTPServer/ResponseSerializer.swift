import Foundation
import Glibc

/// Turns an `HTTPResponse` into the bytes sent on the wire, adding the headers the server owns.
enum ResponseSerializer {
    static let serverName = "max-swift"

    /// Status line, the handler's headers, then `Content-Length`, `Connection`, `Date` and `Server`
    /// (a handler's own `Date`/`Server` win; its `Content-Length`, `Transfer-Encoding` and
    /// `Connection` are replaced). `headOnly` keeps the length of the body but not the body.
    static func serialize(_ response: HTTPResponse, keepAlive: Bool, headOnly: Bool) -> [UInt8] {
        let status = response.status
        let code = (100...999).contains(status.code) ? status.code : 500
        let bodyAllowed = code >= 200 && code != 204 && code != 304
        let sendBody = bodyAllowed && !headOnly
        // Written as bytes into one array sized up front: string interpolation and appends cost
        // several times as much per response.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + response.headers.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
                              + (sendBody ? response.body.count : 0))
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(code, to: &bytes)
        bytes.append(.space)
        appendSanitized(status.reason, to: &bytes)
        bytes.append(contentsOf: crlf)
        var hasDate = false
        var hasServer = false
        for field in response.headers {
            let name = field.name
            if name.caseInsensitiveEquals("Content-Length") || name.caseInsensitiveEquals("Transfer-Encoding")
                || name.caseInsensitiveEquals("Connection") { continue }
            guard !name.isEmpty, name.utf8.allSatisfy(\.isTokenCharacter) else { continue }
            if name.caseInsensitiveEquals("Date") { hasDate = true }
            if name.caseInsensitiveEquals("Server") { hasServer = true }
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            appendSanitized(field.value, to: &bytes)
            bytes.append(contentsOf: crlf)
        }
        if bodyAllowed {
            bytes.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &bytes)
            bytes.append(contentsOf: crlf)
        }
        bytes.append(contentsOf: keepAlive ? "Connection: keep-alive\r\n".utf8 : "Connection: close\r\n".utf8)
        if !hasDate {
            bytes.append(contentsOf: "Date: ".utf8)
            bytes.append(contentsOf: HTTPDate.now().utf8)
            bytes.append(contentsOf: crlf)
        }
        if !hasServer {
            bytes.append(contentsOf: "Server: \(serverName)\r\n".utf8)
        }
        bytes.append(contentsOf: crlf)
        if sendBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    private static let crlf: [UInt8] = [.cr, .lf]

    /// A non-negative number in decimal digits.
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var rest = UInt(max(0, value))
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// A header value or reason with CR, LF and NUL written as spaces, so a handler cannot split the response.
    private static func appendSanitized(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = text.utf8
        if utf8.contains(where: { $0 == .cr || $0 == .lf || $0 == 0 }) {
            bytes.append(contentsOf: utf8.lazy.map { $0 == .cr || $0 == .lf || $0 == 0 ? .space : $0 })
        } else {
            bytes.append(contentsOf: utf8)
        }
    }

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

/// The IMF-fixdate of RFC 9110 §5.6.7 (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted once per second.
enum HTTPDate {
    private static let cache = DateCache()

    static func now() -> String { cache.current() }

    static func format(_ seconds: time_t) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let day = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return "\(day), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    private final class DateCache: @unchecked Sendable {
        private let lock = NSLock()
        private var second: time_t = 0
        private var text = ""

        func current() -> String {
            let now = time(nil)
            lock.lock()
            defer { lock.unlock() }
            if now != second {
                second = now
                text = HTTPDate.format(now)
            }
            return text
        }
    }
}

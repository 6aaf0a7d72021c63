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
        var head = "HTTP/1.1 \(code) \(sanitized(status.reason))\r\n"
        var hasDate = false
        var hasServer = false
        for field in response.headers {
            let name = field.name
            if name.caseInsensitiveEquals("Content-Length") || name.caseInsensitiveEquals("Transfer-Encoding")
                || name.caseInsensitiveEquals("Connection") { continue }
            guard !name.isEmpty, name.utf8.allSatisfy(\.isTokenCharacter) else { continue }
            if name.caseInsensitiveEquals("Date") { hasDate = true }
            if name.caseInsensitiveEquals("Server") { hasServer = true }
            head += name
            head += ": "
            head += sanitized(field.value)
            head += "\r\n"
        }
        if bodyAllowed { head += "Content-Length: \(response.body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        if !hasDate { head += "Date: \(HTTPDate.now())\r\n" }
        if !hasServer { head += "Server: \(serverName)\r\n" }
        head += "\r\n"
        var bytes: [UInt8] = []
        let sendBody = bodyAllowed && !headOnly
        bytes.reserveCapacity(head.utf8.count + (sendBody ? response.body.count : 0))
        bytes.append(contentsOf: head.utf8)
        if sendBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// A header value or reason with CR, LF and NUL replaced, so a handler cannot split the response.
    private static func sanitized(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == .cr || $0 == .lf || $0 == 0 }) else { return text }
        return String(decoding: text.utf8.map { $0 == .cr || $0 == .lf || $0 == 0 ? .space : $0 }, as: UTF8.self)
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

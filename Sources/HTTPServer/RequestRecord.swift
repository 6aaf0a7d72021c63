import Foundation
import Glibc

/// One answered request as the access log and observers see it (metrics count these).
public struct HTTPRequestRecord: Sendable {
    /// `-` when the server refused the request before its head was read (400, 408, 413, 431).
    public var method: String
    /// The percent-decoded path without the query; `-` as for `method`.
    public var path: String
    /// The request target as sent, with its query; `-` as for `method`.
    public var target: String
    public var status: Int
    /// Body bytes sent (0 for HEAD).
    public var bodyBytes: Int
    /// Seconds from the request's first byte to its answer being ready.
    public var duration: Double
    public var requestID: String
    public var remoteAddress: String
    /// 0 or 1 for HTTP/1.0 or 1.1; nil when the request line was not read.
    public var minorVersion: Int?
}

/// Request ids, for following one request through logs and across services: a client's
/// `X-Request-ID` is kept when it is sane, otherwise one is made; the answer echoes it.
public enum RequestID {
    public static let headerName = "X-Request-ID"

    /// The client's id if it is 1 to 128 visible ASCII characters (no spaces, quotes or
    /// backslashes, which would need escaping in every log format); else nil.
    public static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return value
    }

    /// A new id: this process's random 64-bit prefix and a counter, in hex
    /// (`9f86d081884c7d65-2a`). Unique across replicas, cheaper than a random UUID per request.
    public static func generate() -> String {
        generator.next()
    }

    private static let generator = Generator()

    private final class Generator: @unchecked Sendable {
        private let prefix: String
        private let lock = NSLock()
        private var counter: UInt64 = 0

        init() {
            var random = SystemRandomNumberGenerator()
            let bits = random.next() as UInt64
            let hex = String(bits, radix: 16)
            prefix = String(repeating: "0", count: 16 - hex.count) + hex
        }

        func next() -> String {
            lock.lock()
            counter &+= 1
            let value = counter
            lock.unlock()
            return prefix + "-" + String(value, radix: 16)
        }
    }
}

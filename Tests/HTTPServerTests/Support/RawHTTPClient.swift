import Foundation
import Glibc
import XCTest

/// A response as read off the wire by `RawHTTPClient`.
struct RawResponse {
    var statusCode: Int
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The decoded JSON body as a dictionary (the server's error format).
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking socket client for tests: writes raw bytes, reads raw responses, and never waits
/// longer than its timeout, so a broken server fails a test instead of hanging the suite.
final class RawHTTPClient {
    let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        let ipv6 = host.contains(":")
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket() failed") }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        let result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ClientError(description: "connect to \(host):\(port) failed: \(message)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ClientError(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Stops sending (the server then sees end of input) but keeps reading.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; false on end of stream. Throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        if count > 0 {
            buffered.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError(description: "timed out waiting for the server") }
        if errno == ECONNRESET { return false }
        throw ClientError(description: "recv failed: \(String(cString: strerror(errno)))")
    }

    /// Reads one response (a `100 Continue` counts as one). `bodyExpected: false` for HEAD.
    func readResponse(bodyExpected: Bool = true) throws -> RawResponse {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if let found = find(terminator) {
                headEnd = found
            } else if try !fill() {
                throw ClientError(description: "connection closed before a full response head (got \(buffered.count) bytes)")
            }
        }
        guard let headEnd else { throw ClientError(description: "unreachable") }
        let headText = String(decoding: buffered[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        // Strict: bytes left over from the previous response (a body sent after a HEAD, a length
        // that lied) would otherwise hide in front of the next status line.
        guard statusLine.hasPrefix("HTTP/1."), parts.count >= 2, let code = Int(parts[1]) else {
            throw ClientError(description: "bad status line \(statusLine)")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        buffered.removeFirst(headEnd + 4)
        var response = RawResponse(statusCode: code, statusLine: statusLine, headers: headers.map { (name: $0.0, value: $0.1) }, body: [])
        if code >= 200, bodyExpected, let length = response.header("Content-Length").flatMap(Int.init) {
            while buffered.count < length {
                guard try fill() else { throw ClientError(description: "connection closed inside a response body") }
            }
            response.body = Array(buffered[0..<length])
            buffered.removeFirst(length)
        }
        return response
    }

    /// True when the server closed the connection (end of stream) before `timeout`.
    func isClosedByServer() -> Bool {
        guard buffered.isEmpty else { return false }
        do { return try !fill() } catch { return false }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffered.count >= pattern.count else { return nil }
        for start in 0...(buffered.count - pattern.count) where buffered[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start
        }
        return nil
    }
}

import Glibc

/// A blocking one-shot HTTP/1.1 GET with a deadline, for health checks from the command line
/// (Docker's HEALTHCHECK, where an image has no curl). It reads the status and at most 64 KiB of
/// the answer; it is not a general client.
public enum HTTPProbe {
    public struct Answer: Sendable {
        public var status: Int
        /// The body as received (not de-chunked), at most 64 KiB.
        public var body: [UInt8]
    }

    /// GET `path` from `host:port` within `timeout` seconds, or throws `HTTPServerError` saying why.
    public static func get(host: String, port: Int, path: String, timeout: Double) throws -> Answer {
        let deadline = MonotonicClock.now() + max(0.01, timeout)
        let fd = try connect(host: host, port: port, deadline: deadline)
        defer { close(fd) }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let head = "GET \(path) HTTP/1.1\r\nHost: \(shownHost):\(port)\r\nUser-Agent: max-server-healthcheck\r\n"
            + "Accept: */*\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8)
        var sent = 0
        while sent < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "sending the request")
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { throw HTTPServerError.system("cannot send the request", errno: errno) }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let limit = 64 * 1024
        while received.count < limit {
            // Enough once the head is in and Content-Length bytes of body follow, or the server closed.
            if let answer = complete(received) { return answer }
            try wait(fd, for: Int16(POLLIN), until: deadline, doing: "waiting for the answer")
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if count < 0 { throw HTTPServerError.system("cannot read the answer", errno: errno) }
            if count == 0 { break }
            received += buffer[0..<count]
        }
        guard let status = statusCode(received) else {
            throw HTTPServerError(description: received.isEmpty ? "the server closed the connection without answering"
                                                                : "the answer is not HTTP")
        }
        return Answer(status: status, body: Array(body(of: received).prefix(limit)))
    }

    /// The answer when its head and a Content-Length body have fully arrived.
    private static func complete(_ bytes: [UInt8]) -> Answer? {
        guard let status = statusCode(bytes), let headEnd = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let body = bytes[(headEnd + 4)...]
        return body.count >= length ? Answer(status: status, body: Array(body.prefix(length))) : nil
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    private static func body(of bytes: [UInt8]) -> ArraySlice<UInt8> {
        guard let end = headEnd(bytes) else { return [] }
        return bytes[(end + 4)...]
    }

    /// The code of a status line `HTTP/1.x NNN ...`.
    private static func statusCode(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 12, bytes.starts(with: Array("HTTP/1.".utf8)), bytes[8] == UInt8(ascii: " ") else { return nil }
        let digits = bytes[9..<12]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private static func connect(host: String, port: Int, deadline: Double) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>? = nil
        let lookup = getaddrinfo(host, String(port), &hints, &results)
        guard lookup == 0, let first = results else {
            throw HTTPServerError(description: "cannot resolve '\(host)': \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(results) }
        var lastError = HTTPServerError(description: "no address for '\(host)'")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family,
                            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                do {
                    try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "connecting")
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code == 0 { return fd }
                    lastError = HTTPServerError.system("cannot connect to \(host):\(port)", errno: code)
                } catch let error as HTTPServerError {
                    lastError = error
                }
            } else {
                lastError = HTTPServerError.system("cannot connect to \(host):\(port)", errno: errno)
            }
            close(fd)
        }
        throw lastError
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: Double, doing what: String) throws {
        while true {
            let remaining = deadline - MonotonicClock.now()
            guard remaining > 0 else { throw HTTPServerError(description: "timed out \(what)") }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(remaining * 1000 + 1, 60_000)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw HTTPServerError.system("poll failed \(what)", errno: errno) }
        }
    }
}

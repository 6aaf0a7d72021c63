import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for download tests: each path answers with good bytes,
/// wrong bytes, an error status, a response cut off mid-way, or one that trickles or stalls.
/// One connection at a time.
final class LoopbackFileServer: @unchecked Sendable {
    enum Behavior {
        /// 200 with a Content-Length and all of the bytes.
        case serve([UInt8])
        /// 200 without a Content-Length: the bytes, then the connection closes (size unknown ahead).
        case serveUnsized([UInt8])
        /// 200 promising all of the bytes, sending `prefix` of them, then closing the connection.
        case cut([UInt8], after: Int)
        /// The status code with a short body.
        case status(Int)
        /// 200 promising all of the bytes, then `chunk` bytes every `interval` seconds, giving up
        /// (closing) after `limit` seconds: a link that drips.
        case drip([UInt8], chunk: Int, interval: Double, limit: Double)
        /// 200 promising all of the bytes, sending `prefix` of them, then silence for `seconds`.
        case stall([UInt8], after: Int, seconds: Double)
    }

    private let listener: Int32
    let port: Int
    private let behaviors: [String: Behavior]
    private let lock = NSLock()
    private var requested: [String] = []
    private let stopped = DispatchSemaphore(value: 0)

    /// Paths requested so far, in order.
    var requests: [String] { lock.lock(); defer { lock.unlock() }; return requested }

    init(_ behaviors: [String: Behavior]) throws {
        self.behaviors = behaviors
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { close(listener); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    private var stopping = false
    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// Stops accepting (and any drip or stall in progress); the accept loop ends when the
    /// listening socket is shut down.
    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = stopped.wait(timeout: .now() + 5)
    }

    private func acceptLoop() {
        defer { stopped.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.containsHeaderEnd {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            received += buffer[0..<count]
        }
        let requestLine = String(decoding: received.prefix { $0 != 13 }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        let path = parts.count > 1 ? String(parts[1]) : "/"
        lock.lock(); requested.append(path); lock.unlock()
        switch behaviors[path] ?? .status(404) {
        case .serve(let bytes):
            send(connection, header(200, length: bytes.count) + bytes)
        case .serveUnsized(let bytes):
            send(connection, header(200, length: nil) + bytes)
        case let .drip(bytes, chunk, interval, limit):
            send(connection, header(200, length: bytes.count))
            let started = Date()
            var offset = 0
            while offset < bytes.count, Date().timeIntervalSince(started) < limit, !isStopping {
                let end = min(bytes.count, offset + chunk)
                guard send(connection, Array(bytes[offset..<end])) else { return }
                offset = end
                usleep(useconds_t(interval * 1_000_000))
            }
        case let .stall(bytes, prefix, seconds):
            send(connection, header(200, length: bytes.count) + bytes.prefix(prefix))
            let started = Date()
            while Date().timeIntervalSince(started) < seconds, !isStopping { usleep(20_000) }
        case .cut(let bytes, let prefix):
            send(connection, header(200, length: bytes.count) + bytes.prefix(prefix))
            usleep(50_000)
        case .status(let code):
            let body = Array("status \(code)\n".utf8)
            send(connection, header(code, length: body.count) + body)
        }
    }

    private func header(_ code: Int, length: Int?) -> [UInt8] {
        let lengthField = length.map { "Content-Length: \($0)\r\n" } ?? ""
        return Array("HTTP/1.1 \(code) X\r\nContent-Type: application/octet-stream\r\n\(lengthField)Connection: close\r\n\r\n".utf8)
    }

    /// Writes all of `bytes`; false if the client went away.
    @discardableResult
    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() -> Int {
        guard let server = try? LoopbackFileServer([:]) else { return 9 }
        let port = server.port
        server.stop()
        return port
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}

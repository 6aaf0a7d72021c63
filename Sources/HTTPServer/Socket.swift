import Glibc

/// Thin wrappers over the socket calls the server makes, with errors as `HTTPServerError`.
enum Socket {
    /// A non-blocking listening socket bound to `host:port`. `"::"` accepts IPv4 too (dual-stack);
    /// names such as `localhost` are resolved and the first address that binds wins.
    static func listen(host: String, port: Int, backlog: Int32 = 1024) throws -> Int32 {
        guard (0...65535).contains(port) else {
            throw HTTPServerError(description: "port \(port) is out of range 0...65535")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>? = nil
        let lookup = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &results)
        guard lookup == 0, let first = results else {
            throw HTTPServerError(description: "cannot resolve listen address '\(host)': \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(results) }
        var lastError = HTTPServerError(description: "no usable address for '\(host)'")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try bindAndListen(info.pointee, label: "\(displayHost(host)):\(port)", backlog: backlog)
            } catch let error as HTTPServerError {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bindAndListen(_ info: addrinfo, label: String, backlog: Int32) throws -> Int32 {
        let fd = socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.system("cannot create a socket for \(label)", errno: errno) }
        var on: Int32 = 1
        var off: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if info.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.ai_addr, info.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError.system("cannot listen on \(label)", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError.system("cannot listen on \(label)", errno: code)
        }
        return fd
    }

    private static func displayHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// Shrinks a listening socket's backlog to nothing, so the kernel completes no more
    /// connections for it while those already queued can still be accepted (Linux drops the
    /// SYNs of a full queue; the client retries and is refused once the socket is closed).
    static func stopQueueingConnections(_ fd: Int32) {
        _ = Glibc.listen(fd, 0)
    }

    /// The port a bound socket got (for port 0).
    static func localPort(of fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return 0 }
        return port(of: storage)
    }

    static func port(of storage: sockaddr_storage) -> Int {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> Int in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default:
                return 0
            }
        }
    }

    /// `127.0.0.1` or `::1`; an IPv4 peer on a dual-stack socket is shown without its `::ffff:` prefix.
    static func addressText(_ storage: sockaddr_storage) -> String {
        var storage = storage
        let family = Int32(storage.ss_family)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let written: UnsafePointer<CChar>? = withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                }
            default:
                return nil
            }
        }
        guard written != nil else { return "unknown" }
        let address = String(cString: text)
        if address.hasPrefix("::ffff:"), address.contains(".") { return String(address.dropFirst(7)) }
        return address
    }

    /// An accepted socket: non-blocking, close-on-exec, and no Nagle delay for small responses.
    static func prepareConnection(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}

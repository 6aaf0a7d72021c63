/// Why the server could not start: the message names the address and the system's reason,
/// e.g. `cannot listen on 0.0.0.0:5000: Address already in use`.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The C library's errno when a system call failed, else nil.
    public var systemErrorCode: Int32?

    public init(description: String, systemErrorCode: Int32? = nil) {
        self.description = description
        self.systemErrorCode = systemErrorCode
    }

    /// An error for a failed system call, with `strerror`'s text appended.
    static func system(_ what: String, errno code: Int32) -> HTTPServerError {
        HTTPServerError(description: "\(what): \(String(cString: strerror(code)))", systemErrorCode: code)
    }
}

import Glibc

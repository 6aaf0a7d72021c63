import Foundation
import Logging

/// Collects log lines so tests can assert on what was logged.
public final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    public init() {}

    public var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }

    public func logger(_ level: LogLevel = .debug) -> Logger {
        Logger(label: "test", level: level) { [self] line in
            lock.lock()
            storage.append(line)
            lock.unlock()
        }
    }

    public func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

import Foundation
import Logging

/// Collects log lines so tests can assert on what was logged.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }

    func logger(_ level: LogLevel = .debug) -> Logger {
        Logger(label: "test", level: level) { [self] line in
            lock.lock()
            storage.append(line)
            lock.unlock()
        }
    }

    func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

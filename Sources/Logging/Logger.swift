import Foundation

/// Severity of a log line; lines below the logger's level are dropped.
public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case debug = 0, info, warning, error

    /// Accepts the names MAX users bring (`debug`, `info`, `warning`/`warn`, `error`), any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: return "DEBUG"
        case .info: return "INFO"
        case .warning: return "WARNING"
        case .error: return "ERROR"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A thread-safe logger writing one line per message to a sink (standard error by default),
/// formatted like Python's logging as MAX prints it: `2026-11-23 08:54:04,123 INFO label: message`.
public final class Logger: @unchecked Sendable {
    public let label: String
    private let lock = NSLock()
    private var _level: LogLevel
    private let sink: @Sendable (String) -> Void

    public init(label: String, level: LogLevel = .info,
                sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.label = label
        self._level = level
        self.sink = sink
    }

    public var level: LogLevel {
        get { lock.lock(); defer { lock.unlock() }; return _level }
        set { lock.lock(); _level = newValue; lock.unlock() }
    }

    /// A logger sharing this one's level and sink under another label.
    public func child(label: String) -> Logger {
        Logger(label: label, level: level, sink: sink)
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level >= self.level else { return }
        let line = "\(Logger.timestamp()) \(level.name) \(label): \(message())"
        lock.lock()
        sink(line)
        lock.unlock()
    }

    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d,%03d",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1_000_000))
    }
}

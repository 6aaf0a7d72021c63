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

    /// `YYYY-MM-DD HH:MM:SS,mmm` in UTC, formatted by hand: `String(format:)` cost ~30 us a
    /// line, which showed in the server's requests/s with one access-log line per request.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 23) { buffer in
            var index = 0
            /// Writes `value` as `digits` decimal digits, then `separator` unless it is 0.
            func put(_ value: Int, _ digits: Int, _ separator: UInt8) {
                var value = value
                for position in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[index + position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += digits
                if separator != 0 {
                    buffer[index] = separator
                    index += 1
                }
            }
            put(Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-"))
            put(Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-"))
            put(Int(parts.tm_mday), 2, UInt8(ascii: " "))
            put(Int(parts.tm_hour), 2, UInt8(ascii: ":"))
            put(Int(parts.tm_min), 2, UInt8(ascii: ":"))
            put(Int(parts.tm_sec), 2, UInt8(ascii: ","))
            put(Int(now.tv_nsec / 1_000_000), 3, 0)
            return index
        }
    }
}

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

/// How a logger writes its lines: as MAX prints them, or one JSON object per line for log
/// collectors (Loki, Elasticsearch, Cloud Logging) that index fields.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `2026-11-23 08:54:04,123 INFO label: message`
    case text
    /// `{"time": "2026-11-23T08:54:04.123Z", "level": "INFO", "logger": "label", "message": "...", ...fields}`
    case json

    /// `text` or `json`, any case.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}

/// The value of a structured field: JSON lines keep its type (a status is a number).
public enum LogValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
}

/// A named value attached to one log line (`status`, `request_id`).
public struct LogField: Sendable, Equatable {
    public var name: String
    public var value: LogValue

    public init(_ name: String, _ value: LogValue) {
        self.name = name
        self.value = value
    }

    public static func string(_ name: String, _ value: String) -> LogField { LogField(name, .string(value)) }
    public static func int(_ name: String, _ value: Int) -> LogField { LogField(name, .int(value)) }
    public static func double(_ name: String, _ value: Double) -> LogField { LogField(name, .double(value)) }
}

/// A thread-safe logger writing one line per message to a sink (standard error by default),
/// formatted like Python's logging as MAX prints it: `2026-11-23 08:54:04,123 INFO label: message`,
/// or as one JSON object per line (`LogFormat.json`). Fields of a line appear only in JSON: the
/// text line's message already says what they hold.
public final class Logger: @unchecked Sendable {
    public let label: String
    public let format: LogFormat
    private let lock = NSLock()
    private var _level: LogLevel
    private let sink: @Sendable (String) -> Void

    public init(label: String, level: LogLevel = .info, format: LogFormat = .text,
                sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.label = label
        self.format = format
        self._level = level
        self.sink = sink
    }

    public var level: LogLevel {
        get { lock.lock(); defer { lock.unlock() }; return _level }
        set { lock.lock(); _level = newValue; lock.unlock() }
    }

    /// A logger sharing this one's level, format and sink under another label.
    public func child(label: String) -> Logger {
        Logger(label: label, level: level, format: format, sink: sink)
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, fields: [LogField] = []) {
        guard level >= self.level else { return }
        let line: String
        switch format {
        case .text: line = "\(Logger.timestamp()) \(level.name) \(label): \(message())"
        case .json: line = jsonLine(level, message(), fields)
        }
        lock.lock()
        sink(line)
        lock.unlock()
    }

    private func jsonLine(_ level: LogLevel, _ message: String, _ fields: [LogField]) -> String {
        var line = "{\"time\": \""
        line += Logger.timestamp(iso8601: true)
        line += "\", \"level\": \""
        line += level.name
        line += "\", \"logger\": "
        JSONText.writeString(label, to: &line)
        line += ", \"message\": "
        JSONText.writeString(message, to: &line)
        for field in fields {
            line += ", "
            JSONText.writeString(field.name, to: &line)
            line += ": "
            switch field.value {
            case .string(let text): JSONText.writeString(text, to: &line)
            case .int(let number): line += String(number)
            case .double(let number): line += number.isFinite ? "\(number)" : "null"
            case .bool(let flag): line += flag ? "true" : "false"
            }
        }
        line += "}"
        return line
    }

    public func debug(_ message: @autoclosure () -> String, fields: [LogField] = []) { log(.debug, message(), fields: fields) }
    public func info(_ message: @autoclosure () -> String, fields: [LogField] = []) { log(.info, message(), fields: fields) }
    public func warning(_ message: @autoclosure () -> String, fields: [LogField] = []) { log(.warning, message(), fields: fields) }
    public func error(_ message: @autoclosure () -> String, fields: [LogField] = []) { log(.error, message(), fields: fields) }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `YYYY-MM-DD HH:MM:SS,mmm` in UTC (or ISO 8601's `YYYY-MM-DDTHH:MM:SS.mmmZ`), formatted by
    /// hand: `String(format:)` cost ~30 us a line, which showed in the server's requests/s with
    /// one access-log line per request.
    static func timestamp(iso8601: Bool = false) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 24) { buffer in
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
            put(Int(parts.tm_mday), 2, UInt8(ascii: iso8601 ? "T" : " "))
            put(Int(parts.tm_hour), 2, UInt8(ascii: ":"))
            put(Int(parts.tm_min), 2, UInt8(ascii: ":"))
            put(Int(parts.tm_sec), 2, UInt8(ascii: iso8601 ? "." : ","))
            put(Int(now.tv_nsec / 1_000_000), 3, iso8601 ? UInt8(ascii: "Z") : 0)
            return index
        }
    }
}

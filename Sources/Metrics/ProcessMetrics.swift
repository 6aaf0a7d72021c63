import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process figures every Prometheus client exports under the same names (CPU seconds,
/// resident and virtual memory, open and maximum descriptors, start time), read from /proc at
/// each scrape. Elsewhere than Linux it exports nothing.
public final class ProcessMetrics: MetricsCollector, @unchecked Sendable {
    private let procRoot: String
    private let systemStatPath: String

    /// The defaults read this process; tests point them at a folder of their own.
    public init(procRoot: String = "/proc/self", systemStatPath: String = "/proc/stat") {
        self.procRoot = procRoot
        self.systemStatPath = systemStatPath
    }

    /// What /proc says about the process at one moment.
    public struct Reading: Equatable, Sendable {
        public var cpuSeconds: Double
        public var residentBytes: Double
        public var virtualBytes: Double
        public var startTimeSeconds: Double
        public var openDescriptors: Int?
        public var maxDescriptors: Int?
        public var threads: Int
    }

    public func collect() -> [MetricFamilySnapshot] {
        guard let reading = read() else { return [] }
        func family(_ name: String, _ help: String, _ type: MetricType, _ value: Double) -> MetricFamilySnapshot {
            MetricFamilySnapshot(name: name, help: help, type: type, samples: [MetricSample(name: name, value: value)])
        }
        var families = [
            family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", .counter, reading.cpuSeconds),
            family("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, reading.residentBytes),
            family("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, reading.virtualBytes),
            family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge,
                   reading.startTimeSeconds),
            family("process_threads", "Number of OS threads in the process.", .gauge, Double(reading.threads)),
        ]
        if let open = reading.openDescriptors {
            families.append(family("process_open_fds", "Number of open file descriptors.", .gauge, Double(open)))
        }
        if let limit = reading.maxDescriptors {
            families.append(family("process_max_fds", "Maximum number of open file descriptors.", .gauge, Double(limit)))
        }
        return families
    }

    /// Reads /proc; nil when it is not there (not Linux) or not in the expected form.
    public func read() -> Reading? {
        guard let stat = Self.readText("\(procRoot)/stat"),
              let fields = Self.statFields(stat), fields.count > 21,
              let utime = Double(fields[11]), let stime = Double(fields[12]),
              let threads = Int(fields[17]), let startTicks = Double(fields[19]),
              let virtualBytes = Double(fields[20]), let residentPages = Double(fields[21])
        else { return nil }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let bootTime = Self.bootTime(systemStatPath: systemStatPath) ?? 0
        return Reading(
            cpuSeconds: (utime + stime) / ticksPerSecond,
            residentBytes: residentPages * pageSize,
            virtualBytes: virtualBytes,
            startTimeSeconds: bootTime + startTicks / ticksPerSecond,
            openDescriptors: Self.countEntries(of: "\(procRoot)/fd").map { procRoot == "/proc/self" ? max(0, $0 - 1) : $0 },
            maxDescriptors: Self.descriptorLimit(procRoot: procRoot),
            threads: threads)
    }

    /// The fields of /proc/PID/stat from the third (`state`) on. The second, the command name in
    /// parentheses, may itself hold spaces and parentheses, so the split starts after the last `)`.
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
    }

    /// `btime` of /proc/stat: the boot time in seconds since the epoch.
    static func bootTime(systemStatPath: String) -> Double? {
        guard let text = readText(systemStatPath) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The soft limit on open files, from /proc/PID/limits ("Max open files  1024  4096  files").
    static func descriptorLimit(procRoot: String) -> Int? {
        guard let text = readText("\(procRoot)/limits") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Max open files") {
            let words = line.dropFirst("Max open files".count).split(separator: " ")
            guard let soft = words.first else { return nil }
            return soft == "unlimited" ? nil : Int(soft)
        }
        return nil
    }

    /// Entries of a folder other than `.` and `..` (in this process's own `fd` folder, one of
    /// them is the descriptor the listing holds: the caller subtracts it).
    static func countEntries(of path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        closedir(directory)
        return count
    }

    /// A small file read whole with POSIX calls (Foundation's readers stat the file first, and
    /// /proc files report size 0).
    static func readText(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

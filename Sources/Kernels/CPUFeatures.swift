import Foundation

/// The CPU's feature flags as the operating system reports them: the `flags` line of Linux's
/// /proc/cpuinfo (x86), which the kernel clears for features whose registers it does not save.
/// Elsewhere (no /proc/cpuinfo) the set is empty and only the portable kernels are offered.
public struct CPUFeatures: Sendable, Equatable {
    public let flags: Set<String>

    public init(flags: Set<String>) { self.flags = flags }

    /// Parses the text of /proc/cpuinfo: the first `flags` line (every core lists the same).
    /// Scanned as UTF-8 bytes (the file is ASCII): splitting its characters and trimming with
    /// Foundation cost ~1.8 M instructions at every start-up.
    public init(cpuinfo text: String) {
        var found: Set<String> = []
        let bytes = Array(text.utf8)
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[line.startIndex..<colon].drop(while: isBlank).reversed().drop(while: isBlank)
            guard name.elementsEqual("flags".utf8.reversed()) else { continue }
            found = Set(line[(colon + 1)...].split(whereSeparator: isBlank).map { String(decoding: $0, as: UTF8.self) })
            break
        }
        flags = found
    }

    /// This machine's, read once.
    public static let current: CPUFeatures = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return CPUFeatures(flags: [])
        }
        return CPUFeatures(cpuinfo: text)
    }()

    /// Flags `cpu` needs that this CPU does not report (empty: the class may run here).
    public func missingFlags(for cpu: CPUClass) -> [String] {
        cpu.requiredFlags.filter { !flags.contains($0) }
    }
}

import Foundation

/// The CPU's feature flags as the operating system reports them: the `flags` line of Linux's
/// /proc/cpuinfo (x86), which the kernel clears for features whose registers it does not save.
/// Elsewhere (no /proc/cpuinfo) the set is empty and only the portable kernels are offered.
public struct CPUFeatures: Sendable, Equatable {
    public let flags: Set<String>

    public init(flags: Set<String>) { self.flags = flags }

    /// Parses the text of /proc/cpuinfo: the first `flags` line (every core lists the same).
    public init(cpuinfo text: String) {
        var found: Set<String> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "flags" else { continue }
            found = Set(parts[1].split(separator: " ").map(String.init))
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

import Foundation
@_exported import KernelInterface
import KernelsPortable
#if canImport(KernelsAVX2)
import KernelsAVX2
#endif
#if canImport(KernelsAVX512)
import KernelsAVX512
#endif

/// The one place that knows which kernel sets exist and picks the one this process uses.
///
///     let kernels = Kernels.selected          // any KernelSet.Type, chosen once
///     kernels.gemm(m: 4, n: 3, k: 2, a: x, lda: 2, transposeA: false,
///                  b: w, ldb: 3, transposeB: false, c: y, ldc: 3, accumulate: false)
///
/// The choice: `MAX_CPU` (avx512, avx2, portable or auto) if set, else the widest class whose
/// /proc/cpuinfo flags are all present and whose instructions pass a probe in a child process.
public enum Kernels {
    /// The environment variable that overrides the choice.
    public static let environmentKey = "MAX_CPU"

    /// Every kernel set compiled into this binary, widest first (arm64 builds: portable only).
    public static let compiled: [any KernelSet.Type] = {
        var sets: [any KernelSet.Type] = []
        #if canImport(KernelsAVX512)
        sets.append(KernelsAVX512.Backend.self)
        #endif
        #if canImport(KernelsAVX2)
        sets.append(KernelsAVX2.Backend.self)
        #endif
        sets.append(KernelsPortable.Backend.self)
        return sets
    }()

    /// The compiled set for `cpu`, whether or not this CPU runs it (nil if not compiled in).
    public static func set(for cpu: CPUClass) -> (any KernelSet.Type)? {
        compiled.first { $0.cpu == cpu }
    }

    /// The classes this machine runs: compiled in, flags present, probe passed. Widest first.
    public static var runnable: [CPUClass] {
        compiled.filter { check($0).isEmpty }.map { $0.cpu }
    }

    /// The selection for this process, made on first use from the environment. A `MAX_CPU` this
    /// machine cannot honour stops the process with the reason; max-server calls `select()`
    /// first so that it reports the error as a start-up failure instead.
    public static let selection: KernelSelection = {
        do {
            return try select()
        } catch {
            fatalError("\(error)")
        }
    }()

    /// The kernels this process uses.
    public static var selected: any KernelSet.Type { selection.kernels }

    /// Chooses kernels for `environment` (MAX_CPU); throws when it names a class this binary or
    /// CPU lacks, with the reason and the classes that would run.
    public static func select(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> KernelSelection {
        let requested = environment[environmentKey]?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if requested.isEmpty || requested == "auto" {
            var skipped: [String] = []
            for kernels in compiled {
                let problems = check(kernels)
                if problems.isEmpty {
                    return KernelSelection(kernels: kernels, override: nil, skipped: skipped)
                }
                skipped.append("\(kernels.cpu): \(problems)")
            }
            return KernelSelection(kernels: KernelsPortable.Backend.self, override: nil, skipped: skipped)
        }
        guard let cpu = CPUClass(rawValue: requested) else {
            throw KernelSelectionError(
                "\(environmentKey)=\(requested) is not a CPU class; use one of "
                    + CPUClass.allCases.map(\.rawValue).joined(separator: ", ") + " or auto")
        }
        guard let kernels = set(for: cpu) else {
            throw KernelSelectionError("\(environmentKey)=\(cpu): this build has no \(cpu) kernels (it has "
                                       + compiled.map { $0.cpu.rawValue }.joined(separator: ", ") + ")")
        }
        let problems = check(kernels)
        guard problems.isEmpty else {
            throw KernelSelectionError("\(environmentKey)=\(cpu): this CPU cannot run it (\(problems)); it runs "
                                       + runnable.map(\.rawValue).joined(separator: ", "))
        }
        return KernelSelection(kernels: kernels, override: cpu, skipped: [])
    }

    /// Starts, in the background, the probe `select` will wait for first: that of the class
    /// `MAX_CPU` names, or else of the widest class whose flags /proc/cpuinfo lists. A caller
    /// with other start-up work to do calls this first; the selection is the same.
    public static func startProbing(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if arch(x86_64)
        let requested = environment[environmentKey]?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let candidate = compiled.first { kernels in
            guard kernels.cpu != .portable, CPUFeatures.current.missingFlags(for: kernels.cpu).isEmpty else { return false }
            return requested.isEmpty || requested == "auto" || requested == kernels.cpu.rawValue
        }
        if let candidate { CPUProbe.start(candidate) }
        #endif
    }

    /// Why `kernels` cannot run here, or "" if it can.
    private static func check(_ kernels: any KernelSet.Type) -> String {
        if kernels.cpu == .portable { return "" }
        #if arch(x86_64)
        let missing = CPUFeatures.current.missingFlags(for: kernels.cpu)
        guard missing.isEmpty else { return "/proc/cpuinfo lacks " + missing.joined(separator: ", ") }
        switch CPUProbe.outcome(kernels) {
        case .passed, .unavailable: return ""
        case let .failed(reason): return "listed in /proc/cpuinfo, but \(reason): an emulator?"
        }
        #else
        return "not an x86-64 CPU"
        #endif
    }
}

/// The kernels a process runs and how they were chosen; its description is the start-up log line.
public struct KernelSelection: CustomStringConvertible {
    public let kernels: any KernelSet.Type
    /// The class MAX_CPU asked for, if it did.
    public let override: CPUClass?
    /// Wider classes passed over, each with the reason.
    public let skipped: [String]

    public var cpu: CPUClass { kernels.cpu }

    public var description: String {
        var text = "\(cpu) kernels"
        if let override {
            text += " (\(Kernels.environmentKey)=\(override))"
        } else {
            text += " (the widest class this CPU runs"
            for reason in skipped { text += "; " + reason }
            text += "; \(Kernels.environmentKey) overrides)"
        }
        return text
    }
}

/// A MAX_CPU value this binary or CPU cannot honour.
public struct KernelSelectionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

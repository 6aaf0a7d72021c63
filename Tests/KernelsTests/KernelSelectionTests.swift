@testable import Kernels
import XCTest

/// How a kernel set is chosen: /proc/cpuinfo's flags, the MAX_CPU override and its refusals.
final class KernelSelectionTests: XCTestCase {
    func testFlagsAreReadFromCPUInfo() {
        let text = """
        processor\t: 0
        model name\t: Intel Core i7 920
        flags\t\t: fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm

        processor\t: 1
        flags\t\t: fpu sse sse2 avx512f
        """
        let nehalem = CPUFeatures(cpuinfo: text)
        XCTAssertEqual(nehalem.flags, ["fpu", "sse", "sse2", "pni", "ssse3", "cx16", "sse4_1", "sse4_2", "popcnt", "lahf_lm"])
        XCTAssertEqual(nehalem.missingFlags(for: .portable), [])
        XCTAssertEqual(nehalem.missingFlags(for: .avx2), ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"])
        XCTAssert(nehalem.missingFlags(for: .avx512).contains("avx512vl"))
        let haswell = CPUFeatures(flags: Set(CPUClass.avx2.requiredFlags))
        XCTAssertEqual(haswell.missingFlags(for: .avx2), [])
        XCTAssertEqual(haswell.missingFlags(for: .avx512), ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"])
        XCTAssertEqual(CPUFeatures(cpuinfo: "no flags here").flags, [])
    }

    func testEveryCompiledSetSaysWhatItIs() {
        #if arch(x86_64)
        XCTAssertEqual(Kernels.compiled.map { $0.cpu }, [.avx512, .avx2, .portable])
        #else
        XCTAssertEqual(Kernels.compiled.map { $0.cpu }, [.portable])
        #endif
        for kernels in Kernels.compiled {
            // Panels are two vectors wide, or one for a matrix no wider than a vector.
            let wide = [Float](repeating: 1, count: 40)
            XCTAssertEqual(kernels.pack(wide, rows: 1, columns: 40, ldb: 40, transposed: false, bias: nil).panelWidth,
                           2 * kernels.cpu.vectorWidth, "\(kernels.cpu)")
            XCTAssertEqual(kernels.pack([1, 2, 3], rows: 1, columns: 3, ldb: 3, transposed: false, bias: nil).panelWidth,
                           kernels.cpu.vectorWidth, "\(kernels.cpu)")
        }
    }

    func testWithoutOverrideTheWidestRunnableClassIsChosen() throws {
        let runnable = Kernels.runnable
        XCTAssertEqual(runnable.last, .portable)
        for value in [nil, "", "auto", " AUTO "] {
            let selection = try Kernels.select(environment: value.map { ["MAX_CPU": $0] } ?? [:])
            XCTAssertEqual(selection.cpu, runnable.first, "MAX_CPU=\(value ?? "unset")")
            XCTAssertNil(selection.override)
            XCTAssert(selection.description.hasPrefix("\(runnable[0]) kernels (the widest class this CPU runs"))
        }
    }

    func testOverrideRunsARunnableClassAndRefusesTheOthers() throws {
        let runnable = Kernels.runnable
        for cpu in CPUClass.allCases {
            if runnable.contains(cpu) {
                let selection = try Kernels.select(environment: ["MAX_CPU": cpu.rawValue.uppercased()])
                XCTAssertEqual(selection.cpu, cpu)
                XCTAssertEqual(selection.description, "\(cpu) kernels (MAX_CPU=\(cpu))")
            } else {
                XCTAssertThrowsError(try Kernels.select(environment: ["MAX_CPU": cpu.rawValue])) { error in
                    let message = "\(error)"
                    XCTAssert(message.hasPrefix("MAX_CPU=\(cpu): "), message)
                    XCTAssert(message.hasSuffix(runnable.map(\.rawValue).joined(separator: ", ")), message)
                }
            }
        }
        XCTAssertThrowsError(try Kernels.select(environment: ["MAX_CPU": "sse9"])) { error in
            XCTAssertEqual("\(error)", "MAX_CPU=sse9 is not a CPU class; use one of avx512, avx2, portable or auto")
        }
    }

    /// The probe runs the class's self-test in a child: on this machine it agrees with the flags
    /// (an emulator that lies about them is tested by .ci/run under qemu).
    func testProbeAgreesWithTheFlagsHere() throws {
        #if arch(x86_64) && os(Linux)
        for kernels in Kernels.compiled where kernels.cpu != .portable {
            guard CPUFeatures.current.missingFlags(for: kernels.cpu).isEmpty else { continue }
            XCTAssertEqual(CPUProbe.outcome(kernels), .passed, "\(kernels.cpu)")
        }
        #else
        throw XCTSkip("the probe runs on x86-64 Linux only")
        #endif
    }

    /// A probe started ahead of need (`startProbing`) is the one `select` waits for: the same
    /// outcome and selection as probing on demand, and starting twice forks once.
    func testAProbeStartedEarlyGivesTheSameSelection() throws {
        #if arch(x86_64) && os(Linux)
        let onDemand = try Kernels.select(environment: [:])
        CPUProbe.forgetOutcomes()
        Kernels.startProbing(environment: [:])
        Kernels.startProbing(environment: [:])
        let early = try Kernels.select(environment: [:])
        XCTAssertEqual(early.cpu, onDemand.cpu)
        XCTAssertEqual(early.description, onDemand.description)
        for kernels in Kernels.compiled where kernels.cpu != .portable && CPUFeatures.current.missingFlags(for: kernels.cpu).isEmpty {
            XCTAssertEqual(CPUProbe.outcome(kernels), .passed, "\(kernels.cpu)")
        }
        #else
        throw XCTSkip("the probe runs on x86-64 Linux only")
        #endif
    }
}

/// .ci/run runs the suites once per class with MAX_CPU set: the process must really use it.
final class ProcessSelectionTests: XCTestCase {
    func testTheProcessRunsTheClassMAXCPUNames() throws {
        let requested = ProcessInfo.processInfo.environment["MAX_CPU"] ?? ""
        guard !requested.isEmpty, requested != "auto" else {
            XCTAssertEqual(Kernels.selection.cpu, Kernels.runnable.first)
            return
        }
        XCTAssertEqual(Kernels.selection.cpu.rawValue, requested.lowercased())
        XCTAssertEqual(Kernels.selected.cpu, Kernels.selection.cpu)
    }
}

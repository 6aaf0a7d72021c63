import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether the CPU really executes a class's instructions, found by running its `selfTest` in
/// a child process. /proc/cpuinfo is not always the CPU the code runs on: qemu-user and
/// valgrind pass the host's file through while emulating a CPU without AVX-512 (or AVX2), and a
/// class chosen from it would die with SIGILL. A child that faults costs us nothing.
enum CPUProbe {
    enum Outcome: Equatable {
        case passed
        /// The child died on an illegal instruction or computed a wrong answer.
        case failed(String)
        /// No child could be run (no fork here, or it hung): the flags are trusted.
        case unavailable(String)
    }

    private static let lock = NSLock()
    private static var outcomes: [CPUClass: Outcome] = [:]
    /// Probes started ahead of need (`start`), by class: the child still running, or why none could.
    private static var started: [CPUClass: Result<pid_t, ProbeUnavailable>] = [:]

    private struct ProbeUnavailable: Error { let reason: String }

    /// The outcome for `kernels`, probed once per process (waiting for a probe `start` began).
    static func outcome(_ kernels: any KernelSet.Type) -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        if let known = outcomes[kernels.cpu] { return known }
        let child = started.removeValue(forKey: kernels.cpu) ?? spawn(kernels)
        let outcome: Outcome
        switch child {
        case .success(let pid): outcome = wait(for: pid)
        case .failure(let unavailable): outcome = .unavailable(unavailable.reason)
        }
        outcomes[kernels.cpu] = outcome
        return outcome
    }

    /// Starts probing `kernels` now, in the background (a child process), so that the outcome
    /// is ready, or nearly, when `outcome` is asked for it: start-up does other work meanwhile.
    static func start(_ kernels: any KernelSet.Type) {
        lock.lock()
        defer { lock.unlock() }
        guard outcomes[kernels.cpu] == nil, started[kernels.cpu] == nil else { return }
        started[kernels.cpu] = spawn(kernels)
    }

    /// Forgets every outcome (tests that probe afresh).
    static func forgetOutcomes() {
        lock.lock()
        outcomes = [:]
        lock.unlock()
    }

    /// Exit status of a child that caught SIGILL.
    private static let illegalInstructionStatus: Int32 = 86

    private static func spawn(_ kernels: any KernelSet.Type) -> Result<pid_t, ProbeUnavailable> {
        #if os(Linux)
        fflush(stdout)
        fflush(stderr)
        let child = fork()
        if child == 0 {
            // The child: no core file, no crash report; SIGILL becomes a plain exit status (the
            // handler may capture nothing, so the status is a literal).
            var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
            signal(SIGILL) { _ in _exit(86) }
            _exit(kernels.selfTest() ? 0 : 1)
        }
        guard child > 0 else { return .failure(ProbeUnavailable(reason: "fork failed (errno \(errno))")) }
        return .success(child)
        #else
        return .failure(ProbeUnavailable(reason: "no probe on this system"))
        #endif
    }

    private static func wait(for child: pid_t) -> Outcome {
        #if os(Linux)
        var status: Int32 = 0
        // Up to 5 s: an emulated child is slow, and one that hangs must not hold up start-up.
        for _ in 0..<50_000 {
            let waited = waitpid(child, &status, WNOHANG)
            if waited == child { return interpret(status) }
            if waited < 0 && errno != EINTR { return .unavailable("waitpid failed (errno \(errno))") }
            usleep(100)
        }
        kill(child, SIGKILL)
        waitpid(child, &status, 0)
        return .unavailable("the test process did not finish in 5 s")
        #else
        return .unavailable("no probe on this system")
        #endif
    }

    #if os(Linux)
    private static func interpret(_ status: Int32) -> Outcome {
        let signal = status & 0x7f
        if signal == 0 {
            switch (status >> 8) & 0xff {
            case 0: return .passed
            case illegalInstructionStatus: return .failed("its instructions fault (SIGILL)")
            default: return .failed("its self-test computed a wrong result")
            }
        }
        return .failed("its self-test was killed by signal \(signal)")
    }
    #endif
}

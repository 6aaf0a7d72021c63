import Foundation
import Glibc

/// SIGTERM and SIGINT as something a thread can wait for. A plain C handler, installed with one
/// `sigaction` per signal, records the number and posts a semaphore (`sem_post` is safe in a
/// signal handler); there is no moment at which the signals are ignored.
///
/// A DispatchSource cannot give that: the signal must be set to SIG_IGN first and the source is
/// registered later, on libdispatch's manager thread, and a signal in between was dropped; a
/// server stopped right after its first answer then never stopped. Signals that arrive while
/// nobody waits yet are kept, and the wait that follows returns at once.
public enum TerminationSignals {
    /// Posted once per signal. Allocated before any handler is installed (Swift initialises
    /// globals lazily, which a signal handler must not be the first to do).
    private static let posted: UnsafeMutablePointer<sem_t> = {
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
        return semaphore
    }()
    /// [0]: the last signal received, 0 for none; [1]: how many have been received, so work
    /// that polls (a download) can tell whether one came since it began without consuming it.
    private static let received: UnsafeMutablePointer<Int32> = {
        let fields = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        fields.initialize(repeating: 0, count: 2)
        return fields
    }()
    private static let handler: @convention(c) (Int32) -> Void = { number in
        TerminationSignals.received[0] = number
        TerminationSignals.received[1] &+= 1
        sem_post(TerminationSignals.posted)
    }
    private static let numbers = [SIGTERM, SIGINT]

    /// From now on SIGTERM and SIGINT are noted for `wait` instead of ending the process.
    /// Call it as early as a server should stop gracefully rather than die; calling it again
    /// does no harm.
    public static func catchSignals() {
        _ = install()
    }

    /// Installs the handler for both signals and returns the actions it replaced.
    private static func install() -> [(Int32, sigaction)] {
        _ = posted
        _ = received
        return numbers.map { number in
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var previous = sigaction()
            sigaction(number, &action, &previous)
            return (number, previous)
        }
    }

    /// Where the count of received signals stands: `caught(since:)` compares with it.
    public struct Mark: Sendable {
        fileprivate let count: Int32
    }

    public static func mark() -> Mark { Mark(count: received[1]) }

    /// The name ("SIGTERM", "SIGINT") of the latest signal received after `mark`, nil if none was.
    public static func caught(since mark: Mark) -> String? {
        guard received[1] != mark.count else { return nil }
        return received[0] == SIGINT ? "SIGINT" : "SIGTERM"
    }

    /// Runs `body` with SIGTERM and SIGINT caught instead of ending the process, for work that
    /// must clean up when told to stop (it polls `caught(since:)`), then puts back the actions
    /// that were there before: caught still, if a server had caught them already, else the
    /// default. Signals that arrived during `body` are its own to act on; a server's later
    /// `wait` does not see them again.
    public static func whileCaught<T>(_ body: (Mark) throws -> T) rethrows -> T {
        let start = mark()
        let previous = install()
        defer {
            for (number, action) in previous {
                var restored = action
                sigaction(number, &restored, nil)
            }
            for _ in 0..<Int(received[1] &- start.count) { sem_trywait(posted) }
        }
        return try body(start)
    }

    /// Waits for a caught signal, at most `timeout` seconds (nil: for ever); returns its number,
    /// or nil when the time ran out.
    public static func wait(timeout: Double? = nil) -> Int32? {
        if let timeout {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let end = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + max(0, timeout)
            var deadline = timespec(tv_sec: Int(end), tv_nsec: Int((end - end.rounded(.down)) * 1e9))
            while sem_timedwait(posted, &deadline) != 0 {
                if errno != EINTR { return nil }
            }
        } else {
            while sem_wait(posted) != 0 {}
        }
        return received[0]
    }

    /// Gives SIGTERM and SIGINT their default actions back and forgets signals not waited for.
    public static func restoreDefaults() {
        for number in numbers { signal(number, SIG_DFL) }
        while sem_trywait(posted) == 0 {}
        received[0] = 0
    }
}

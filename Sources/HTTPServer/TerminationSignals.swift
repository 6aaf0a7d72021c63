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
    /// The last signal received, 0 for none.
    private static let last: UnsafeMutablePointer<Int32> = {
        let number = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        number.initialize(to: 0)
        return number
    }()
    private static let handler: @convention(c) (Int32) -> Void = { number in
        TerminationSignals.last.pointee = number
        sem_post(TerminationSignals.posted)
    }
    private static let numbers = [SIGTERM, SIGINT]

    /// From now on SIGTERM and SIGINT are noted for `wait` instead of ending the process.
    /// Call it as early as a server should stop gracefully rather than die; calling it again
    /// does no harm.
    public static func catchSignals() {
        _ = posted
        _ = last
        for number in numbers {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
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
        return last.pointee
    }

    /// Gives SIGTERM and SIGINT their default actions back and forgets signals not waited for.
    public static func restoreDefaults() {
        for number in numbers { signal(number, SIG_DFL) }
        while sem_trywait(posted) == 0 {}
        last.pointee = 0
    }
}

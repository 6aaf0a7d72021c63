import Foundation
import Glibc

/// Lets an event loop run a request's handler on its own thread, the thread that read the
/// request, without letting a slow handler stall the loop's other connections.
///
/// Handing a request to a worker and its answer back costs two thread wake-ups (measured: about
/// a fifth of the server's CPU on small predictions). A loop that runs the handler itself needs
/// neither. But while it does, it serves no one else, so a standby thread waits on a timer the
/// loop arms before each such handler: if the handler is still running when the timer fires
/// (`budget` seconds), the standby takes the loop over and the old thread, once its handler
/// returns, posts the answer like a worker and becomes the standby. Arming and disarming the
/// timer are two system calls and wake no one; only a handler that outlives its budget costs a
/// wake-up.
///
/// Exactly one thread owns the loop at a time: the owner may run a handler only while the
/// standby waits (`beginInline`), and it keeps the loop only if `endInline` says the standby did
/// not take it. So each loop runs at most one handler of its own beside the worker pool's.
final class LoopRelief: @unchecked Sendable {
    /// Seconds a handler may run on the loop's thread before the standby takes the loop over.
    let budget: Double
    private let timer: OneShotTimer
    private let lock = NSLock()
    private var standbyWaiting = false
    private var inlineRunning = false
    private var relieved = false
    private var finished = false

    /// Nil when `budget` is not positive or the system has no timerfd: handlers then always run
    /// on the worker pool.
    init?(budget: Double) {
        guard budget > 0, let timer = OneShotTimer() else { return nil }
        self.budget = budget
        self.timer = timer
    }

    /// The loop's owner, before running a handler itself: true when it may (the standby waits
    /// to relieve it); the timer is then armed.
    func beginInline() -> Bool {
        lock.lock()
        guard standbyWaiting, !finished, !inlineRunning else {
            lock.unlock()
            return false
        }
        inlineRunning = true
        relieved = false
        lock.unlock()
        timer.arm(after: budget)
        return true
    }

    /// After the handler: true when this thread still owns the loop, false when the standby
    /// took it over meanwhile (this thread must then touch no loop state and stand by itself).
    func endInline() -> Bool {
        timer.disarm()
        lock.lock()
        defer { lock.unlock() }
        inlineRunning = false
        let wasRelieved = relieved
        relieved = false
        return !wasRelieved
    }

    /// True when `beginInline` would now let the owner run a handler.
    var mayBeginInline: Bool {
        lock.lock()
        defer { lock.unlock() }
        return standbyWaiting && !finished && !inlineRunning
    }

    /// Standby duty: blocks until a handler on the loop's thread outlives its budget, then
    /// returns true (the caller owns the loop now); false once the loop has finished.
    /// `announce` runs once the standby waits, so the owner may run handlers again.
    func standBy(announce: () -> Void = {}) -> Bool {
        lock.lock()
        if finished {
            lock.unlock()
            return false
        }
        standbyWaiting = true
        lock.unlock()
        announce()
        while true {
            timer.wait()
            lock.lock()
            if finished {
                standbyWaiting = false
                lock.unlock()
                return false
            }
            if inlineRunning && !relieved {
                relieved = true
                standbyWaiting = false
                lock.unlock()
                return true
            }
            lock.unlock()  // an expiry that came too late for the handler it was armed for
        }
    }

    /// The loop stopped: the standby, if one waits, returns from `standBy` with false.
    func finish() {
        lock.lock()
        finished = true
        lock.unlock()
        timer.arm(after: 0)
    }
}

/// A Linux timerfd on the monotonic clock: `wait` blocks until it expires. Reached through the
/// C library's symbols (Swift's Glibc module does not import `<sys/timerfd.h>`), as `Epoll` is.
final class OneShotTimer {
    private typealias CreateFunction = @convention(c) (Int32, Int32) -> Int32
    private typealias SetFunction = @convention(c) (Int32, Int32, UnsafePointer<itimerspec>?, UnsafeMutablePointer<itimerspec>?) -> Int32

    private static let functions: (create: CreateFunction, set: SetFunction)? = {
        let library = dlopen(nil, RTLD_NOW)
        guard let create = dlsym(library, "timerfd_create"), let set = dlsym(library, "timerfd_settime") else { return nil }
        return (unsafeBitCast(create, to: CreateFunction.self), unsafeBitCast(set, to: SetFunction.self))
    }()

    private let fd: Int32
    private let set: SetFunction

    init?() {
        guard let functions = OneShotTimer.functions else { return nil }
        let fd = functions.create(Int32(CLOCK_MONOTONIC), Int32(O_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.set = functions.set
    }

    deinit { close(fd) }

    /// Expires once, `seconds` from now (at once for 0).
    func arm(after seconds: Double) {
        let nanoseconds = max(1, Int((seconds * 1e9).rounded()))
        var value = itimerspec()
        value.it_value.tv_sec = nanoseconds / 1_000_000_000
        value.it_value.tv_nsec = nanoseconds % 1_000_000_000
        _ = set(fd, 0, &value, nil)
    }

    func disarm() {
        var value = itimerspec()
        _ = set(fd, 0, &value, nil)
    }

    /// Blocks until the timer has expired (at least once since the last wait).
    func wait() {
        var expirations: UInt64 = 0
        while read(fd, &expirations, 8) < 0 && errno == EINTR {}
    }
}

/// Names the calling thread for the kernel (`top -H`, `perf`, /proc/self/task/*/comm show it),
/// through the C library's `pthread_setname_np` (not imported by Swift's Glibc module): on Linux,
/// Foundation's `Thread.name` does not reliably reach the thread itself.
enum ThreadName {
    private typealias SetFunction = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    private static let set: SetFunction? = {
        dlsym(dlopen(nil, RTLD_NOW), "pthread_setname_np").map { unsafeBitCast($0, to: SetFunction.self) }
    }()

    /// At most 15 bytes reach the kernel; longer names are cut.
    static func setForCurrentThread(_ name: String) {
        _ = set?(pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }
}

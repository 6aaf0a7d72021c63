import Foundation

/// A process-wide allowance of bytes shared by concurrent requests (their buffered bodies): a
/// request takes its share before the memory is used and gives it back when done, so that many
/// large uploads at once wait, or are refused with 503, instead of exhausting memory.
final class MemoryBudget: @unchecked Sendable {
    let capacity: Int
    private let lock = NSLock()
    private var used = 0
    private var peak = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// Takes `bytes` if they fit; false (taking nothing) if not.
    func tryReserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        lock.lock(); defer { lock.unlock() }
        guard bytes <= capacity - used else { return false }
        used += bytes
        peak = max(peak, used)
        return true
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        lock.lock()
        used = max(0, used - bytes)
        lock.unlock()
    }

    /// Bytes reserved now, and the most reserved at once since the last call (which resets it).
    func usage() -> (used: Int, peakSinceLastCall: Int) {
        lock.lock(); defer { lock.unlock() }
        let result = (used, peak)
        peak = used
        return result
    }
}

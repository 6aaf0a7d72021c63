import Foundation
import Glibc

/// The process's resident memory, and handing memory freed after a peak back to the system.
/// glibc keeps freed heap memory for reuse, and raises its threshold for mapping large blocks
/// on their own each time such a block is freed, so after a burst of large requests the heap
/// stays as large as the burst made it. Swift's Glibc module does not import `<malloc.h>`, so
/// `mallopt` and `malloc_trim` are looked up by name (as `Epoll` does for epoll).
public enum ProcessMemory {
    private typealias TrimFunction = @convention(c) (Int) -> Int32
    private typealias OptionFunction = @convention(c) (Int32, Int32) -> Int32

    private static let library = dlopen(nil, RTLD_NOW)
    private static let trimFunction: TrimFunction? = dlsym(library, "malloc_trim").map { unsafeBitCast($0, to: TrimFunction.self) }
    private static let optionFunction: OptionFunction? = dlsym(library, "mallopt").map { unsafeBitCast($0, to: OptionFunction.self) }

    /// Resident set size in bytes (`/proc/self/statm`), or nil where that file does not exist.
    /// Read with open/read into a stack buffer: the reclaimer asks every second, and going
    /// through Foundation's file reading cost ~20,000 instructions a time.
    public static func residentBytes() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer -> Int? in
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            guard count > 0 else { return nil }
            // "size resident shared ...": the second field, in pages.
            var index = 0
            while index < count, buffer[index] != UInt8(ascii: " ") { index += 1 }
            index += 1
            var pages = 0, digits = 0
            while index < count, buffer[index] >= UInt8(ascii: "0"), buffer[index] <= UInt8(ascii: "9"), digits < 18 {
                pages = pages * 10 + Int(buffer[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            return digits > 0 ? pages * Int(sysconf(Int32(_SC_PAGESIZE))) : nil
        }
    }

    /// Gives free heap memory back to the system (glibc `malloc_trim(0)`, every arena); false
    /// where the C library has no such call.
    @discardableResult
    public static func returnFreeMemory() -> Bool {
        guard let trimFunction else { return false }
        _ = trimFunction(0)
        return true
    }

    /// Sets the allocator up for a server: blocks of `largeBlockBytes` or more are mapped on
    /// their own and unmapped as soon as they are freed (glibc `M_MMAP_THRESHOLD`, which also
    /// stops the threshold from growing after frees), and threads share at most `arenas` heaps
    /// (`M_ARENA_MAX`; glibc's default of 8 per core lets every short-lived extra worker keep a
    /// heap of its own, each holding freed memory). Call before the threads start.
    @discardableResult
    public static func tuneAllocator(largeBlockBytes: Int = 1 << 20,
                                     arenas: Int = 2 * ProcessInfo.processInfo.activeProcessorCount) -> Bool {
        guard let optionFunction else { return false }
        let mmapThreshold: Int32 = -3, arenaMax: Int32 = -8  // M_MMAP_THRESHOLD, M_ARENA_MAX in <malloc.h>
        let mapped = optionFunction(mmapThreshold, Int32(clamping: largeBlockBytes)) == 1
        let capped = optionFunction(arenaMax, Int32(clamping: max(1, arenas))) == 1
        return mapped && capped
    }
}

/// Trims the heap once resident memory has grown well past what it was after the last trim:
/// checked at most once a second from the event loops' timer, trimmed off the loop thread.
final class MemoryReclaimer: @unchecked Sendable {
    private let lock = NSLock()
    private let growthBeforeTrim: Int
    private var nextCheck = 0.0
    private var residentAfterTrim: Int?
    private var lowestResident: Int?
    private var lastTrim = -Double.infinity
    private var trimming = false

    init(growthBeforeTrim: Int = 32 << 20) { self.growthBeforeTrim = growthBeforeTrim }

    func tick(now: Double) {
        lock.lock()
        guard now >= nextCheck, !trimming else { lock.unlock(); return }
        nextCheck = now + 1
        guard let resident = ProcessMemory.residentBytes() else { lock.unlock(); return }
        let baseline = residentAfterTrim ?? resident
        if residentAfterTrim == nil { residentAfterTrim = resident }
        let lowest = min(lowestResident ?? resident, resident)
        lowestResident = lowest
        // Growth since the last trim alone misses the end of a peak: a trim during it leaves in
        // use what the burst's connections buffered, and when they close that memory goes back
        // to the heap without resident memory growing. So while resident memory stays well
        // above the lowest seen, the heap is trimmed again every few seconds (measured: 1,000
        // partial uploads left 72-103 MiB resident 3 s after they closed, 26-32 MiB before).
        let aboveLowest = resident > lowest + growthBeforeTrim && now >= lastTrim + 2
        guard resident > baseline + growthBeforeTrim || aboveLowest else {
            // Memory in use may also shrink for good: follow it down so the next peak counts.
            residentAfterTrim = min(baseline, resident)
            lock.unlock()
            return
        }
        lastTrim = now
        trimming = true
        lock.unlock()
        DispatchQueue.global(qos: .utility).async { [self] in
            ProcessMemory.returnFreeMemory()
            let after = ProcessMemory.residentBytes()
            lock.lock()
            residentAfterTrim = after
            trimming = false
            lock.unlock()
        }
    }
}

import Foundation

/// Bytes of decoded images and decoder buffers held at once by every decode in the process.
/// A pixel count alone says little about memory (a 7000x7000 16-bit RGBA PNG of 381 KB is
/// 392 MB of samples), so each decoder works out, from the header, the bytes its output and
/// working buffers will take, and takes them from here before allocating anything. A decode
/// that does not fit waits up to `wait` seconds for others to finish, then fails with `.busy`
/// (a server answers 503 with Retry-After); one larger than the whole budget fails at once with
/// `.tooLarge`. Shares are given back when the decode returns.
public final class DecodingBudget: @unchecked Sendable {
    /// The budget `DecodingLimits` uses unless told otherwise; a server sizes it at start-up.
    public static let shared = DecodingBudget(capacity: 512 << 20, wait: 1)

    private let condition = NSCondition()
    private var capacityBytes: Int
    private var waitSeconds: Double
    private var used = 0
    private var peak = 0

    public init(capacity: Int, wait: Double) {
        capacityBytes = max(0, capacity)
        waitSeconds = max(0, wait)
    }

    /// Total bytes shared out.
    public var capacity: Int {
        get { condition.lock(); defer { condition.unlock() }; return capacityBytes }
        set { condition.lock(); capacityBytes = max(0, newValue); condition.broadcast(); condition.unlock() }
    }

    /// Seconds a decode waits for room before `.busy`.
    public var wait: Double {
        get { condition.lock(); defer { condition.unlock() }; return waitSeconds }
        set { condition.lock(); waitSeconds = max(0, newValue); condition.unlock() }
    }

    /// Bytes held by decodes now.
    public var inUse: Int { condition.lock(); defer { condition.unlock() }; return used }

    /// The most bytes held at once since the budget was made.
    public var peakInUse: Int { condition.lock(); defer { condition.unlock() }; return peak }

    /// Takes `bytes`, waiting up to `wait` seconds for room; throws `.busy` if none came. The
    /// decoders call it; code that allocates large pixel buffers of its own may too.
    public func reserve(_ bytes: Int, format: ImageFormat? = nil) throws -> DecodingReservation {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: waitSeconds)
        while bytes > capacityBytes - used {
            if !condition.wait(until: deadline) && bytes > capacityBytes - used {
                throw ImageDecodingError(format, .busy,
                    "the server is decoding as many images as its memory budget (\(DecodingBudget.megabytes(capacityBytes))) allows; retry shortly")
            }
        }
        used += bytes
        peak = max(peak, used)
        return DecodingReservation(budget: self, bytes: bytes)
    }

    fileprivate func release(_ bytes: Int) {
        condition.lock()
        used = max(0, used - bytes)
        condition.broadcast()
        condition.unlock()
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }
}

/// A decode's share of a `DecodingBudget`; given back by `release()` (once; later calls do nothing).
public final class DecodingReservation: @unchecked Sendable {
    private var budget: DecodingBudget?
    let bytes: Int

    fileprivate init(budget: DecodingBudget?, bytes: Int) {
        self.budget = budget
        self.bytes = bytes
    }

    /// A share of nothing, for decodes that are not accounted.
    static let none = DecodingReservation(budget: nil, bytes: 0)

    public func release() {
        budget?.release(bytes)
        budget = nil
    }
}

extension DecodingLimits {
    /// Checks the memory a `width` x `height` decode needs against `maxBytes` and the budget
    /// (`.tooLarge` when it can never fit), then takes it from the budget (`.busy` after
    /// waiting). The caller releases the share when done.
    func reserveMemory(_ bytes: Int, width: Int, height: Int, format: ImageFormat) throws -> DecodingReservation {
        let ceiling = min(maxBytes, budget?.capacity ?? Int.max)
        guard bytes <= ceiling else {
            throw ImageDecodingError(format, .tooLarge,
                "decoding this \(width)x\(height) image needs \(DecodingBudget.megabytes(bytes)) of memory, more than the limit of \(DecodingBudget.megabytes(ceiling)); send a smaller image")
        }
        guard let budget else { return .none }
        return try budget.reserve(bytes, format: format)
    }
}

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
        if bytes == Int.max { return "unlimited" }
        return bytes >= 10 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }
}

/// A share of a `DecodingBudget`, given back by `release()` or when the share is freed: a
/// decoded image holds its own (`Image.memoryShare`), so the budget counts an image for as long
/// as any copy of it exists.
public final class DecodingReservation: @unchecked Sendable {
    private let lock = NSLock()
    private var budget: DecodingBudget?
    private var held: Int

    fileprivate init(budget: DecodingBudget?, bytes: Int) {
        self.budget = budget
        self.held = bytes
    }

    deinit { release() }

    /// Bytes still held.
    public var bytes: Int { lock.lock(); defer { lock.unlock() }; return held }

    /// False for a share of no budget (decodes that are not accounted) or one given back.
    var isAccounted: Bool { lock.lock(); defer { lock.unlock() }; return budget != nil }

    /// Gives the whole share back; later calls do nothing.
    public func release() { shrink(to: 0) }

    /// Gives back all but `remaining` bytes (a decoder's working buffers once it is done).
    func shrink(to remaining: Int) {
        lock.lock()
        let returned = held - max(0, min(remaining, held))
        held -= returned
        let owner = budget
        if held == 0 { budget = nil }
        lock.unlock()
        if returned > 0 { owner?.release(returned) }
    }
}

extension DecodingLimits {
    /// Takes the memory of a `width` x `height` decode from the budget: its `output` bytes and,
    /// while the image lives, `followOnFactor` times as many for what the caller makes of it,
    /// plus `working` bytes the decoder gives back before it returns (`Image.holding`). Throws
    /// `.tooLarge` when that can never fit `maxBytes` or the budget, `.busy` after waiting.
    func reserveMemory(output: Int, working: Int, width: Int, height: Int, format: ImageFormat) throws -> DecodingReservation {
        let retained = output + Int(Double(output) * followOnFactor)
        return try reserveMemory(retained + working, width: width, height: height, format: format)
    }

    private func reserveMemory(_ bytes: Int, width: Int, height: Int, format: ImageFormat) throws -> DecodingReservation {
        let ceiling = min(maxBytes, budget?.capacity ?? Int.max)
        guard bytes <= ceiling else {
            throw ImageDecodingError(format, .tooLarge,
                "decoding this \(width)x\(height) image needs \(DecodingBudget.megabytes(bytes)) of memory, more than the limit of \(DecodingBudget.megabytes(ceiling)); send a smaller image")
        }
        guard let budget else { return DecodingReservation(budget: nil, bytes: 0) }
        return try budget.reserve(bytes, format: format)
    }
}

extension Image {
    /// The image holding `share`, shrunk to the image's own bytes and what `limits` keeps for
    /// the caller: the budget gets it back when the last copy of the image is gone.
    func holding(_ share: DecodingReservation, limits: DecodingLimits) -> Image {
        var image = self
        share.shrink(to: samples.count + Int(Double(samples.count) * limits.followOnFactor))
        if share.isAccounted { image.memoryShare = share }
        return image
    }
}

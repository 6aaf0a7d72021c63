/// How the samples of one pixel are laid out.
public enum PixelLayout: Int, Sendable, CaseIterable {
    case gray = 1, grayAlpha = 2, rgb = 3, rgba = 4

    public var channels: Int { rawValue }
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }
}

/// An 8-bit image: interleaved samples, row-major, top row first, no padding between rows.
/// This is what every decoder produces and every image operation consumes.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let layout: PixelLayout
    /// `width * height * layout.channels` samples.
    public var samples: [UInt8]
    /// A decoded image's share of the `DecodingBudget`, given back when the last copy of the
    /// image is gone; nil for images made otherwise. Not part of equality.
    public internal(set) var memoryShare: DecodingReservation?

    public var channels: Int { layout.channels }

    public static func == (lhs: Image, rhs: Image) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.layout == rhs.layout && lhs.samples == rhs.samples
    }

    /// Wraps samples; returns nil when the count does not match the dimensions.
    public init?(width: Int, height: Int, layout: PixelLayout, samples: [UInt8]) {
        guard width >= 0, height >= 0,
              width.multipliedReportingOverflow(by: height).partialValue == width &* height,
              samples.count == width * height * layout.channels else { return nil }
        self.width = width
        self.height = height
        self.layout = layout
        self.samples = samples
    }

    /// A new image filled with one value per channel.
    public init(width: Int, height: Int, layout: PixelLayout, fill: UInt8 = 0) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.layout = layout
        self.samples = [UInt8](repeating: fill, count: self.width * self.height * layout.channels)
    }
}

/// Limits checked against a file's header before any pixel buffer is allocated.
public struct DecodingLimits: Sendable, Equatable {
    /// Largest width x height accepted (default 50 megapixels).
    public var maxPixels: Int
    /// Largest memory one decode may take, in bytes: its output at the depth it is decoded to
    /// plus the decoder's working buffers (default 1 GiB; the budget's capacity caps it too).
    public var maxBytes: Int
    /// Shared with every other decode (default `DecodingBudget.shared`); nil: not accounted.
    public var budget: DecodingBudget?
    /// Bytes the caller will allocate per decoded byte while it holds the image (converting it
    /// to gray, compositing, cropping): taken from the budget with the decode, kept as long as
    /// the image lives. 0 counts the image alone.
    public var followOnFactor: Double

    public init(maxPixels: Int = 50_000_000, maxBytes: Int = 1 << 30, budget: DecodingBudget? = .shared,
                followOnFactor: Double = 0) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
        self.budget = budget
        self.followOnFactor = max(0, followOnFactor)
    }
    public static let `default` = DecodingLimits()

    public static func == (lhs: DecodingLimits, rhs: DecodingLimits) -> Bool {
        lhs.maxPixels == rhs.maxPixels && lhs.maxBytes == rhs.maxBytes && lhs.budget === rhs.budget
            && lhs.followOnFactor == rhs.followOnFactor
    }
}

extension Image {
    /// For decoders and operations that computed the sample count themselves.
    init(uncheckedWidth width: Int, height: Int, layout: PixelLayout, samples: [UInt8]) {
        self.width = width
        self.height = height
        self.layout = layout
        self.samples = samples
    }
}

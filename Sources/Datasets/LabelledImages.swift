/// The size of one image: rows, columns and channels (stored row-major, channels last, as Keras's
/// NHWC tensors).
public struct ImageShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let height: Int
    public let width: Int
    public let channels: Int

    public init(height: Int, width: Int, channels: Int = 1) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Values in one image.
    public var valueCount: Int { height * width * channels }
    public var description: String { "\(height)x\(width)x\(channels)" }
    /// As Keras writes an input shape: [height, width, channels].
    public var array: [Int] { [height, width, channels] }
}

/// The values of every image, one image after another: bytes (0-255, as MNIST stores them) or
/// floats (any range, e.g. an .npy of float32).
public enum PixelStorage: Equatable, Sendable {
    case bytes([UInt8])
    case floats([Float])

    public var count: Int {
        switch self {
        case .bytes(let values): return values.count
        case .floats(let values): return values.count
        }
    }
}

/// N labelled images of one shape, with the names of the classes the labels index. The common
/// currency of every dataset format (Kaggle CSV, MNIST IDX, Keras .npz) and of training: a
/// format reads into it, the trainer reads out of it.
public struct LabelledImages: Equatable, Sendable {
    public let shape: ImageShape
    public let pixels: PixelStorage
    /// One label per image, each in 0..<classNames.count.
    public let labels: [Int]
    public let classNames: [String]

    /// Checks that the pixels hold `labels.count` images of `shape` and that every label names a class.
    public init(shape: ImageShape, pixels: PixelStorage, labels: [Int], classNames: [String]) throws {
        guard shape.height > 0, shape.width > 0, shape.channels > 0 else {
            throw DatasetError.invalid("image shape \(shape) has an empty dimension")
        }
        let (expected, overflow) = labels.count.multipliedReportingOverflow(by: shape.valueCount)
        guard !overflow, pixels.count == expected else {
            throw DatasetError.invalid("\(pixels.count) pixel values do not make \(labels.count) images of \(shape)")
        }
        guard !classNames.isEmpty else { throw DatasetError.invalid("a dataset needs at least one class") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DatasetError.invalid("image \(bad) has label \(labels[bad]), outside 0-\(classNames.count - 1)")
        }
        self.shape = shape
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// Class names "0" ... "9" for digits.
    public static func digitClassNames(_ count: Int = 10) -> [String] { (0..<count).map(String.init) }

    public var count: Int { labels.count }
    public var isEmpty: Bool { labels.isEmpty }

    /// Copies image `index` into `destination` as floats (bytes become 0.0-255.0).
    public func copyImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        let size = shape.valueCount
        let start = index * size
        switch pixels {
        case .bytes(let values):
            values.withUnsafeBufferPointer { source in
                for offset in 0..<size { destination[offset] = Float(source[start + offset]) }
            }
        case .floats(let values):
            values.withUnsafeBufferPointer { source in
                destination.update(from: source.baseAddress! + start, count: size)
            }
        }
    }

    /// Image `index` as floats.
    public func image(_ index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: shape.valueCount) { buffer, initialized in
            copyImage(index, into: buffer.baseAddress!)
            initialized = shape.valueCount
        }
    }

    /// The images at `indices`, in that order (an index may repeat).
    public func subset(_ indices: [Int]) -> LabelledImages {
        let size = shape.valueCount
        let pixels: PixelStorage
        switch self.pixels {
        case .bytes(let values):
            var picked = [UInt8](); picked.reserveCapacity(indices.count * size)
            for index in indices { picked += values[(index * size)..<((index + 1) * size)] }
            pixels = .bytes(picked)
        case .floats(let values):
            var picked = [Float](); picked.reserveCapacity(indices.count * size)
            for index in indices { picked += values[(index * size)..<((index + 1) * size)] }
            pixels = .floats(picked)
        }
        return LabelledImages(unchecked: shape, pixels: pixels, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// These images followed by `other`'s, which must have the same shape; the class list is
    /// the longer of the two (a digit set plus a set using an extra "not a digit" class).
    public func appending(_ other: LabelledImages) throws -> LabelledImages {
        guard other.shape == shape else {
            throw DatasetError.invalid("cannot join images of \(shape) and \(other.shape)")
        }
        let (short, long) = classNames.count <= other.classNames.count ? (classNames, other.classNames) : (other.classNames, classNames)
        guard Array(long.prefix(short.count)) == short else {
            throw DatasetError.invalid("cannot join datasets whose classes differ: \(classNames) and \(other.classNames)")
        }
        let pixels: PixelStorage
        switch (self.pixels, other.pixels) {
        case let (.bytes(a), .bytes(b)): pixels = .bytes(a + b)
        case let (.floats(a), .floats(b)): pixels = .floats(a + b)
        case let (.bytes(a), .floats(b)): pixels = .floats(a.map(Float.init) + b)
        case let (.floats(a), .bytes(b)): pixels = .floats(a + b.map(Float.init))
        }
        return LabelledImages(unchecked: shape, pixels: pixels, labels: labels + other.labels, classNames: long)
    }

    /// Keras's `validation_split`: the last `fraction` of the images (before any shuffling) are
    /// held out. With `shuffleSeed`, a seeded random permutation decides instead.
    public func split(validationFraction fraction: Double, shuffleSeed: UInt64? = nil) throws -> (training: LabelledImages, validation: LabelledImages) {
        guard fraction >= 0, fraction < 1 else {
            throw DatasetError.invalid("validation_split must be at least 0 and below 1, got \(fraction)")
        }
        var order = Array(0..<count)
        if let shuffleSeed {
            var random = SeededRandom(seed: shuffleSeed)
            order.shuffle(using: &random)
        }
        // Keras: split_at = int(n * (1 - validation_split)).
        let splitAt = Int(Double(count) * (1 - fraction))
        return (subset(Array(order[..<splitAt])), subset(Array(order[splitAt...])))
    }

    /// How many images carry each label.
    public func labelCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// For formats that already validated their data.
    init(unchecked shape: ImageShape, pixels: PixelStorage, labels: [Int], classNames: [String]) {
        self.shape = shape
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }
}

/// A training set and, when the source has one, its test set (MNIST IDX directories and
/// Keras's mnist.npz hold both).
public struct DatasetSplits: Sendable {
    public var training: LabelledImages
    public var test: LabelledImages?

    public init(training: LabelledImages, test: LabelledImages? = nil) {
        self.training = training
        self.test = test
    }
}

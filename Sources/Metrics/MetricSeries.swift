import Foundation

/// The kinds of metric the text exposition format names in its `# TYPE` line.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram, untyped
}

/// One line of the exposition: a sample name (the family's, or it with `_bucket`, `_sum`,
/// `_count`), its labels in order, and its value.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: [MetricLabel]
    public var value: Double

    public init(name: String, labels: [MetricLabel] = [], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// A label name and value pair of a sample.
public struct MetricLabel: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A family as it is at one scrape: what `# HELP` and `# TYPE` say, and every sample.
public struct MetricFamilySnapshot: Sendable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [MetricSample]

    public init(name: String, help: String, type: MetricType, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// One time series of a family (one combination of label values). Updates are thread-safe
/// and take one uncontended lock, so they are cheap enough for every request.
public protocol MetricSeries: AnyObject, Sendable {
    /// What every series of a family shares (a histogram's buckets); `Void`-like otherwise.
    associatedtype Configuration: Sendable
    static var type: MetricType { get }
    init(configuration: Configuration)
    /// The samples of this series under the family's `name`, with `labels` first.
    func samples(name: String, labels: [MetricLabel]) -> [MetricSample]
}

/// The configuration of series that need none.
public struct NoMetricConfiguration: Sendable {
    public init() {}
}

/// A value that only goes up (requests served, seconds spent); it starts at 0.
public final class CounterSeries: MetricSeries, @unchecked Sendable {
    public static let type = MetricType.counter
    private let lock = NSLock()
    private var current: Double = 0

    public init(configuration: NoMetricConfiguration = NoMetricConfiguration()) {}

    /// Adds `amount`; a negative or NaN amount is ignored, since a counter never goes down.
    public func increment(by amount: Double = 1) {
        guard amount >= 0 else { return }
        lock.lock()
        current += amount
        lock.unlock()
    }

    public var value: Double {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    public func samples(name: String, labels: [MetricLabel]) -> [MetricSample] {
        [MetricSample(name: name, labels: labels, value: value)]
    }
}

/// A value that goes up and down (requests in flight, bytes resident).
public final class GaugeSeries: MetricSeries, @unchecked Sendable {
    public static let type = MetricType.gauge
    private let lock = NSLock()
    private var current: Double = 0

    public init(configuration: NoMetricConfiguration = NoMetricConfiguration()) {}

    public func set(_ value: Double) {
        lock.lock()
        current = value
        lock.unlock()
    }

    public func increment(by amount: Double = 1) {
        lock.lock()
        current += amount
        lock.unlock()
    }

    public func decrement(by amount: Double = 1) { increment(by: -amount) }

    public var value: Double {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    public func samples(name: String, labels: [MetricLabel]) -> [MetricSample] {
        [MetricSample(name: name, labels: labels, value: value)]
    }
}

/// The bucket upper bounds of a histogram, strictly increasing and finite (`+Inf` is implicit).
public struct HistogramBuckets: Sendable, Equatable {
    public let upperBounds: [Double]

    /// Sorts `bounds` and drops duplicates and non-finite values.
    public init(_ bounds: [Double]) {
        upperBounds = Array(Set(bounds.filter(\.isFinite))).sorted()
    }

    /// `count` bounds from `start`, each `factor` times the last (start > 0, factor > 1).
    public static func exponential(start: Double, factor: Double, count: Int) -> HistogramBuckets {
        guard start > 0, factor > 1, count > 0 else { return HistogramBuckets([]) }
        return HistogramBuckets((0..<count).map { start * pow(factor, Double($0)) })
    }

    /// Request latencies of a fast model server: 0.5 ms to 10 s. Prometheus's own default
    /// starts at 5 ms, where most of our predictions would fall in the first bucket.
    public static let latencySeconds = HistogramBuckets([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ])

    /// Batch sizes: powers of two up to 256.
    public static let batchSizes = HistogramBuckets([1, 2, 4, 8, 16, 32, 64, 128, 256])
}

/// A distribution of observations (durations, sizes): a count per bucket, their sum and count.
public final class HistogramSeries: MetricSeries, @unchecked Sendable {
    public static let type = MetricType.histogram
    public let buckets: HistogramBuckets
    private let lock = NSLock()
    /// Observations per bucket, not cumulative; the last entry is the `+Inf` bucket.
    private var counts: [UInt64]
    private var sum: Double = 0
    private var count: UInt64 = 0

    public init(configuration: HistogramBuckets) {
        buckets = configuration
        counts = [UInt64](repeating: 0, count: configuration.upperBounds.count + 1)
    }

    /// Records one observation; NaN is ignored (it would make the sum NaN for good).
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let bounds = buckets.upperBounds
        // Binary search for the first bound >= value (values equal to a bound belong to it).
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) / 2
            if bounds[middle] < value { low = middle + 1 } else { high = middle }
        }
        lock.lock()
        counts[low] &+= 1
        sum += value
        count &+= 1
        lock.unlock()
    }

    /// Cumulative counts per upper bound (the last for `+Inf`), the sum and the count, read together.
    public var snapshot: (cumulativeCounts: [UInt64], sum: Double, count: UInt64) {
        lock.lock()
        let counts = self.counts
        let sum = self.sum
        let count = self.count
        lock.unlock()
        var running: UInt64 = 0
        return (counts.map { running &+= $0; return running }, sum, count)
    }

    public func samples(name: String, labels: [MetricLabel]) -> [MetricSample] {
        let (cumulative, sum, count) = snapshot
        var samples: [MetricSample] = []
        samples.reserveCapacity(cumulative.count + 2)
        for (index, total) in cumulative.enumerated() {
            let bound = index < buckets.upperBounds.count ? buckets.upperBounds[index] : .infinity
            samples.append(MetricSample(name: name + "_bucket",
                                        labels: labels + [MetricLabel("le", TextExposition.format(bound))],
                                        value: Double(total)))
        }
        samples.append(MetricSample(name: name + "_sum", labels: labels, value: sum))
        samples.append(MetricSample(name: name + "_count", labels: labels, value: Double(count)))
        return samples
    }
}

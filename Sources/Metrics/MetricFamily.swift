import Foundation

/// A named metric with fixed label names and one series per combination of label values,
/// created on first use. Look a series up once and keep it where a hot path updates it often.
public final class MetricFamily<Series: MetricSeries>: MetricsCollector, @unchecked Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    /// Series beyond this many are still handed out but not exported, so label values that come
    /// from outside (a method, a status) can never grow memory without bound.
    public let maxSeries: Int
    private let configuration: Series.Configuration
    private let lock = NSLock()
    private var series: [[String]: Series] = [:]
    /// Label values in creation order, for stable output, and their series in the same order.
    private var order: [[String]] = []
    private var orderedSeries: [Series] = []
    /// Up to this many series are found by comparing label values in order rather than by
    /// hashing them: hashing an array of strings costs more than a few comparisons, and a
    /// request updates three families.
    private static var scanLimit: Int { 8 }

    init(name: String, help: String, labelNames: [String], configuration: Series.Configuration, maxSeries: Int) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.configuration = configuration
        self.maxSeries = maxSeries
        if labelNames.isEmpty { _ = labels([]) }  // an unlabelled metric is exported from the start, at 0
    }

    /// The series for these label values, one per label name in order.
    public func labels(_ values: String...) -> Series { labels(values) }

    // One to three values, the families a request updates: found without building the array
    // a variadic call allocates (it is built only when the series is new).
    public func labels(_ a: String) -> Series {
        series(count: 1, matching: { $0[0] == a }, values: { [a] })
    }

    public func labels(_ a: String, _ b: String) -> Series {
        series(count: 2, matching: { $0[0] == a && $0[1] == b }, values: { [a, b] })
    }

    public func labels(_ a: String, _ b: String, _ c: String) -> Series {
        series(count: 3, matching: { $0[0] == a && $0[1] == b && $0[2] == c }, values: { [a, b, c] })
    }

    public func labels(_ values: [String]) -> Series {
        series(count: values.count, matching: { $0 == values }, values: { values })
    }

    private func series(count: Int, matching: ([String]) -> Bool, values makeValues: () -> [String]) -> Series {
        precondition(count == labelNames.count,
                     "\(name) takes \(labelNames.count) label value(s) (\(labelNames.joined(separator: ", "))), got \(count)")
        lock.lock()
        defer { lock.unlock() }
        if order.count <= Self.scanLimit {
            for index in order.indices where matching(order[index]) { return orderedSeries[index] }
        }
        let values = makeValues()
        if order.count > Self.scanLimit, let existing = series[values] {
            return existing
        }
        let created = Series(configuration: configuration)
        if series.count < maxSeries {
            series[values] = created
            order.append(values)
            orderedSeries.append(created)
        }
        return created
    }

    /// The series of a family without labels.
    public var unlabelled: Series { labels([]) }

    /// Removes the series of these label values (a model version replaced, a job forgotten).
    public func remove(_ values: String...) {
        lock.lock()
        defer { lock.unlock() }
        guard !labelNames.isEmpty, series.removeValue(forKey: values) != nil,
              let index = order.firstIndex(of: values) else { return }
        order.remove(at: index)
        orderedSeries.remove(at: index)
    }

    /// Removes every series (a model unloaded, a job forgotten); an unlabelled family keeps its one.
    public func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        guard !labelNames.isEmpty else { return }
        series.removeAll()
        order.removeAll()
        orderedSeries.removeAll()
    }

    public func collect() -> [MetricFamilySnapshot] {
        lock.lock()
        let entries = zip(order, orderedSeries).map { ($0, $1) }
        lock.unlock()
        var samples: [MetricSample] = []
        for (values, series) in entries {
            let labels = zip(labelNames, values).map { MetricLabel($0, $1) }
            samples += series.samples(name: name, labels: labels)
        }
        return [MetricFamilySnapshot(name: name, help: help, type: Series.type, samples: samples)]
    }
}

public typealias Counter = MetricFamily<CounterSeries>
public typealias Gauge = MetricFamily<GaugeSeries>
public typealias Histogram = MetricFamily<HistogramSeries>

extension MetricFamily where Series == CounterSeries {
    public func increment(by amount: Double = 1) { unlabelled.increment(by: amount) }
}

extension MetricFamily where Series == GaugeSeries {
    public func set(_ value: Double) { unlabelled.set(value) }
    public func increment(by amount: Double = 1) { unlabelled.increment(by: amount) }
    public func decrement(by amount: Double = 1) { unlabelled.decrement(by: amount) }
}

extension MetricFamily where Series == HistogramSeries {
    public func observe(_ value: Double) { unlabelled.observe(value) }
}

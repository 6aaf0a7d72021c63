import Foundation

/// Something that contributes families at scrape time: a family of its own series, or a
/// reader of state kept elsewhere (process figures from /proc, training jobs).
public protocol MetricsCollector: AnyObject, Sendable {
    func collect() -> [MetricFamilySnapshot]
}

/// A collector from a closure, for figures computed when scraped.
public final class ClosureCollector: MetricsCollector, @unchecked Sendable {
    private let body: @Sendable () -> [MetricFamilySnapshot]
    public init(_ body: @escaping @Sendable () -> [MetricFamilySnapshot]) { self.body = body }
    public func collect() -> [MetricFamilySnapshot] { body() }
}

/// The metrics of one process, exported in registration order as Prometheus's text format.
///
/// Names and labels are checked when registered, since they come from code, not from input:
/// a bad name, a counter without `_total`, or one name registered twice with another type or
/// labels stops the program with a message (a programming error, found by the first test).
public final class MetricsRegistry: @unchecked Sendable {
    /// The Content-Type of `exposition()`, as Prometheus's scraper expects it.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let lock = NSLock()
    private var collectors: [MetricsCollector] = []
    private var families: [String: (type: MetricType, labels: [String], family: MetricsCollector)] = [:]

    public init() {}

    public func counter(_ name: String, help: String, labels: [String] = [], maxSeries: Int = 10_000) -> Counter {
        precondition(name.hasSuffix("_total"), "counter \(name) must end in _total (Prometheus naming)")
        return family(name, help: help, labels: labels, configuration: NoMetricConfiguration(), maxSeries: maxSeries)
    }

    public func gauge(_ name: String, help: String, labels: [String] = [], maxSeries: Int = 10_000) -> Gauge {
        family(name, help: help, labels: labels, configuration: NoMetricConfiguration(), maxSeries: maxSeries)
    }

    public func histogram(_ name: String, help: String, labels: [String] = [],
                          buckets: HistogramBuckets = .latencySeconds, maxSeries: Int = 10_000) -> Histogram {
        precondition(!labels.contains("le"), "histogram \(name) may not use the label name 'le'")
        return family(name, help: help, labels: labels, configuration: buckets, maxSeries: maxSeries)
    }

    /// Adds a collector whose families are exported after those registered before it.
    public func register(_ collector: MetricsCollector) {
        lock.lock()
        collectors.append(collector)
        lock.unlock()
    }

    /// Every family's current samples in the text exposition format (version 0.0.4).
    public func exposition() -> String {
        lock.lock()
        let collectors = self.collectors
        lock.unlock()
        var text = ""
        for collector in collectors {
            for family in collector.collect() { TextExposition.write(family, to: &text) }
        }
        return text
    }

    /// The same family when the name is registered again with the same type and labels.
    private func family<Series: MetricSeries>(_ name: String, help: String, labels: [String],
                                              configuration: Series.Configuration, maxSeries: Int) -> MetricFamily<Series> {
        precondition(TextExposition.isValidMetricName(name), "'\(name)' is not a valid metric name")
        for label in labels {
            precondition(TextExposition.isValidLabelName(label) && !label.hasPrefix("__"),
                         "'\(label)' is not a valid label name for \(name)")
        }
        precondition(Set(labels).count == labels.count, "\(name) repeats a label name")
        lock.lock()
        defer { lock.unlock() }
        if let existing = families[name] {
            guard existing.type == Series.type, existing.labels == labels,
                  let family = existing.family as? MetricFamily<Series> else {
                preconditionFailure("\(name) is already registered as a \(existing.type.rawValue) with labels \(existing.labels)")
            }
            return family
        }
        let family = MetricFamily<Series>(name: name, help: help, labelNames: labels,
                                          configuration: configuration, maxSeries: maxSeries)
        families[name] = (Series.type, labels, family)
        collectors.append(family)
        return family
    }
}

import Foundation
import XCTest
@testable import Metrics

final class SeriesTests: XCTestCase {
    func testHistogramPutsAValueEqualToABoundInThatBucket() {
        let series = HistogramSeries(configuration: HistogramBuckets([1, 2, 5]))
        for value in [0.5, 1, 1.0000001, 2, 5, 6, -3] { series.observe(value) }
        series.observe(.nan)
        let (cumulative, sum, count) = series.snapshot
        XCTAssertEqual(cumulative, [3, 5, 6, 7])
        XCTAssertEqual(count, 7)
        XCTAssertEqual(sum, 0.5 + 1 + 1.0000001 + 2 + 5 + 6 - 3, accuracy: 1e-12)
    }

    func testBucketsAreSortedAndDeduplicated() {
        XCTAssertEqual(HistogramBuckets([5, 1, 1, .infinity, 2]).upperBounds, [1, 2, 5])
        XCTAssertEqual(HistogramBuckets.exponential(start: 0.001, factor: 10, count: 3).upperBounds.map { ($0 * 1e6).rounded() },
                       [1_000, 10_000, 100_000])
        XCTAssertEqual(HistogramBuckets.exponential(start: 0, factor: 2, count: 3).upperBounds, [])
    }

    func testCounterNeverGoesDown() {
        let counter = CounterSeries()
        counter.increment(by: 2.5)
        counter.increment(by: -1)
        counter.increment(by: .nan)
        XCTAssertEqual(counter.value, 2.5)
    }

    func testConcurrentUpdatesAreAllCounted() {
        let registry = MetricsRegistry()
        let counter = registry.counter("hits_total", help: "Hits.", labels: ["worker"])
        let histogram = registry.histogram("sizes", help: "Sizes.", buckets: HistogramBuckets([10]))
        let gauge = registry.gauge("level", help: "Level.")
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<5_000 {
                counter.labels("w\(worker % 2)").increment()
                histogram.observe(Double(step % 20))
                gauge.increment()
                gauge.decrement()
            }
        }
        XCTAssertEqual(counter.labels("w0").value + counter.labels("w1").value, 40_000)
        let (cumulative, _, count) = histogram.unlabelled.snapshot
        XCTAssertEqual(count, 40_000)
        XCTAssertEqual(cumulative, [22_000, 40_000])
        XCTAssertEqual(gauge.unlabelled.value, 0)
    }

    func testSeriesBeyondTheCapWorkButAreNotExported() {
        let registry = MetricsRegistry()
        let family = registry.counter("by_client_total", help: "Per client.", labels: ["client"], maxSeries: 2)
        for client in ["a", "b", "c"] { family.labels(client).increment() }
        family.labels("c").increment()
        let text = registry.exposition()
        XCTAssertTrue(text.contains("by_client_total{client=\"a\"} 1"))
        XCTAssertTrue(text.contains("by_client_total{client=\"b\"} 1"))
        XCTAssertFalse(text.contains("client=\"c\""), text)
    }

    func testRemoveAllForgetsLabelledSeries() {
        let registry = MetricsRegistry()
        let models = registry.gauge("models_loaded", help: "Models.", labels: ["id"])
        models.labels("mnist").set(1)
        models.labels("other").set(1)
        models.remove("other")
        XCTAssertFalse(registry.exposition().contains("other"))
        XCTAssertTrue(registry.exposition().contains("models_loaded{id=\"mnist\"} 1"))
        models.removeAll()
        XCTAssertFalse(registry.exposition().contains("mnist"))
    }
}

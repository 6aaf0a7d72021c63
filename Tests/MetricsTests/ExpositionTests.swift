import Foundation
import XCTest
@testable import Metrics

final class ExpositionTests: XCTestCase {
    func testRegistryWritesTheTextFormatExactly() {
        let registry = MetricsRegistry()
        let requests = registry.counter("app_requests_total", help: "Requests answered.", labels: ["route", "status"])
        let inFlight = registry.gauge("app_in_flight_requests", help: "Requests being answered.")
        let latency = registry.histogram("app_latency_seconds", help: "Latency.", labels: ["route"],
                                         buckets: HistogramBuckets([0.1, 1]))
        requests.labels("/a", "200").increment()
        requests.labels("/a", "200").increment(by: 2)
        requests.labels("/b", "404").increment()
        inFlight.increment()
        inFlight.increment()
        inFlight.decrement()
        latency.labels("/a").observe(0.05)
        latency.labels("/a").observe(0.1)
        latency.labels("/a").observe(0.5)
        latency.labels("/a").observe(7)
        XCTAssertEqual(registry.exposition(), """
            # HELP app_requests_total Requests answered.
            # TYPE app_requests_total counter
            app_requests_total{route="/a",status="200"} 3
            app_requests_total{route="/b",status="404"} 1
            # HELP app_in_flight_requests Requests being answered.
            # TYPE app_in_flight_requests gauge
            app_in_flight_requests 1
            # HELP app_latency_seconds Latency.
            # TYPE app_latency_seconds histogram
            app_latency_seconds_bucket{route="/a",le="0.1"} 2
            app_latency_seconds_bucket{route="/a",le="1"} 3
            app_latency_seconds_bucket{route="/a",le="+Inf"} 4
            app_latency_seconds_sum{route="/a"} 7.65
            app_latency_seconds_count{route="/a"} 4

            """)
    }

    func testUnlabelledFamiliesAreExportedAtZeroAndLabelledOnesWithoutSamples() {
        let registry = MetricsRegistry()
        _ = registry.counter("jobs_total", help: "Jobs.")
        _ = registry.counter("errors_total", help: "Errors.", labels: ["kind"])
        _ = registry.histogram("wait_seconds", help: "Wait.", buckets: HistogramBuckets([1]))
        XCTAssertEqual(registry.exposition(), """
            # HELP jobs_total Jobs.
            # TYPE jobs_total counter
            jobs_total 0
            # HELP errors_total Errors.
            # TYPE errors_total counter
            # HELP wait_seconds Wait.
            # TYPE wait_seconds histogram
            wait_seconds_bucket{le="1"} 0
            wait_seconds_bucket{le="+Inf"} 0
            wait_seconds_sum 0
            wait_seconds_count 0

            """)
    }

    func testHelpAndLabelValuesAreEscaped() {
        let registry = MetricsRegistry()
        let family = registry.gauge("odd_values", help: "A \\ backslash\nand a new line.", labels: ["text"])
        family.labels("say \"hi\"\\\r\nbye").set(1)
        let text = registry.exposition()
        XCTAssertTrue(text.contains("# HELP odd_values A \\\\ backslash\\nand a new line.\n"), text)
        XCTAssertTrue(text.contains("odd_values{text=\"say \\\"hi\\\"\\\\\r\\nbye\"} 1\n"), text)
        // Every line but the last ends in a line feed: no raw one escaped into a value.
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, 4)
    }

    func testValueFormatting() {
        XCTAssertEqual(TextExposition.format(3), "3")
        XCTAssertEqual(TextExposition.format(-2), "-2")
        XCTAssertEqual(TextExposition.format(0.005), "0.005")
        XCTAssertEqual(TextExposition.format(1e-05), "1e-05")
        XCTAssertEqual(TextExposition.format(1.5e20), "1.5e+20")
        XCTAssertEqual(TextExposition.format(.infinity), "+Inf")
        XCTAssertEqual(TextExposition.format(-.infinity), "-Inf")
        XCTAssertEqual(TextExposition.format(.nan), "NaN")
        XCTAssertEqual(Double(TextExposition.format(0.1 + 0.2)), 0.1 + 0.2, "round-trips")
    }

    func testNamesAreChecked() {
        XCTAssertTrue(TextExposition.isValidMetricName("a:b_c9"))
        XCTAssertFalse(TextExposition.isValidMetricName("9a"))
        XCTAssertFalse(TextExposition.isValidMetricName("a-b"))
        XCTAssertFalse(TextExposition.isValidMetricName(""))
        XCTAssertTrue(TextExposition.isValidLabelName("_x1"))
        XCTAssertFalse(TextExposition.isValidLabelName("a:b"))
    }

    func testRegisteringANameAgainGivesTheSameFamily() {
        let registry = MetricsRegistry()
        let first = registry.counter("hits_total", help: "Hits.", labels: ["path"])
        let second = registry.counter("hits_total", help: "Hits.", labels: ["path"])
        XCTAssertTrue(first === second)
        first.labels("/x").increment()
        XCTAssertEqual(second.labels("/x").value, 1)
        XCTAssertEqual(registry.exposition().components(separatedBy: "# TYPE hits_total").count, 2, "exported once")
    }

    func testCollectorsAreExportedInRegistrationOrder() {
        let registry = MetricsRegistry()
        _ = registry.gauge("first_value", help: "First.")
        registry.register(ClosureCollector {
            [MetricFamilySnapshot(name: "jobs_running", help: "Jobs.", type: .gauge,
                                  samples: [MetricSample(name: "jobs_running", labels: [MetricLabel("id", "7")], value: 2)])]
        })
        _ = registry.gauge("last_value", help: "Last.")
        let names = registry.exposition().split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.map { $0.split(separator: " ")[2] }
        XCTAssertEqual(names, ["first_value", "jobs_running", "last_value"])
        XCTAssertTrue(registry.exposition().contains("jobs_running{id=\"7\"} 2\n"))
    }

    func testContentTypeIsTheOnePrometheusAsksFor() {
        XCTAssertEqual(MetricsRegistry.contentType, "text/plain; version=0.0.4; charset=utf-8")
    }

    /// promtool, Prometheus's own checker, accepts what we write (skipped where it is not installed;
    /// scripts/check-metrics.sh runs it on a live server's /metrics in CI).
    func testPromtoolAcceptsTheExposition() throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("promtool is not installed (apt-get install prometheus); exposition check skipped") }
        let registry = MetricsRegistry()
        registry.counter("demo_requests_total", help: "Requests.", labels: ["method"]).labels("GET").increment()
        registry.histogram("demo_duration_seconds", help: "Durations.").observe(0.002)
        registry.gauge("demo_temperature_celsius", help: "Weird \"help\" \\ text\nhere.", labels: ["room"])
            .labels("a\"b\\c\nd").set(-1.5)
        registry.register(ProcessMetrics())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(registry.exposition().utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, said)
        XCTAssertEqual(said.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool found problems: \(said)")
    }
}

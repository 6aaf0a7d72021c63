import Foundation
import HTTPServer
import Metrics

/// The service's Prometheus metrics, named by Prometheus's conventions (`_total` counters,
/// `_seconds` histograms, base units) under the `maxswift_` prefix, plus the process figures
/// every client library exports. Route labels are route templates (`/models/{id}/predict`), not
/// raw paths, and methods outside HTTP's usual few count as `other`, so no client can grow the
/// number of series.
///
/// Adapters register their own families in `registry` (a training job's progress, a batcher's
/// queue time) and they appear in the same `/metrics` answer.
public final class ServiceMetrics: Sendable {
    public let registry: MetricsRegistry
    let requests: Counter
    let requestDuration: Histogram
    let responseBytes: Histogram
    let inFlight: Gauge
    let stageDuration: Histogram
    let batchSize: Histogram
    let queueDuration: Histogram
    let inputs: Counter
    let modelInfo: Gauge
    let ready: Gauge

    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        requests = registry.counter("maxswift_http_requests_total", help: "HTTP requests answered, by route template, method and status.",
                                    labels: ["route", "method", "status"])
        requestDuration = registry.histogram("maxswift_http_request_duration_seconds",
                                             help: "Time from a request's first byte to its answer being ready.",
                                             labels: ["route", "method"])
        responseBytes = registry.histogram("maxswift_http_response_body_bytes", help: "Size of response bodies.",
                                           labels: ["route"],
                                           buckets: HistogramBuckets.exponential(start: 64, factor: 4, count: 10))
        inFlight = registry.gauge("maxswift_http_requests_in_flight", help: "Requests being answered now.")
        stageDuration = registry.histogram("maxswift_model_stage_duration_seconds",
                                           help: "Time in each pipeline stage: preprocess and postprocess per input, inference per batch.",
                                           labels: ["model", "stage"])
        batchSize = registry.histogram("maxswift_model_batch_size", help: "Inputs per inference call.", labels: ["model"],
                                       buckets: .batchSizes)
        queueDuration = registry.histogram("maxswift_model_queue_duration_seconds",
                                           help: "Time a request's inputs waited in the dynamic batcher before their batch ran.",
                                           labels: ["model"])
        inputs = registry.counter("maxswift_model_inputs_total",
                                  help: "Inputs through a model's pipeline, by outcome (ok, client_error, error).",
                                  labels: ["model", "outcome"])
        modelInfo = registry.gauge("maxswift_model_loaded", help: "1 for each model served, with its id, plugin and version.",
                                   labels: ["model", "plugin", "version"])
        ready = registry.gauge("maxswift_ready", help: "1 when the service takes traffic, 0 while starting or draining.")
        registry.register(ProcessMetrics())
    }

    // MARK: Requests

    /// Counts one answered request (the HTTP server's `requestObserver`); `route` is the
    /// template that matched, nil when none did.
    public func record(_ record: HTTPRequestRecord, route: String?) {
        let routeLabel = route ?? (record.method == "-" ? "(refused)" : "(unmatched)")
        let method = ServiceMetrics.methodLabel(record.method)
        requests.labels(routeLabel, method, String(record.status)).increment()
        requestDuration.labels(routeLabel, method).observe(record.duration)
        responseBytes.labels(routeLabel).observe(Double(record.bodyBytes))
    }

    /// Around a handler: the in-flight gauge up while it runs.
    public func measureInFlight<Result>(_ body: () throws -> Result) rethrows -> Result {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try body()
    }

    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "-": return method
        default: return "other"
        }
    }

    // MARK: Models

    /// Exports every served model and observes its pipeline from now on (and after replacements).
    public func track(_ registry: ModelRegistry) {
        for served in registry.models {
            served.observer = PipelineMetrics(metrics: self, model: served.id)
            modelInfo.labels(served.id, served.pluginName, String(served.version)).set(1)
            served.onReplace { [self] replaced in
                modelInfo.remove(replaced.id, replaced.pluginName, String(replaced.version - 1))
                modelInfo.labels(replaced.id, replaced.pluginName, String(replaced.version)).set(1)
            }
        }
    }

    /// Exports readiness as `maxswift_ready`.
    public func track(_ health: ServiceHealth) {
        health.onChange { [ready] state in ready.set(state == .ready ? 1 : 0) }
    }

    /// The text `/metrics` answers.
    public func exposition() -> String { registry.exposition() }
}

/// One model's pipeline timings, with its series looked up once.
struct PipelineMetrics: PipelineObserver {
    let stages: [PipelineStage: HistogramSeries]
    let batch: HistogramSeries
    let queue: HistogramSeries
    let outcomes: [PipelineOutcome: CounterSeries]

    init(metrics: ServiceMetrics, model: String) {
        var stages: [PipelineStage: HistogramSeries] = [:]
        for stage in PipelineStage.allCases { stages[stage] = metrics.stageDuration.labels(model, stage.rawValue) }
        self.stages = stages
        batch = metrics.batchSize.labels(model)
        queue = metrics.queueDuration.labels(model)
        var outcomes: [PipelineOutcome: CounterSeries] = [:]
        for outcome in [PipelineOutcome.ok, .clientError, .error] { outcomes[outcome] = metrics.inputs.labels(model, outcome.rawValue) }
        self.outcomes = outcomes
    }

    func observe(_ stage: PipelineStage, seconds: Double, items: Int) {
        stages[stage]?.observe(seconds)
        if stage == .inference { batch.observe(Double(items)) }
    }

    func observe(outcome: PipelineOutcome) {
        outcomes[outcome]?.increment()
    }

    func observeQueue(seconds: Double, items: Int) {
        queue.observe(seconds)
    }
}

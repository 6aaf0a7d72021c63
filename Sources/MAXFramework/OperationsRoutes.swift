import HTTPServer
import Metrics

/// The routes an operator's tools call: Prometheus's `/metrics`, and the liveness and readiness
/// probes of Kubernetes and load balancers. Not tied to a model; served by every service.
enum OperationsRoutes {
    static func routes(health: ServiceHealth, metrics: ServiceMetrics) -> [Route] {
        let tag = "operations"
        let metricsDoc = OperationDoc(
            summary: "Prometheus metrics", description: "Requests, latencies, pipeline stage times, batch sizes, models and process figures in Prometheus's text exposition format 0.0.4.",
            operationId: "get_metrics", tags: [tag],
            responses: [ResponseDoc(200, "The metrics", contentType: "text/plain", schema: .string)])
        let liveDoc = OperationDoc(
            summary: "Liveness probe", description: "200 while the process answers requests at all.",
            operationId: "get_health_live", tags: [tag],
            responses: [ResponseDoc(200, "Alive", schema: probeSchema("live", name: "LiveStatus"))])
        let readyDoc = OperationDoc(
            summary: "Readiness probe",
            description: "200 once every model is loaded; 503 while starting and from the first moment of a shutdown (SIGTERM), so load balancers stop sending before the listener closes.",
            operationId: "get_health_ready", tags: [tag],
            responses: [ResponseDoc(200, "Ready", schema: probeSchema("ready", name: "ReadyStatus")),
                        ResponseDoc(503, "Not ready: starting or draining", schema: probeSchema("ready", name: "ReadyStatus"))])
        return [
            Route("GET", "/metrics", doc: metricsDoc) { _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": MetricsRegistry.contentType],
                             body: Array(metrics.exposition().utf8))
            },
            Route("GET", "/health/live", doc: liveDoc) { _ in liveResponse() },
            Route("GET", "/health/ready", doc: readyDoc) { _ in readyResponse(health) },
        ]
    }

    /// `{"live": true}`, as KServe's server answers its liveness probe.
    static func liveResponse() -> HTTPResponse {
        .json(.ok, #"{"live": true}"#)
    }

    /// `{"ready": true}` with 200, or `{"ready": false, "state": "draining"}` with 503.
    static func readyResponse(_ health: ServiceHealth) -> HTTPResponse {
        let state = health.state
        if state == .ready { return .json(.ok, #"{"ready": true}"#) }
        var response = HTTPResponse.json(.serviceUnavailable, #"{"ready": false, "state": "\#(state.rawValue)"}"#)
        response.headers.set("Retry-After", "1")
        return response
    }

    private static func probeSchema(_ member: String, name: String) -> Schema {
        Schema.object([SchemaProperty(member, .boolean, "The answer"),
                       SchemaProperty("state", .string, "starting or draining, when not ready", required: false)]).named(name)
    }
}

import Foundation
import MAXFramework

/// The Open Inference Protocol (KServe v2, as Triton, KServe, MLServer and OpenVINO serve it)
/// for every served model: server and model metadata, liveness and readiness, and `infer` with
/// JSON or binary tensors. Errors are `{"error": "..."}`, as the protocol has them.
public enum KServe {
    /// Adds the `/v2` routes; always on.
    public static let provider = RouteProvider(name: "kserve") { context in
        KServeRoutes(context: context).routes()
    }

    /// What `GET /v2` reports as the server's name.
    public static let serverName = "max-swift"
}

struct KServeRoutes {
    let context: ServiceContext
    static let tag = "kserve-v2"
    /// Extensions of the protocol served (Triton's names).
    static let extensions = ["binary_tensor_data", "classification"]

    func routes() -> [Route] {
        let registry = context.registry
        let health = context.health
        let serverMetadata = JSONValue.object([
            ("name", .string(KServe.serverName)), ("version", .string(context.configuration.apiVersion)),
            ("extensions", .array(KServeRoutes.extensions.map { .string($0) })),
        ]).serialized
        let model = { (request: RouteRequest) throws -> ServedModel in
            try KServeRoutes.servedModel(request, registry: registry)
        }
        var routes = [
            Route("GET", "/v2", doc: doc("Server metadata", "get_v2_server_metadata", schema: KServeSchemas.serverMetadata)) { _ in
                .json(.ok, serverMetadata)
            },
            Route("GET", "/v2/health/live", doc: doc("Server liveness", "get_v2_health_live", schema: KServeSchemas.live)) { _ in
                .json(.ok, #"{"live": true}"#)
            },
            Route("GET", "/v2/health/ready", doc: doc("Server readiness (503 while starting or draining)", "get_v2_health_ready",
                                                     schema: KServeSchemas.ready)) { _ in
                health.isReady ? .json(.ok, #"{"ready": true}"#) : KServeError.response(.serviceUnavailable, "the server is \(health.state.rawValue)")
            },
        ]
        for versioned in [false, true] {
            let base = versioned ? "/v2/models/{name}/versions/{version}" : "/v2/models/{name}"
            let suffix = versioned ? "_version" : ""
            routes += [
                Route("GET", base, doc: doc("Model metadata", "get_v2_model_metadata" + suffix, schema: KServeSchemas.modelMetadata)) { request in
                    answer { KServeRoutes.metadata(try model(request)) }
                },
                Route("GET", base + "/ready", doc: doc("Model readiness", "get_v2_model_ready" + suffix, schema: KServeSchemas.ready)) { request in
                    answer {
                        let served = try model(request)
                        guard health.isReady else {
                            return KServeError.response(.serviceUnavailable, "model '\(served.id)' is not ready: the server is \(health.state.rawValue)")
                        }
                        return .json(.ok, #"{"name": \#(JSONValue.string(served.id).serialized), "ready": true}"#)
                    }
                },
                Route("POST", base + "/infer", doc: inferDoc(operationId: "post_v2_model_infer" + suffix)) { request in
                    answer {
                        let served = try model(request)
                        if let encoding = request.headers["Content-Encoding"]?.trimmingCharacters(in: .whitespaces).lowercased(),
                           !encoding.isEmpty, encoding != "identity" {
                            throw KServeError(.unsupportedMediaType, "Content-Encoding '\(encoding)' is not supported; send the request uncompressed")
                        }
                        let parsed = try InferenceRequest.parse(body: request.body,
                                                                headerLength: request.headers["Inference-Header-Content-Length"])
                        let outputs = try InferenceRunner.run(parsed, on: served)
                        return try InferenceResponse.encode(model: served.id, version: String(served.version),
                                                            id: parsed.id ?? request.http.requestID, outputs: outputs, request: parsed)
                    }
                },
            ]
        }
        return routes
    }

    /// The served model named in the path, at the version asked for (if any).
    static func servedModel(_ request: RouteRequest, registry: ModelRegistry) throws -> ServedModel {
        let name = request.pathParameter("name") ?? ""
        guard let served = registry.model(id: name) else {
            throw KServeError(.notFound, "unknown model '\(name)'; served: \(registry.models.map { "'\($0.id)'" }.joined(separator: ", "))")
        }
        if let version = request.pathParameter("version"), version != String(served.version) {
            throw KServeError(.notFound, "model '\(name)' has no version '\(version)'; version \(served.version) is served")
        }
        return served
    }

    static func metadata(_ served: ServedModel) -> HTTPResponse {
        let model = served.model
        func tensors(_ specs: [TensorSpec]) -> JSONValue {
            .array(specs.map { spec in
                .object([("name", .string(spec.name)), ("datatype", .string(spec.datatype.rawValue)),
                         ("shape", .array(([-1] + spec.shape).map { .int($0) }))])
            })
        }
        let body = JSONValue.object([
            ("name", .string(served.id)), ("versions", .array([.string(String(served.version))])),
            ("platform", .string("\(KServe.serverName)/\(served.pluginName)")),
            ("inputs", tensors(InferenceRunner.declaredInputs(model))),
            ("outputs", tensors(InferenceRunner.declaredOutputs(model))),
        ])
        return .json(.ok, body.serialized)
    }

    /// Runs a handler, answering its failures in the protocol's `{"error": ...}` body; the
    /// service's own faults are logged in full and answered with a generic 500.
    func answer(_ body: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch let error as KServeError {
            return KServeError.response(error.status, error.message)
        } catch let refusal as HTTPResponseError {
            return KServeError.response(refusal.status, refusal.message)
        } catch {
            context.logger.error("inference failed: \(error)")
            return KServeError.response(.internalServerError, "the model failed to process the request; the server log has details")
        }
    }

    private func doc(_ summary: String, _ operationId: String, schema: Schema) -> OperationDoc {
        OperationDoc(summary: summary, operationId: operationId, tags: [KServeRoutes.tag],
                     responses: [ResponseDoc(200, summary, schema: schema),
                                 ResponseDoc(404, "Unknown model or version", schema: KServeSchemas.error)])
    }

    private func inferDoc(operationId: String) -> OperationDoc {
        OperationDoc(
            summary: "Run inference (Open Inference Protocol)",
            description: "Tensors as JSON `data` (flat or nested, row-major), or with Triton's binary extension: the JSON header's length in `Inference-Header-Content-Length`, then the inputs' bytes (`parameters.binary_data_size`). Numeric inputs are in the model's input shape, batched along the first axis; encoded files are BYTES (base64 in JSON).",
            operationId: operationId, tags: [KServeRoutes.tag],
            parameters: [ParameterDoc(name: "Inference-Header-Content-Length", in: .header, schema: .integer,
                                      description: "Length of the JSON header when binary tensor data follows it")],
            requestBody: RequestBodyDoc(json: JSONInputSpec(schema: KServeSchemas.inferenceRequest, description: "An inference request"),
                                        rawContentTypes: ["application/octet-stream"]),
            responses: [ResponseDoc(200, "The outputs", schema: KServeSchemas.inferenceResponse),
                        ResponseDoc(400, "The request cannot be used", schema: KServeSchemas.error),
                        ResponseDoc(404, "Unknown model or version", schema: KServeSchemas.error)])
    }
}

/// The protocol's JSON shapes, for the documents.
enum KServeSchemas {
    static let error = Schema.object([SchemaProperty("error", .string, "What went wrong")]).named("V2Error")
    static let live = Schema.object([SchemaProperty("live", .boolean, "Always true")]).named("V2Live")
    static let ready = Schema.object([SchemaProperty("ready", .boolean, "Whether it takes requests")]).named("V2Ready")
    static let serverMetadata = Schema.object([
        SchemaProperty("name", .string, "The server's name", example: .string(KServe.serverName)),
        SchemaProperty("version", .string, "Its version"),
        SchemaProperty("extensions", .array(of: .string), "Protocol extensions served"),
    ]).named("V2ServerMetadata")
    static let tensorMetadata = Schema.object([
        SchemaProperty("name", .string, "Tensor name"),
        SchemaProperty("datatype", .string, "Element type (FP32, UINT8, BYTES, ...)"),
        SchemaProperty("shape", .array(of: .integer), "Shape; -1 marks the batch axis"),
    ]).named("V2TensorMetadata")
    static let modelMetadata = Schema.object([
        SchemaProperty("name", .string, "The model's id"),
        SchemaProperty("versions", .array(of: .string), "Versions served"),
        SchemaProperty("platform", .string, "What runs it"),
        SchemaProperty("inputs", .array(of: tensorMetadata), "Inputs (send one)"),
        SchemaProperty("outputs", .array(of: tensorMetadata), "Outputs"),
    ]).named("V2ModelMetadata")
    static let requestInput = Schema.object([
        SchemaProperty("name", .string, "Input name"),
        SchemaProperty("shape", .array(of: .integer), "Shape, batch first"),
        SchemaProperty("datatype", .string, "Element type"),
        SchemaProperty("parameters", .object([], additionalProperties: .any), "binary_data_size with the binary extension", required: false),
        SchemaProperty("data", .any, "Values, flat or nested, row-major", required: false),
    ]).named("V2RequestInput")
    static let requestOutput = Schema.object([
        SchemaProperty("name", .string, "Output name"),
        SchemaProperty("parameters", .object([], additionalProperties: .any), "binary_data, classification", required: false),
    ]).named("V2RequestOutput")
    static let inferenceRequest = Schema.object([
        SchemaProperty("id", .string, "Echoed in the answer", required: false),
        SchemaProperty("parameters", .object([], additionalProperties: .any), "binary_data_output", required: false),
        SchemaProperty("inputs", .array(of: requestInput), "The inputs"),
        SchemaProperty("outputs", .array(of: requestOutput), "Outputs wanted (all when absent)", required: false),
    ]).named("V2InferenceRequest")
    static let responseOutput = Schema.object([
        SchemaProperty("name", .string, "Output name"),
        SchemaProperty("shape", .array(of: .integer), "Shape, batch first"),
        SchemaProperty("datatype", .string, "Element type"),
        SchemaProperty("parameters", .object([], additionalProperties: .any), "binary_data_size with the binary extension", required: false),
        SchemaProperty("data", .array(of: .any), "Values, flat, row-major", required: false),
    ]).named("V2ResponseOutput")
    static let inferenceResponse = Schema.object([
        SchemaProperty("model_name", .string, "The model's id"),
        SchemaProperty("model_version", .string, "Its version"),
        SchemaProperty("id", .string, "The request's id, or the HTTP request id"),
        SchemaProperty("outputs", .array(of: responseOutput), "The outputs"),
    ]).named("V2InferenceResponse")
}

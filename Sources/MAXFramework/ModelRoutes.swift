import HTTPServer
import Logging

/// The routes every served model gets: MAX's `/model/metadata`, `/model/predict` and
/// `/model/labels` for the default model, and `/models`, `/models/{id}/...` for each one.
enum ModelRoutes {
    static func routes(_ registry: ModelRegistry, logger: Logger) -> [Route] {
        var routes = maxRoutes(registry.defaultModel, logger: logger)
        routes.append(catalogue(registry))
        for served in registry.models {
            routes += perModelRoutes(served, logger: logger)
        }
        routes += unknownModelRoutes(registry)
        return routes
    }

    /// `/model/*`, exactly as MAX serves them, for the default model.
    static func maxRoutes(_ served: ServedModel, logger: Logger) -> [Route] {
        let model = served.model
        // Made once: a replacement model gives the same output (ServedModel.replace).
        let responseSchema = predictResponseSchema(model)
        var routes = [
            Route("GET", "/model/metadata", doc: metadataDoc(operationId: "get_model_metadata_api", tag: "model")) { request in
                try FieldsMask.applying(request, to: metadataResponse(served), schema: Schema.modelMetadata)
            },
            Route("POST", "/model/predict", doc: predictDoc(model, operationId: "predict", tag: "model", schemaPrefix: "")) { request in
                try FieldsMask.applying(request, to: predict(served, request, logger: logger), schema: responseSchema)
            },
        ]
        if let labels = model.labels {
            // MAX's classifiers name it `get_labels` (`@MAX_API.doc('get_labels')`).
            routes.append(Route("GET", "/model/labels", doc: labelsDoc(operationId: "get_labels", tag: "model", count: labels.count)) { request in
                try FieldsMask.applying(request, to: labelsResponse(served), schema: labelsSchema(count: labels.count))
            })
        }
        return routes
    }

    /// `/models/{id}/metadata`, `/predict` and, for classifiers, `/labels`, as literal paths so
    /// each model's documents carry its own schemas.
    static func perModelRoutes(_ served: ServedModel, logger: Logger) -> [Route] {
        let model = served.model
        let base = "/models/\(served.id)"
        let tag = "models"
        let suffix = operationSuffix(served.id)
        let responseSchema = predictResponseSchema(model)
        var routes = [
            Route("GET", base + "/metadata", doc: metadataDoc(operationId: "get_metadata_\(suffix)", tag: tag)) { request in
                try FieldsMask.applying(request, to: metadataResponse(served), schema: Schema.modelMetadata)
            },
            Route("POST", base + "/predict",
                  doc: predictDoc(model, operationId: "predict_\(suffix)", tag: tag, schemaPrefix: schemaPrefix(served.id))) { request in
                try FieldsMask.applying(request, to: predict(served, request, logger: logger), schema: responseSchema)
            },
        ]
        if let labels = model.labels {
            routes.append(Route("GET", base + "/labels", doc: labelsDoc(operationId: "get_labels_\(suffix)", tag: tag, count: labels.count)) { request in
                try FieldsMask.applying(request, to: labelsResponse(served), schema: labelsSchema(count: labels.count))
            })
        }
        return routes
    }

    /// GET /models: every served model, the default first.
    static func catalogue(_ registry: ModelRegistry) -> Route {
        let entry = Schema.object([
            SchemaProperty("id", .string, "The model's id in /models/{id}/...", example: .string("mnist")),
            SchemaProperty("plugin", .string, "The plugin serving it", example: .string("mnist")),
            SchemaProperty("default", .boolean, "Whether /model/* serves it"),
            SchemaProperty("metadata", Schema.modelMetadata, "Its metadata"),
            SchemaProperty("links", .object([], additionalProperties: .string), "Its routes"),
        ]).named("ServedModel")
        let doc = OperationDoc(
            summary: "List the served models", operationId: "get_models", tags: ["models"],
            responses: [ResponseDoc(200, "The models, the default first",
                                    schema: .object([SchemaProperty("models", .array(of: entry), "Served models")]).named("ModelList"))])
        return Route("GET", "/models", doc: doc) { _ in
            let models: [JSONValue] = registry.models.enumerated().map { index, served in
                let model = served.model
                var links: [(key: String, value: JSONValue)] = [
                    ("metadata", .string("/models/\(served.id)/metadata")), ("predict", .string("/models/\(served.id)/predict")),
                ]
                if model.labels != nil { links.append(("labels", .string("/models/\(served.id)/labels"))) }
                return .object([("id", .string(served.id)), ("plugin", .string(served.pluginName)),
                                ("default", .bool(index == 0)), ("metadata", model.metadata.json), ("links", .object(links))])
            }
            return .json(.ok, JSONValue.object([("models", .array(models))]).serialized)
        }
    }

    /// `/models/{id}/...` for an id no model has: a 404 that lists the ids.
    static func unknownModelRoutes(_ registry: ModelRegistry) -> [Route] {
        let ids = registry.models.map { "'\($0.id)'" }.joined(separator: ", ")
        let unknown: @Sendable (RouteRequest) throws -> HTTPResponse = { request in
            throw ModelError.notFound("no model '\(request.pathParameter("id") ?? "")'; served: \(ids) (GET /models lists them)")
        }
        return [("GET", "metadata"), ("POST", "predict"), ("GET", "labels")].map { method, leaf in
            Route(method, "/models/{id}/\(leaf)", doc: nil, handler: unknown)
        }
    }

    // MARK: Handlers

    static func metadataResponse(_ served: ServedModel) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: served.model.metadataBody)
    }

    static func labelsResponse(_ served: ServedModel) throws -> HTTPResponse {
        guard let labels = served.model.labels else {
            throw ModelError.notFound("the model '\(served.id)' has no labels")
        }
        let body: JSONValue = .object([
            ("count", .int(labels.count)),
            ("labels", .array(labels.map { .object([("id", .string($0.id)), ("name", .string($0.name))]) })),
        ])
        return .json(.ok, body.serialized)
    }

    static func predict(_ served: ServedModel, _ request: RouteRequest, logger: Logger) throws -> HTTPResponse {
        let inputs = try ModelInputExtractor.inputs(from: request.http, spec: served.model.input)
        return served.respond(to: inputs, logger: logger).response
    }

    // MARK: Documents

    static func metadataDoc(operationId: String, tag: String) -> OperationDoc {
        OperationDoc(summary: "Return the metadata associated with the model", operationId: operationId, tags: [tag],
                     parameters: [FieldsMask.parameter],
                     responses: [ResponseDoc(200, "Model metadata", schema: Schema.modelMetadata)])
    }

    /// `{"count", "labels": [{"id", "name"}]}`, for the documents and the X-Fields mask.
    static func labelsSchema(count: Int) -> Schema {
        let label = Schema.object([
            SchemaProperty("id", .string, "The class index as text", example: .string("0")),
            SchemaProperty("name", .string, "The class name", example: .string("zero")),
        ]).named("ModelLabel")
        return Schema.object([
            SchemaProperty("count", .integer, "How many labels", example: .int(count)),
            SchemaProperty("labels", .array(of: label), "The labels, by class index"),
        ]).named("ModelLabels")
    }

    static func labelsDoc(operationId: String, tag: String, count: Int) -> OperationDoc {
        OperationDoc(summary: "Return the list of labels that can be predicted by the model", operationId: operationId,
                     tags: [tag], parameters: [FieldsMask.parameter],
                     responses: [ResponseDoc(200, "The model's labels", schema: labelsSchema(count: count))])
    }

    /// `{"status", "predictions": [Prediction]}`: what predict answers, for the documents and the X-Fields mask.
    static func predictResponseSchema(_ model: AnyModel, schemaPrefix: String = "") -> Schema {
        let prediction = Schema.object(model.output.properties).named(schemaPrefix + "Prediction")
        return Schema.object([
            SchemaProperty("status", .string, "Response status message", example: .string("ok")),
            SchemaProperty("predictions", .array(of: prediction), "Predicted results"),
        ]).named(schemaPrefix + "ModelPredictResponse")
    }

    static func predictDoc(_ model: AnyModel, operationId: String, tag: String, schemaPrefix: String) -> OperationDoc {
        let response = predictResponseSchema(model, schemaPrefix: schemaPrefix)
        var responses = [ResponseDoc(200, "Predictions (with several files: one entry per file under 'results')", schema: response)]
        var clientErrors = [ResponseDoc.error(400, "The input cannot be used (no file, an empty file, unreadable content)")]
        if model.input.json != nil {
            clientErrors.append(.error(422, "The JSON body does not fit the schema; the message names the first bad member"))
        }
        clientErrors += [
            .error(413, "The body is larger than limits.max_upload_bytes, or carries too many files"),
            .error(415, "The body is of a type this model does not take"),
        ]
        responses += clientErrors.sorted { $0.status < $1.status }
        responses.append(.error(500, "The model failed; the server log has details"))
        return OperationDoc(summary: "Make a prediction given input data", operationId: operationId, tags: [tag],
                            parameters: model.input.queryParameters.map(ParameterDoc.init) + [FieldsMask.parameter],
                            requestBody: RequestBodyDoc(model.input), responses: responses)
    }

    /// An id as part of an operationId (`fashion-mnist` -> `fashion_mnist`).
    static func operationSuffix(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// An id as a schema-name prefix (`fashion-mnist` -> `FashionMnist`).
    static func schemaPrefix(_ id: String) -> String {
        id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

extension Schema {
    /// MAX's metadata: `{"id", "name", "description", "type", "source", "license"}`.
    public static let modelMetadata = Schema.object([
        SchemaProperty("id", .string, "ID of the model"),
        SchemaProperty("name", .string, "Name of the model"),
        SchemaProperty("description", .string, "Description of the model"),
        SchemaProperty("type", .string, "Type of the model"),
        SchemaProperty("source", .string, "Source of the model"),
        SchemaProperty("license", .string, "License of the model"),
    ]).named("ModelMetadata")
}

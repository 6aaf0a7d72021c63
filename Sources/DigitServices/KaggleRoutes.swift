import MAXFramework

/// The Kaggle digit recognizer's contract: `POST /predict` with one JSON row
/// (`{"pixel0": 0, ..., "pixel783": 0}`) answered with the best prediction; and Kaggle's CSV on
/// `POST /model/predict` (and `/models/{id}/predict`): test.csv in, a submission
/// (`ImageId,Label`, ImageId from 1) out.
enum KaggleRoutes {
    /// Rows handed to the model at once.
    static let batchSize = 64

    static func routes(_ context: ServiceContext) -> [Route] {
        var routes: [Route] = []
        let registry = context.registry
        let defaultModel = registry.defaultModel
        if defaultModel.model.input.json != nil {
            routes.append(Route("POST", "/predict", doc: predictDoc) { request in
                try predictOneRow(request, served: defaultModel)
            })
            routes.append(csvRoute("/model/predict", served: defaultModel))
        }
        for served in registry.models where served.model.input.json != nil {
            routes.append(csvRoute("/models/\(served.id)/predict", served: served))
        }
        return routes
    }

    /// One row in, `{"prediction": 7, "probability": 0.9999}` (the model's best prediction) out.
    static func predictOneRow(_ request: RouteRequest, served: ServedModel) throws -> HTTPResponse {
        guard MediaType.isJSON(MediaType.essence(of: request.headers["Content-Type"] ?? "application/json")) else {
            throw ModelError.unsupportedMediaType("POST /predict takes one Kaggle row as application/json")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(request.body)
        } catch {
            throw ModelError.badRequest("the body is not valid JSON: \(error)")
        }
        guard document.objectMembers != nil else {
            throw ModelError.unprocessable("body: POST /predict takes one row (an object); send a list of rows to /model/predict")
        }
        let answer = try served.run([ModelInput(.json(document), query: everyRowAnswered(request.http.query))])[0].get()
        guard let best = answer.predictions.first else {
            throw ModelError.unprocessable("the model made no prediction for this row")
        }
        return .json(.ok, best.serialized)
    }

    /// The Kaggle recognizer labels every row: unless the client sets one, the query asks for
    /// threshold 0, so a model that can refuse a picture as "not a digit" still answers its best digit.
    static func everyRowAnswered(_ query: [(String, String)]) -> [(String, String)] {
        query.contains { $0.0 == "threshold" } ? query : query + [("threshold", "0")]
    }

    static func csvRoute(_ path: String, served: ServedModel) -> Route {
        Route("POST", path, doc: nil, contentTypes: ["text/csv"]) { request in
            try submission(request, served: served)
        }
    }

    /// test.csv in, `ImageId,Label` out: the label is the first member of each row's best prediction.
    static func submission(_ request: RouteRequest, served: ServedModel) throws -> HTTPResponse {
        let csv = try KaggleCSV.parse(request.body)
        var output = "ImageId,Label\n"
        var imageID = 1
        var start = 0
        while start < csv.lines.count {
            let chunk = try csv.documents(start..<min(start + batchSize, csv.lines.count))
            let query = everyRowAnswered(request.http.query)
            let results = served.run(chunk.map { ModelInput(.json($0.document), query: query) })
            for (row, result) in zip(chunk, results) {
                let answer: ModelAnswer
                do {
                    answer = try result.get()
                } catch let refusal as HTTPResponseError {
                    throw ModelError(refusal.status, "line \(row.line): \(refusal.message)")
                }
                guard let label = answer.predictions.first?.objectMembers?.first?.value else {
                    throw ModelError.unprocessable("line \(row.line): the model made no prediction")
                }
                output += "\(imageID),\(label.stringValue ?? label.serialized)\n"
                imageID += 1
            }
            start += batchSize
        }
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/csv; charset=utf-8",
                                                   "Content-Disposition": "attachment; filename=\"submission.csv\""],
                            body: Array(output.utf8))
    }

    static let predictDoc = OperationDoc(
        summary: "Predict the digit of one Kaggle row (the Kaggle digit recognizer's route)",
        description: "One row of Kaggle's digit-recognizer CSV as JSON: pixel0 ... pixel783, 0-255, ink high. A list of rows, {\"pixels\": [...]} and text/csv (test.csv, answered with a submission CSV) go to POST /model/predict.",
        operationId: "kaggle_predict", tags: ["digit-services"],
        requestBody: RequestBodyDoc(json: JSONInputSpec(
            schema: .object([], additionalProperties: Schema.number.range(0, 255)).named("KaggleRowBody"),
            description: "One Kaggle row",
            example: .object((0..<784).map { ("pixel\($0)", .int(0)) }))),
        responses: [
            ResponseDoc(200, "The best prediction", schema: .object([
                SchemaProperty("prediction", .integer, "The digit", example: .int(7)),
                SchemaProperty("probability", .number, "Its probability", example: .number(0.9999)),
            ]).named("KaggleAnswer")),
            .error(400, "The body is not JSON"),
            .error(422, "A value is missing, not a number or outside 0-255; the message names it"),
        ])
}

import ImageCodecs
import MAXFramework
import MNIST

/// The routes of the Digits-Recognition service (FastAPI), served from the MNIST plugin's digit
/// finder so a client written for it works unchanged:
/// - `POST /predictions` -> `{"predictions": [[[x, y], label], ...]}`
/// - `POST /probabilities` -> `{"probabilities": [[[x, y], [p0, ..., p9]], ...]}`
/// - `POST /annotations` -> `image/png`, the picture with each label drawn above its digit.
/// Each takes the multipart field `file` with content type image/jpeg or image/png; another type
/// is 400 `{"detail": "Invalid file type"}`, a missing field FastAPI's 422. `[x, y]` is the
/// digit's top-left corner in the input's pixels; digits come in reading order, and what is
/// not a digit is left out (the original had no such test).
public enum DigitsRecognitionRoutes {
    static let acceptedTypes = ["image/jpeg", "image/png"]

    /// On whenever the served model is an MNIST model.
    public static let provider = RouteProvider(name: "digits-recognition") { context in
        guard context.registry.defaultModel.model.wrapper is MNISTModel else { return [] }
        let registry = context.registry
        func route(_ path: String, _ doc: OperationDoc, _ answer: @escaping @Sendable (Image, [DigitReading]) -> HTTPResponse) -> Route {
            Route("POST", path, doc: doc) { request in
                guard let model = registry.defaultModel.model.wrapper as? MNISTModel else {
                    return detail(.notFound, "the served model is not an MNIST model")
                }
                switch upload(request.http) {
                case .failure(let response): return response
                case .success(let bytes):
                    let image: Image
                    let digits: [DigitReading]
                    do {
                        image = try model.decode(ModelInput(bytes: bytes))
                        digits = try model.read(image, query: { _ in nil }).accepted
                    } catch let error as HTTPResponseError {
                        return detail(error.status, error.message)
                    }
                    return answer(image, digits)
                }
            }
        }
        return [
            route("/predictions", doc("Every digit's top-left corner and label", "predictions_predictions_post", schema: predictionsSchema)) { _, digits in
                let pairs: [JSONValue] = digits.map { .array([corner($0), .int($0.prediction)]) }
                return .json(.ok, JSONValue.object([("predictions", .array(pairs))]).serialized)
            },
            route("/probabilities", doc("Every digit's top-left corner and its ten probabilities", "probabilities_probabilities_post",
                                        schema: probabilitiesSchema)) { _, digits in
                let pairs: [JSONValue] = digits.map { digit in
                    .array([corner(digit), .array(digit.probabilities.map { .number(Double($0)) })])
                }
                return .json(.ok, JSONValue.object([("probabilities", .array(pairs))]).serialized)
            },
            route("/annotations", doc("The picture with each digit's label drawn above it", "annotations_annotations_post",
                                      contentType: "image/png")) { image, digits in
                let drawn = DigitAnnotation.draw(digits, on: image, style: .labelAbove)
                return HTTPResponse(status: .ok, headers: ["Content-Type": "image/png"], body: PNGEncoder.encode(drawn))
            },
        ]
    }

    enum Upload { case success([UInt8]), failure(HTTPResponse) }

    /// The `file` part, checked as the original checks it.
    static func upload(_ request: HTTPRequest) -> Upload {
        let contentType = request.headers["Content-Type"] ?? ""
        guard MediaType.essence(of: contentType) == "multipart/form-data",
              let parts = try? MultipartFormData.parse(body: request.body, contentType: contentType),
              let file = parts.first(where: { $0.name == "file" }) else {
            // FastAPI's answer to a request without the required form field.
            let missing: JSONValue = .object([("detail", .array([.object([
                ("loc", .array([.string("body"), .string("file")])), ("msg", .string("field required")),
                ("type", .string("value_error.missing")),
            ])]))])
            return .failure(.json(.unprocessableContent, missing.serialized))
        }
        guard let type = file.contentType.map(MediaType.essence(of:)), acceptedTypes.contains(type) else {
            return .failure(detail(.badRequest, "Invalid file type"))
        }
        return .success(file.body)
    }

    static func detail(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        .json(status, JSONValue.object([("detail", .string(message))]).serialized)
    }

    static func corner(_ digit: DigitReading) -> JSONValue {
        .array([.int(digit.box?.x ?? 0), .int(digit.box?.y ?? 0)])
    }

    static let predictionsSchema: Schema = .object([
        SchemaProperty("predictions", .array(of: .array(of: .any, count: 2...2)), "[[x, y], label] for each digit, in reading order",
                       example: .array([.array([.array([.int(12), .int(40)]), .int(7)])])),
    ])
    static let probabilitiesSchema: Schema = .object([
        SchemaProperty("probabilities", .array(of: .array(of: .any, count: 2...2)),
                       "[[x, y], [p0, ..., p9]] for each digit, in reading order"),
    ])

    static func doc(_ summary: String, _ operationId: String, schema: Schema? = nil, contentType: String = "application/json") -> OperationDoc {
        OperationDoc(summary: summary, description: "Digits-Recognition's route: multipart field 'file', image/jpeg or image/png.",
                     operationId: operationId, tags: ["digits-recognition"],
                     requestBody: RequestBodyDoc(files: FileInputSpec(fieldNames: ["file"], contentTypes: acceptedTypes,
                                                                      description: "A picture with digits", maxFiles: 1)),
                     responses: [ResponseDoc(200, summary, contentType: contentType, schema: schema),
                                 ResponseDoc(400, "Invalid file type: {\"detail\": \"Invalid file type\"}"),
                                 ResponseDoc(422, "The field 'file' is missing")])
    }
}

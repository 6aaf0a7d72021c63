import ImageCodecs
import MAXFramework

/// The MNIST plugin's route beside MAX's: `POST /model/annotate` answers the input picture as a
/// PNG with each digit's box and label drawn, read as `POST /model/predict` reads it (same
/// input, same `digits` and `threshold` parameters).
public enum MNISTRoutes {
    public static let provider = RouteProvider(name: "mnist-annotate") { context in
        guard context.registry.defaultModel.model.wrapper is MNISTModel else { return [] }
        let registry = context.registry
        return [Route("POST", "/model/annotate", doc: annotateDoc(registry.defaultModel.model.input)) { request in
            guard let model = registry.defaultModel.model.wrapper as? MNISTModel else {
                throw ModelError.notFound("the served model is not an MNIST model")
            }
            let inputs = try registry.defaultModel.model.input.inputs(from: request.http)
            guard inputs.count == 1, let input = inputs.first else {
                throw ModelError.badRequest("send one picture to annotate (got \(inputs.count))")
            }
            guard !input.bytes.isEmpty else { throw ModelError.badRequest("the uploaded file is empty") }
            let image = try model.decode(input)
            let answer = try model.read(image, query: input.queryValue)
            let drawn = DigitAnnotation.draw(answer.accepted, on: image, style: .boxAndLabel)
            return HTTPResponse(status: .ok, headers: ["Content-Type": "image/png"], body: PNGEncoder.encode(drawn))
        }]
    }

    static func annotateDoc(_ input: ModelInputSpec) -> OperationDoc {
        OperationDoc(
            summary: "Return the picture with each digit's box and label drawn",
            description: "Reads the picture as /model/predict does and draws what it found: a red box around each digit and its label above it.",
            operationId: "annotate_model_api", tags: ["model"],
            parameters: input.queryParameters.filter { $0.name != "top_k" }.map {
                ParameterDoc(name: $0.name, in: .query, schema: $0.type, description: $0.description, defaultValue: $0.defaultValue)
            },
            requestBody: RequestBodyDoc(files: input.files),
            responses: [ResponseDoc(200, "The annotated picture", contentType: "image/png"),
                        .error(400, "The upload is not a readable picture, or a parameter is wrong"),
                        .error(413, "The picture has more pixels than the server takes")])
    }
}

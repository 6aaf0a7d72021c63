/// The Swagger 2.0 document MAX serves at /swagger.json, generated from the model's declared
/// input and output: every route with its parameters and response schemas.
enum SwaggerDocument {
    static func build(api: APIDescription, model: AnyModel, webApp: Bool = true) -> JSONValue {
        let errorResponse: (String) -> JSONValue = { description in
            .object([("description", .string(description)), ("schema", reference("ErrorResponse"))])
        }
        let uploadField = model.input.fieldNames.first ?? "file"
        let alternatives = model.input.fieldNames.dropFirst().map { "'\($0)'" }
        var uploadDescription = model.input.description
        if !alternatives.isEmpty {
            uploadDescription += " (the field may also be named \(alternatives.joined(separator: " or ")); a raw body with an image Content-Type is accepted too)"
        }
        var predictParameters: [JSONValue] = [
            .object([("name", .string(uploadField)), ("in", .string("formData")), ("type", .string("file")),
                     ("required", .bool(true)), ("description", .string(uploadDescription))]),
        ]
        for parameter in model.input.queryParameters {
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(parameter.name)), ("in", .string("query")), ("required", .bool(false)),
                ("description", .string(parameter.description)),
            ]
            members += typeMembers(parameter.type)
            if let defaultValue = parameter.defaultValue { members.append(("default", defaultValue)) }
            predictParameters.append(.object(members))
        }

        let page: (String, String, String) -> (key: String, value: JSONValue) = { path, summary, operationId in
            (key: path, value: .object([("get", .object([
                ("tags", .array([.string("docs")])), ("summary", .string(summary)),
                ("operationId", .string(operationId)), ("produces", .array([.string("text/html")])),
                ("responses", .object([("200", .object([("description", .string("An HTML page (it works offline)"))]))])),
            ]))]))
        }
        var pages = [page("/", "Interactive API documentation: every route, with a form to try it", "getDocs")]
        if webApp {
            pages.append(page("/app", "Demo app: draw a digit or give a picture, see the answer", "getWebApp"))
        }
        let paths: JSONValue = .object(pages + [
            ("/swagger.json", .object([("get", .object([
                ("tags", .array([.string("docs")])), ("summary", .string("This Swagger 2.0 document")),
                ("operationId", .string("getSwagger")), ("produces", .array([.string("application/json")])),
                ("responses", .object([("200", .object([("description", .string("The API description"))]))])),
            ]))])),
            ("/model/metadata", .object([("get", .object([
                ("tags", .array([.string("model")])), ("summary", .string("Return the metadata associated with the model")),
                ("operationId", .string("getMetadata")), ("produces", .array([.string("application/json")])),
                ("responses", .object([("200", .object([("description", .string("Model metadata")),
                                                         ("schema", reference("ModelMetadata"))]))])),
            ]))])),
            ("/model/predict", .object([("post", .object([
                ("tags", .array([.string("model")])), ("summary", .string("Make a prediction given input data")),
                ("operationId", .string("predict")),
                ("consumes", .array([.string("multipart/form-data")])),
                ("produces", .array([.string("application/json")])),
                ("parameters", .array(predictParameters)),
                ("responses", .object([
                    ("200", .object([("description", .string("Predictions")), ("schema", reference("ModelPredictResponse"))])),
                    ("400", errorResponse("No file, an empty file, or a file the model cannot read (not an image, corrupt)")),
                    ("413", errorResponse("The upload is larger than limits.max_upload_bytes")),
                    ("415", errorResponse("The body is neither multipart/form-data nor an image")),
                    ("500", errorResponse("The model failed; the server log has details")),
                ])),
            ]))])),
        ])

        let stringProperty: (String) -> JSONValue = { description in
            .object([("type", .string("string")), ("description", .string(description))])
        }
        let definitions: JSONValue = .object([
            ("ModelMetadata", .object([
                ("type", .string("object")),
                ("required", .array(["id", "name", "description", "type", "source", "license"].map { .string($0) })),
                ("properties", .object([
                    ("id", stringProperty("ID of the model")), ("name", stringProperty("Name of the model")),
                    ("description", stringProperty("Description of the model")),
                    ("type", stringProperty("Type of the model")), ("source", stringProperty("Source of the model")),
                    ("license", stringProperty("License of the model")),
                ])),
            ])),
            ("Prediction", schema(for: .object(model.output.properties))),
            ("ModelPredictResponse", .object([
                ("type", .string("object")),
                ("required", .array([.string("status"), .string("predictions")])),
                ("properties", .object([
                    ("status", .object([("type", .string("string")), ("description", .string("Response status message")),
                                        ("example", .string("ok"))])),
                    ("predictions", .object([("type", .string("array")), ("description", .string("Predicted results")),
                                             ("items", reference("Prediction"))])),
                ])),
            ])),
            ("ErrorResponse", .object([
                ("type", .string("object")),
                ("required", .array([.string("status"), .string("message")])),
                ("properties", .object([
                    ("status", .object([("type", .string("string")), ("example", .string("error"))])),
                    ("message", stringProperty("What went wrong")),
                ])),
            ])),
        ])

        return .object([
            ("swagger", .string("2.0")),
            ("basePath", .string("/")),
            ("info", .object([("title", .string(api.title)), ("version", .string(api.version)),
                              ("description", .string(api.description))])),
            ("produces", .array([.string("application/json")])),
            ("consumes", .array([.string("application/json")])),
            ("tags", .array([
                .object([("name", .string("model")), ("description", .string(model.metadata.name))]),
                .object([("name", .string("docs")), ("description", .string("API documentation"))]),
            ])),
            ("paths", paths),
            ("definitions", definitions),
        ])
    }

    static func reference(_ name: String) -> JSONValue { .object([("$ref", .string("#/definitions/\(name)"))]) }

    static func typeMembers(_ type: SchemaType) -> [(key: String, value: JSONValue)] {
        switch type {
        case .integer: return [("type", .string("integer"))]
        case .number: return [("type", .string("number"))]
        case .string: return [("type", .string("string"))]
        case .boolean: return [("type", .string("boolean"))]
        case .array(let element): return [("type", .string("array")), ("items", schema(for: element))]
        case .object(let properties):
            return [("type", .string("object")),
                    ("properties", .object(properties.map { property in
                        var members = typeMembers(property.type)
                        members.append(("description", .string(property.description)))
                        if let example = property.example { members.append(("example", example)) }
                        return (key: property.name, value: .object(members))
                    }))]
        }
    }

    static func schema(for type: SchemaType) -> JSONValue { .object(typeMembers(type)) }
}

/// The OpenAPI 3.0 document at /openapi.json, generated from the same route declarations as
/// the Swagger 2.0 one (SwaggerDocument) so the two never disagree. It says what Swagger 2
/// cannot: a body that may be files or JSON, the raw media types each file may be sent as,
/// `oneOf` alternatives. Named schemas sit under `components/schemas`.
enum OpenAPIDocument {
    static let version = "3.0.3"

    static func build(api: APIDescription, routes: [Route], tags: [(name: String, description: String)]) -> JSONValue {
        var definitions = SchemaDefinitions(referencePrefix: "#/components/schemas/", dialect: .openAPI3)
        let paths = DocumentParts.paths(routes) { doc, route in operation(doc, route: route, definitions: &definitions) }
        return .object([
            ("openapi", .string(version)),
            ("info", .object([("title", .string(api.title)), ("version", .string(api.version)),
                              ("description", .string(api.description))])),
            // Relative: the document is right for whatever host, port and prefix it was fetched from.
            ("servers", .array([.object([("url", .string("/"))])])),
            ("tags", DocumentParts.tags(tags, usedBy: routes)),
            ("paths", .object(paths)),
            ("components", .object([("schemas", .object(definitions.members))])),
        ])
    }

    private static func operation(_ doc: OperationDoc, route: Route, definitions: inout SchemaDefinitions) -> JSONValue {
        var members = DocumentParts.operationHeader(doc)

        var parameters: [JSONValue] = []
        for name in DocumentParts.undeclaredPathParameters(doc, route) {
            parameters.append(.object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
                                       ("schema", .object([("type", .string("string"))]))]))
        }
        for parameter in doc.parameters {
            var schema = definitions.reference(to: parameter.schema)
            if let defaultValue = parameter.defaultValue, var fields = schema.objectMembers, parameter.schema.name == nil {
                fields.append(("default", defaultValue))
                schema = .object(fields)
            }
            parameters.append(.object([
                ("name", .string(parameter.name)), ("in", .string(parameter.location.rawValue)),
                ("required", .bool(parameter.isRequired)), ("description", .string(parameter.description)),
                ("schema", schema),
            ]))
        }
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        if let body = doc.requestBody { members.append(("requestBody", requestBody(body, definitions: &definitions))) }

        let responses: [(key: String, value: JSONValue)] = doc.responses.map { response in
            var fields: [(key: String, value: JSONValue)] = [("description", .string(response.description))]
            var media: [(key: String, value: JSONValue)] = []
            if let schema = response.schema {
                media.append(("schema", definitions.reference(to: schema)))
            } else if response.contentType.hasPrefix("text/") {
                media.append(("schema", .object([("type", .string("string"))])))
            } else if !response.contentType.hasSuffix("json") {
                media.append(("schema", binary))
            }
            fields.append(("content", .object([(key: response.contentType, value: .object(media))])))
            return (key: String(response.status), value: .object(fields))
        }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    /// Files as a multipart form (one field, its other accepted names in the description) and as
    /// each raw media type; JSON with its schema; other raw types as text or bytes.
    private static func requestBody(_ body: RequestBodyDoc, definitions: inout SchemaDefinitions) -> JSONValue {
        var content: [(key: String, value: JSONValue)] = []
        var descriptions: [String] = []
        if let files = body.files {
            let field = files.fieldNames[0]
            var description = files.description
            if files.fieldNames.count > 1 {
                description += " (the field may also be named \(files.fieldNames.dropFirst().map { "'\($0)'" }.joined(separator: " or ")))"
            }
            var fieldSchema: JSONValue = .object([("type", .string("string")), ("format", .string("binary")),
                                                  ("description", .string(description))])
            if files.maxFiles > 1 {
                fieldSchema = .object([("type", .string("array")), ("items", binary), ("minItems", .int(1)),
                                       ("maxItems", .int(files.maxFiles)),
                                       ("description", .string(description + "; repeat the field for several files, answered in order"))])
            }
            var form: [(key: String, value: JSONValue)] = [
                ("schema", .object([("type", .string("object")), ("required", .array([.string(field)])),
                                    ("properties", .object([(key: field, value: fieldSchema)]))])),
            ]
            if !files.contentTypes.isEmpty {
                form.append(("encoding", .object([(key: field, value: .object([
                    ("contentType", .string(files.contentTypes.joined(separator: ", "))),
                ]))])))
            }
            content.append(("multipart/form-data", .object(form)))
            for type in files.contentTypes where !content.contains(where: { $0.key == type }) {
                content.append((type, .object([("schema", binary)])))
            }
            descriptions.append(files.contentTypes.isEmpty ? files.description
                                : "\(files.description); as a multipart form, or as the raw body")
        }
        if let json = body.json {
            var media: [(key: String, value: JSONValue)] = [("schema", definitions.reference(to: json.documentedSchema))]
            if let example = json.example { media.append(("example", example)) }
            content.append(("application/json", .object(media)))
            descriptions.append(json.description)
        }
        for type in body.rawContentTypes where !content.contains(where: { $0.key == type }) {
            content.append((type, .object([("schema", type.hasPrefix("text/") ? .object([("type", .string("string"))]) : binary)])))
        }
        var members: [(key: String, value: JSONValue)] = []
        let description = descriptions.filter { !$0.isEmpty }.joined(separator: "; or ")
        if !description.isEmpty { members.append(("description", .string(description))) }
        members.append(("required", .bool(body.isRequired)))
        members.append(("content", .object(content)))
        return .object(members)
    }

    private static let binary: JSONValue = .object([("type", .string("string")), ("format", .string("binary"))])
}

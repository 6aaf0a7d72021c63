/// The Swagger 2.0 document MAX serves at /swagger.json, generated from the routes' declarations:
/// every documented route with its parameters, body and response schemas. Named schemas are
/// listed once under `definitions` and referred to.
enum SwaggerDocument {
    static func build(api: APIDescription, routes: [Route], tags: [(name: String, description: String)]) -> JSONValue {
        var definitions = SchemaDefinitions(referencePrefix: "#/definitions/")
        let paths = DocumentParts.paths(routes) { doc, route in operation(doc, route: route, definitions: &definitions) }
        return .object([
            ("swagger", .string("2.0")),
            ("basePath", .string("/")),
            ("info", .object([("title", .string(api.title)), ("version", .string(api.version)),
                              ("description", .string(api.description))])),
            ("produces", .array([.string("application/json")])),
            ("consumes", .array([.string("application/json")])),
            ("tags", DocumentParts.tags(tags, usedBy: routes)),
            ("paths", .object(paths)),
            ("definitions", .object(definitions.members)),
        ])
    }

    private static func operation(_ doc: OperationDoc, route: Route, definitions: inout SchemaDefinitions) -> JSONValue {
        var members = DocumentParts.operationHeader(doc)

        var parameters: [JSONValue] = []
        for name in DocumentParts.undeclaredPathParameters(doc, route) {
            parameters.append(.object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)), ("type", .string("string"))]))
        }
        // Header parameters (X-Fields) come after the body, where flask-restx lists them.
        var headerParameters: [JSONValue] = []
        for parameter in doc.parameters {
            var fields: [(key: String, value: JSONValue)] = [
                ("name", .string(parameter.name)), ("in", .string(parameter.location.rawValue)),
                ("required", .bool(parameter.isRequired)), ("description", .string(parameter.description)),
            ]
            fields += inlineTypeMembers(parameter.schema)
            if let defaultValue = parameter.defaultValue { fields.append(("default", defaultValue)) }
            if parameter.location == .header { headerParameters.append(.object(fields)) } else { parameters.append(.object(fields)) }
        }

        var consumes: [String] = []
        if let body = doc.requestBody {
            // Swagger 2 cannot describe form fields and a JSON body for one operation: files win,
            // and the description says JSON is taken too.
            if let files = body.files {
                consumes.append("multipart/form-data")
                consumes += files.contentTypes
                var description = files.description
                if files.fieldNames.count > 1 {
                    description += " (the field may also be named \(files.fieldNames.dropFirst().map { "'\($0)'" }.joined(separator: " or ")))"
                }
                if !files.contentTypes.isEmpty { description += "; the file may also be sent as the raw body" }
                if files.maxFiles > 1 { description += "; up to \(files.maxFiles) files in one request, answered in order" }
                if body.json != nil { description += "; or send an application/json body instead (see the OpenAPI 3 document)" }
                parameters.append(.object([
                    ("name", .string(files.fieldNames[0])), ("in", .string("formData")), ("type", .string("file")),
                    ("required", .bool(body.isRequired && body.json == nil)), ("description", .string(description)),
                ]))
                if body.json != nil { consumes.append("application/json") }
            } else if let json = body.json {
                consumes.append("application/json")
                parameters.append(.object([
                    ("name", .string("body")), ("in", .string("body")), ("required", .bool(body.isRequired)),
                    ("description", .string(json.description)), ("schema", definitions.reference(to: json.documentedSchema, example: json.example)),
                ]))
            }
            consumes += body.rawContentTypes
            if body.files == nil && body.json == nil && !body.rawContentTypes.isEmpty {
                parameters.append(.object([
                    ("name", .string("body")), ("in", .string("body")), ("required", .bool(body.isRequired)),
                    ("schema", .object([("type", .string("string")), ("format", .string("binary"))])),
                ]))
            }
        }
        parameters += headerParameters
        if !consumes.isEmpty { members.append(("consumes", .array(unique(consumes).map { .string($0) }))) }
        members.append(("produces", .array(unique(doc.responses.map(\.contentType)).map { .string($0) })))
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }

        let responses: [(key: String, value: JSONValue)] = doc.responses.map { response in
            var fields: [(key: String, value: JSONValue)] = [("description", .string(response.description))]
            if let schema = response.schema { fields.append(("schema", definitions.reference(to: schema))) }
            return (key: String(response.status), value: .object(fields))
        }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    /// A parameter's type inline, as Swagger 2 requires for non-body parameters.
    private static func inlineTypeMembers(_ schema: Schema) -> [(key: String, value: JSONValue)] {
        var ignored = SchemaDefinitions(referencePrefix: "#/definitions/")
        var members = ignored.members(of: schema, dialect: .swagger2)
        members.removeAll { $0.key == "description" || $0.key == "example" }
        return members
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}

/// What Swagger 2.0 and OpenAPI 3.0 documents share: operations grouped by path in the
/// routes' order, and the declared tags that some route uses.
enum DocumentParts {
    static func paths(_ routes: [Route], operation: (OperationDoc, Route) -> JSONValue) -> [(key: String, value: JSONValue)] {
        var paths: [(key: String, value: JSONValue)] = []
        for route in routes {
            guard let doc = route.doc else { continue }
            let entry = (key: route.method.lowercased(), value: operation(doc, route))
            if let index = paths.firstIndex(where: { $0.key == route.path }) {
                paths[index].value = .object((paths[index].value.objectMembers ?? []) + [entry])
            } else {
                paths.append((key: route.path, value: .object([entry])))
            }
        }
        return paths
    }

    /// `tags`, `summary`, `description` and `operationId`, in that order.
    static func operationHeader(_ doc: OperationDoc) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [("tags", .array(doc.tags.map { .string($0) })), ("summary", .string(doc.summary))]
        if let description = doc.description { members.append(("description", .string(description))) }
        members.append(("operationId", .string(doc.operationId)))
        return members
    }

    /// Captures in the route's path that the declaration does not describe (documented as strings).
    static func undeclaredPathParameters(_ doc: OperationDoc, _ route: Route) -> [String] {
        route.pattern.parameterNames.filter { name in !doc.parameters.contains { $0.name == name && $0.location == .path } }
    }

    static func tags(_ tags: [(name: String, description: String)], usedBy routes: [Route]) -> JSONValue {
        let used = Set(routes.compactMap(\.doc).flatMap(\.tags))
        return .array(tags.filter { used.contains($0.name) }.map {
            .object([("name", .string($0.name)), ("description", .string($0.description))])
        })
    }
}

/// Named schemas collected while a document is written: each listed once, referred to by `$ref`.
struct SchemaDefinitions {
    enum Dialect { case swagger2, openAPI3 }

    let referencePrefix: String
    var dialect: Dialect = .swagger2
    private(set) var members: [(key: String, value: JSONValue)] = []

    init(referencePrefix: String, dialect: Dialect = .swagger2) {
        self.referencePrefix = referencePrefix
        self.dialect = dialect
    }

    /// A `$ref` for a named schema (listing it on first use), else the schema inline.
    mutating func reference(to schema: Schema, example: JSONValue? = nil) -> JSONValue {
        var schema = schema
        if let example { schema.example = example }
        guard let name = schema.name else { return .object(members(of: schema, dialect: dialect)) }
        if !members.contains(where: { $0.key == name }) {
            members.append((key: name, value: .null))  // reserve the slot: recursive schemas terminate
            var unnamed = schema
            unnamed.name = nil
            let body = JSONValue.object(self.members(of: unnamed, dialect: dialect))
            if let index = members.firstIndex(where: { $0.key == name }) { members[index].value = body }
        }
        return .object([("$ref", .string(referencePrefix + name))])
    }

    /// The JSON Schema members of `schema` (`type`, `properties`, `required`, bounds, ...).
    mutating func members(of schema: Schema, dialect: Dialect) -> [(key: String, value: JSONValue)] {
        var result: [(key: String, value: JSONValue)] = []
        switch schema.kind {
        case .integer: result.append(("type", .string("integer")))
        case .number: result.append(("type", .string("number")))
        case .string: result.append(("type", .string("string")))
        case .boolean: result.append(("type", .string("boolean")))
        case .any: break
        case .array(let element):
            result.append(("type", .string("array")))
            result.append(("items", reference(to: element)))
        case .object(let properties, let additional):
            result.append(("type", .string("object")))
            let required = properties.filter(\.isRequired).map { JSONValue.string($0.name) }
            if !required.isEmpty { result.append(("required", .array(required))) }
            if !properties.isEmpty {
                result.append(("properties", .object(properties.map { (key: $0.name, value: reference(to: $0.documentedSchema)) })))
            }
            if let additional { result.append(("additionalProperties", reference(to: additional))) }
        case .oneOf(let alternatives):
            // Swagger 2 has no oneOf: the first alternative stands for all (the description lists them).
            if dialect == .openAPI3 {
                result.append(("oneOf", .array(alternatives.map { reference(to: $0) })))
            } else if let first = alternatives.first {
                result += members(of: first, dialect: dialect)
            }
        }
        if let format = schema.format { result.append(("format", .string(format))) }
        if let values = schema.allowedValues { result.append(("enum", .array(values.map { .string($0) }))) }
        if let minimum = schema.minimum { result.append(("minimum", .number(minimum))) }
        if let maximum = schema.maximum { result.append(("maximum", .number(maximum))) }
        if let minItems = schema.minItems { result.append(("minItems", .int(minItems))) }
        if let maxItems = schema.maxItems { result.append(("maxItems", .int(maxItems))) }
        if let description = schema.description { result.append(("description", .string(description))) }
        if let example = schema.example { result.append(("example", example)) }
        return result
    }
}

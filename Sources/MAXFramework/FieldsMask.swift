import HTTPServer

/// flask-restx's fields mask, honoured on the routes MAX marshals (`/model/metadata`,
/// `/model/predict`, `/model/labels`): the `X-Fields` header names the members a client wants, nested with
/// braces and `*` for "every other member", e.g. `status,predictions{prediction}`. Outer braces
/// are optional; characters other than names, braces and commas are ignored; a bad mask is a 400
/// naming the problem. All as flask-restx does (scripts/webtests/test_flask_restx_parity.py
/// compares the two), so a client written against MAX gets the answer it expects.
struct FieldsMask: Equatable {
    static let header = "X-Fields"

    /// Requested members in the order the mask names them; `nested` masks the member's value.
    private(set) var members: [(name: String, nested: FieldsMask?)] = []

    static func == (lhs: FieldsMask, rhs: FieldsMask) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.name == $1.name && $0.nested == $1.nested }
    }

    /// Parses a mask; throws a 400 `ModelError` ("Mask parse error: ...") as flask-restx answers.
    init(parsing text: String) throws {
        var mask = Substring(text.filter { $0 != "\n" }).trimmingWhitespace()
        if mask.first == "{" {
            guard mask.last == "}", mask.count >= 2 else { throw FieldsMask.parseError("Missing closing bracket") }
            mask = mask.dropFirst().dropLast()
        }
        // Each open bracket: the mask it interrupts and the member it belongs to.
        var stack: [(parent: FieldsMask, member: String)] = []
        var current = FieldsMask()
        var previous: String? = nil
        for token in FieldsMask.tokens(mask) {
            switch token {
            case "{":
                guard let name = previous, current.members.contains(where: { $0.name == name }) else {
                    throw FieldsMask.parseError("Unexpected opening bracket")
                }
                stack.append((current, name))
                current = FieldsMask()
            case "}":
                guard let (interrupted, name) = stack.popLast() else { throw FieldsMask.parseError("Unexpected closing bracket") }
                var parent = interrupted
                if let index = parent.members.firstIndex(where: { $0.name == name }) { parent.members[index].nested = current }
                current = parent
            case ",":
                if previous == nil || previous == "," || previous == "{" {
                    throw FieldsMask.parseError("Unexpected comma")
                }
            default:
                // Naming a member again keeps its place and drops a mask given earlier.
                if let index = current.members.firstIndex(where: { $0.name == token }) {
                    current.members[index].nested = nil
                } else {
                    current.members.append((token, nil))
                }
            }
            previous = token
        }
        guard stack.isEmpty else { throw FieldsMask.parseError("Missing closing bracket") }
        self = current
    }

    private init() {}

    /// Names (letters, digits, `_`, `:`, `-`, `*`), braces and commas; everything else skipped.
    private static func tokens(_ text: Substring) -> [String] {
        var tokens: [String] = []
        var name = ""
        for character in text {
            if character.isLetter || character.isNumber || "_:-*".contains(character) {
                name.append(character)
                continue
            }
            if !name.isEmpty { tokens.append(name); name = "" }
            if character == "{" || character == "}" || character == "," { tokens.append(String(character)) }
        }
        if !name.isEmpty { tokens.append(name) }
        return tokens
    }

    private static func parseError(_ detail: String) -> ModelError {
        ModelError.badRequest("Mask parse error: \(detail)")
    }

    /// The value with only the masked members: arrays member by member, objects filtered.
    /// `schema` is the answer's declared shape, as flask-restx masks the model it marshals: a
    /// member the mask names but the answer lacks is `null` when the schema declares it and
    /// left out when nothing declares it.
    func apply(to value: JSONValue, schema: Schema? = nil) throws -> JSONValue {
        switch value {
        case .array(let items):
            let element: Schema?
            if case .array(let declared)? = schema?.kind { element = declared } else { element = nil }
            return .array(try items.map { try apply(to: $0, schema: element) })
        case .object(let fields):
            var declared: [SchemaProperty] = []
            if case .object(let properties, _)? = schema?.kind { declared = properties }
            var out: [(key: String, value: JSONValue)] = []
            for member in members where member.name != "*" {
                let memberSchema = declared.first { $0.name == member.name }?.schema
                guard let found = fields.first(where: { $0.key == member.name })?.value else {
                    if memberSchema != nil { out.append((member.name, .null)) }
                    continue
                }
                if let nested = member.nested, found != .null {
                    out.append((member.name, try nested.apply(to: found, schema: memberSchema)))
                } else {
                    out.append((member.name, found))
                }
            }
            if members.contains(where: { $0.name == "*" }) {
                for field in fields where !out.contains(where: { $0.key == field.key }) { out.append(field) }
            }
            return .object(out)
        default:
            throw ModelError.badRequest("Mask error: Mask is inconsistent with model")
        }
    }

    /// `response` masked by the request's `X-Fields`, if it sent one and the answer is a JSON
    /// success (errors are never masked, as flask-restx marshals only what a route returns).
    static func applying(_ request: RouteRequest, to response: HTTPResponse, schema: Schema? = nil) throws -> HTTPResponse {
        guard let text = request.headers[header], !text.allSatisfy(\.isWhitespace),
              response.status == .ok, response.headers["Content-Type"]?.hasPrefix("application/json") == true else {
            return response
        }
        let mask = try FieldsMask(parsing: text)
        let body: JSONValue
        do {
            body = try JSONValue.parse(response.body)
        } catch {
            return response
        }
        var masked = response
        masked.body = Array(try mask.apply(to: body, schema: schema).serialized.utf8)
        return masked
    }

    /// The header as flask-restx documents it on a marshalled operation.
    static let parameter = ParameterDoc(name: header, in: .header, schema: Schema.string.formatted("mask"),
                                        description: "An optional fields mask (e.g. status,predictions{prediction})")
}

private extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}

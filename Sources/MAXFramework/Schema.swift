/// The shape of a JSON value, declared once and used three ways: to check a JSON request body
/// (422 naming the first bad field), to describe inputs and outputs in Swagger 2.0 and OpenAPI 3,
/// and to document examples. A small subset of JSON Schema: what plugins need, no more.
///
/// Written like a type (`.integer`, `.array(of: .number)`), refined with modifiers
/// (`.number.range(0, 255)`, `.array(of: .number, count: 784...784)`).
public struct Schema: Sendable {
    public indirect enum Kind: Sendable {
        case integer, number, string, boolean
        /// Any JSON value (no check).
        case any
        case array(Schema)
        /// Named members; `additionalProperties`, if set, types members not listed.
        case object([SchemaProperty], additionalProperties: Schema?)
        /// A value matching at least one of the alternatives (checked in order).
        case oneOf([Schema])
    }

    public var kind: Kind
    public var description: String?
    public var example: JSONValue?
    /// Inclusive bounds of a number.
    public var minimum: Double?
    public var maximum: Double?
    /// Bounds of an array's length.
    public var minItems: Int?
    public var maxItems: Int?
    /// The strings allowed (`enum` in JSON Schema).
    public var allowedValues: [String]?
    /// Set, the documents list the schema once under this name and refer to it.
    public var name: String?
    /// A hint for the documents (`binary`, `mask`); values are not checked against it.
    public var format: String?

    public init(_ kind: Kind, description: String? = nil, example: JSONValue? = nil) {
        self.kind = kind
        self.description = description
        self.example = example
    }

    public static let integer = Schema(.integer)
    public static let number = Schema(.number)
    public static let string = Schema(.string)
    public static let boolean = Schema(.boolean)
    public static let any = Schema(.any)

    public static func array(of element: Schema, count: ClosedRange<Int>? = nil) -> Schema {
        var schema = Schema(.array(element))
        schema.minItems = count?.lowerBound
        schema.maxItems = count?.upperBound
        return schema
    }

    public static func object(_ properties: [SchemaProperty], additionalProperties: Schema? = nil) -> Schema {
        Schema(.object(properties, additionalProperties: additionalProperties))
    }

    public static func oneOf(_ alternatives: [Schema]) -> Schema { Schema(.oneOf(alternatives)) }

    /// A string that must be one of `values`.
    public static func oneOf(strings values: [String]) -> Schema {
        var schema = Schema.string
        schema.allowedValues = values
        return schema
    }

    /// This schema with inclusive numeric bounds.
    public func range(_ minimum: Double?, _ maximum: Double?) -> Schema {
        var copy = self
        copy.minimum = minimum
        copy.maximum = maximum
        return copy
    }

    /// This schema listed once in the documents under `name`.
    /// This schema with a documented `format` (`Schema.string.formatted("mask")`).
    public func formatted(_ format: String) -> Schema {
        var copy = self
        copy.format = format
        return copy
    }

    public func named(_ name: String) -> Schema {
        var copy = self
        copy.name = name
        return copy
    }

    public func described(_ description: String, example: JSONValue? = nil) -> Schema {
        var copy = self
        copy.description = description
        if let example { copy.example = example }
        return copy
    }
}

/// A named member of an object schema.
public struct SchemaProperty: Sendable {
    public var name: String
    public var schema: Schema
    public var description: String
    public var example: JSONValue?
    /// Whether the member must be present (listed in the schema's `required`).
    public var isRequired: Bool

    public init(_ name: String, _ schema: Schema, _ description: String, example: JSONValue? = nil,
                required: Bool = true) {
        self.name = name
        self.schema = schema
        self.description = description
        self.example = example
        self.isRequired = required
    }

    /// The member's schema as documented in place: an unnamed one carries the member's
    /// description and example; a named one is referred to as it is.
    var documentedSchema: Schema {
        schema.name == nil ? schema.described(description, example: example) : schema
    }
}

// MARK: - Checking values

extension Schema {
    /// Checks `value` against this schema; throws a 422 `ModelError` naming the first member
    /// that does not fit, as a path from the document's root (`pixels[3]`, `rows[0].pixel12`).
    public func validate(_ value: JSONValue, at path: String = "body") throws {
        if let problem = firstProblem(in: value, at: path) {
            throw ModelError.unprocessable(problem)
        }
    }

    /// The first mismatch as a readable sentence, or nil when `value` fits.
    func firstProblem(in value: JSONValue, at path: String) -> String? {
        switch kind {
        case .any:
            return nil
        case .boolean:
            return value.boolValue == nil ? "\(path): expected true or false, got \(value.kindDescription)" : nil
        case .string:
            guard let text = value.stringValue else { return "\(path): expected a string, got \(value.kindDescription)" }
            if let allowedValues, !allowedValues.contains(text) {
                return "\(path): expected one of \(allowedValues.map { "'\($0)'" }.joined(separator: ", ")), got '\(text)'"
            }
            return nil
        case .integer, .number:
            guard let number = value.doubleValue else { return "\(path): expected a number, got \(value.kindDescription)" }
            if case .integer = kind, value.intValue == nil {
                return "\(path): expected a whole number, got \(value.serialized)"
            }
            if let minimum, number < minimum { return "\(path): \(value.serialized) is below the minimum \(Schema.shown(minimum))" }
            if let maximum, number > maximum { return "\(path): \(value.serialized) is above the maximum \(Schema.shown(maximum))" }
            return nil
        case .array(let element):
            guard let items = value.arrayValue else { return "\(path): expected an array, got \(value.kindDescription)" }
            if let minItems, items.count < minItems {
                return "\(path): expected \(Schema.countText(minItems, maxItems)) items, got \(items.count)"
            }
            if let maxItems, items.count > maxItems {
                return "\(path): expected \(Schema.countText(minItems, maxItems)) items, got \(items.count)"
            }
            for (index, item) in items.enumerated() {
                if let problem = element.firstProblem(in: item, at: "\(path)[\(index)]") { return problem }
            }
            return nil
        case .object(let properties, let additional):
            guard let members = value.objectMembers else { return "\(path): expected an object, got \(value.kindDescription)" }
            for property in properties {
                guard let member = members.first(where: { $0.key == property.name })?.value else {
                    if property.isRequired { return "\(path): the member '\(property.name)' is missing" }
                    continue
                }
                if let problem = property.schema.firstProblem(in: member, at: "\(path).\(property.name)") { return problem }
            }
            if let additional {
                for member in members where !properties.contains(where: { $0.name == member.key }) {
                    if let problem = additional.firstProblem(in: member.value, at: "\(path).\(member.key)") { return problem }
                }
            }
            return nil
        case .oneOf(let alternatives):
            var problems: [String] = []
            for alternative in alternatives {
                guard let problem = alternative.firstProblem(in: value, at: path) else { return nil }
                problems.append(problem)
            }
            // The alternative that got furthest (the longest path) says the most about the mistake.
            return problems.max { $0.split(separator: ":").first!.count < $1.split(separator: ":").first!.count }
                ?? "\(path): matches none of the accepted forms"
        }
    }

    static func shown(_ bound: Double) -> String {
        bound.rounded() == bound && abs(bound) < 1e15 ? String(Int(bound)) : "\(bound)"
    }

    static func countText(_ minimum: Int?, _ maximum: Int?) -> String {
        switch (minimum, maximum) {
        case let (low?, high?) where low == high: return "\(low)"
        case let (low?, high?): return "\(low) to \(high)"
        case let (low?, nil): return "at least \(low)"
        case let (nil, high?): return "at most \(high)"
        default: return "any number of"
        }
    }
}

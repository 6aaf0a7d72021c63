/// One input as the plugin sees it, whether it came over HTTP or from `max-server predict`: an
/// uploaded file or a JSON document, plus the request's query parameters. A request carrying
/// several files becomes several inputs, handed to the plugin together as one batch.
public struct ModelInput: Sendable {
    public enum Content: Sendable {
        case file(UploadedFile)
        case json(JSONValue)
    }

    public var content: Content
    /// Query parameters of the request, in order (e.g. `top_k`).
    public var query: [(name: String, value: String)]

    public init(_ content: Content, query: [(name: String, value: String)] = []) {
        self.content = content
        self.query = query
    }

    /// An uploaded file's input.
    public init(bytes: [UInt8], contentType: String? = nil, fileName: String? = nil,
                query: [(name: String, value: String)] = []) {
        self.init(.file(UploadedFile(bytes: bytes, contentType: contentType, fileName: fileName)), query: query)
    }

    public var file: UploadedFile? { if case .file(let file) = content { return file }; return nil }
    public var json: JSONValue? { if case .json(let value) = content { return value }; return nil }

    /// The uploaded bytes (empty for a JSON input).
    public var bytes: [UInt8] { file?.bytes ?? [] }
    /// The upload's declared type (`image/png`), if any; sniff the bytes rather than trust it.
    public var contentType: String? { file?.contentType }
    public var fileName: String? { file?.fileName }

    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

/// A file as it arrived: a multipart part, a raw request body, or a file named on the command line.
public struct UploadedFile: Sendable {
    public var bytes: [UInt8]
    public var contentType: String?
    public var fileName: String?
    /// The multipart field it came in (`file`, `image`); nil for a raw body.
    public var fieldName: String?

    public init(bytes: [UInt8], contentType: String? = nil, fileName: String? = nil, fieldName: String? = nil) {
        self.bytes = bytes
        self.contentType = contentType
        self.fileName = fileName
        self.fieldName = fieldName
    }
}

/// What POST /model/predict takes, as the plugin declares it: uploaded files, a JSON body, or
/// either. Extraction, the 415 answer, every message and the OpenAPI documents follow it.
public struct ModelInputSpec: Sendable {
    /// Files in multipart/form-data fields, or one file as the raw body; nil when files are not taken.
    public var files: FileInputSpec?
    /// A JSON body; nil when JSON is not taken.
    public var json: JSONInputSpec?
    public var queryParameters: [QueryParameter]

    public init(files: FileInputSpec? = nil, json: JSONInputSpec? = nil, queryParameters: [QueryParameter] = []) {
        precondition(files != nil || json != nil, "a model must take files, JSON, or both")
        self.files = files
        self.json = json
        self.queryParameters = queryParameters
    }

    /// Uploaded files only (MAX's usual form).
    public static func files(_ spec: FileInputSpec, queryParameters: [QueryParameter] = []) -> ModelInputSpec {
        ModelInputSpec(files: spec, queryParameters: queryParameters)
    }

    /// A JSON body only.
    public static func json(_ spec: JSONInputSpec, queryParameters: [QueryParameter] = []) -> ModelInputSpec {
        ModelInputSpec(json: spec, queryParameters: queryParameters)
    }

    /// What the route takes, for error messages: `multipart/form-data with an image (PNG, JPEG)
    /// in the field 'file' (or 'image'), or the image as the raw body`.
    public var acceptedForms: String {
        var forms: [String] = []
        if let files {
            forms.append("multipart/form-data with \(files.kind) in the field \(files.fieldList)")
            if !files.contentTypes.isEmpty { forms.append("the file as the raw body") }
        }
        if json != nil { forms.append("an application/json body") }
        return forms.joined(separator: ", or ")
    }
}

/// Uploaded files: which multipart fields carry them and which content types are accepted.
public struct FileInputSpec: Sendable {
    /// Multipart field names, the preferred first (MAX-MNIST uses `file`, many MAX models `image`).
    public var fieldNames: [String]
    /// Media types the file may be; also accepted as a raw request body. Empty: any type in
    /// multipart, no raw body.
    public var contentTypes: [String]
    /// What the file should be, for the documents and messages ("an image of one digit").
    public var description: String
    /// How many files one request may carry (repeated fields); they reach the plugin as one batch.
    public var maxFiles: Int
    /// What the file is, in a few words, for messages ("an image (PNG or JPEG)"); by default the
    /// content types are listed.
    public var kind: String

    public init(fieldNames: [String] = ["file"], contentTypes: [String] = [], description: String, maxFiles: Int = 16,
                kind: String? = nil) {
        precondition(!fieldNames.isEmpty && maxFiles >= 1)
        self.fieldNames = fieldNames
        self.contentTypes = contentTypes.map { $0.lowercased() }
        self.description = description
        self.maxFiles = maxFiles
        self.kind = kind ?? (contentTypes.isEmpty ? "a file" : "a file of type \(contentTypes.joined(separator: ", "))")
    }

    /// `'file'` or `'file' (or 'image')`.
    var fieldList: String {
        let first = "'\(fieldNames[0])'"
        let others = fieldNames.dropFirst().map { "'\($0)'" }
        return others.isEmpty ? first : "\(first) (or \(others.joined(separator: ", ")))"
    }

    /// Whether a declared media type covers `mediaType` (`image/*` covers `image/png`).
    func accepts(_ mediaType: String) -> Bool {
        contentTypes.contains { declared in
            declared == mediaType || (declared.hasSuffix("/*") && mediaType.hasPrefix(declared.dropLast()))
        }
    }
}

/// A JSON request body and its schema: a body that does not fit is answered 422 naming the field.
public struct JSONInputSpec: Sendable {
    public var schema: Schema
    public var description: String
    /// Shown in the documents and the docs page's "try it" form.
    public var example: JSONValue?
    /// Set, a body that is a JSON array of 1 to this many documents, each fitting `schema`, is a
    /// batch: one input per item, answered one entry each under `results` (as several files
    /// are). Nil: the body is always one document.
    public var maxListItems: Int?

    public init(schema: Schema, description: String, example: JSONValue? = nil, maxListItems: Int? = nil) {
        precondition(maxListItems.map { $0 >= 1 } ?? true, "maxListItems must be at least 1")
        self.schema = schema
        self.description = description
        self.example = example
        self.maxListItems = maxListItems
    }

    /// The body's schema as the documents show it: one document, or also a list of them.
    public var documentedSchema: Schema {
        guard let maxListItems else { return schema }
        return .oneOf([schema, .array(of: schema, count: 1...maxListItems)])
    }
}

/// An optional query parameter of POST /model/predict (e.g. `top_k`).
public struct QueryParameter: Sendable {
    public var name: String
    public var type: Schema
    public var description: String
    public var defaultValue: JSONValue?

    public init(name: String, type: Schema, description: String, defaultValue: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.description = description
        self.defaultValue = defaultValue
    }
}

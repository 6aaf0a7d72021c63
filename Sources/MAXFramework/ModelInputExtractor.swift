import Foundation
import HTTPServer

/// Finds a predict request's inputs as the model's `ModelInputSpec` declares them: the files of
/// its multipart fields (several, repeated, in order), one file sent as the raw body, or a JSON
/// body. What the model does not take is refused with 415 naming what it does take.
enum ModelInputExtractor {
    static func inputs(from request: HTTPRequest, spec: ModelInputSpec) throws -> [ModelInput] {
        let contentType = request.headers["Content-Type"] ?? ""
        let mediaType = MediaType.essence(of: contentType)

        if mediaType == "multipart/form-data" {
            guard let files = spec.files else {
                throw ModelError.unsupportedMediaType("multipart/form-data is not accepted: send \(spec.acceptedForms)")
            }
            return try fileInputs(from: request, contentType: contentType, spec: files)
        }
        if MediaType.isJSON(mediaType) {
            guard let json = spec.json else {
                throw ModelError.unsupportedMediaType("Content-Type '\(mediaType)' is not accepted: send \(spec.acceptedForms)")
            }
            guard !request.body.isEmpty else { throw ModelError.badRequest("the JSON body is empty: send \(spec.acceptedForms)") }
            let document: JSONValue
            do {
                document = try JSONValue.parse(request.body)
            } catch let error as JSONParseError {
                throw ModelError.badRequest("the body is not valid JSON: \(error)")
            }
            if let limit = json.maxListItems, let items = document.arrayValue {
                guard !items.isEmpty else { throw ModelError.unprocessable("body: the list is empty; send at least one item") }
                guard items.count <= limit else {
                    throw ModelError.payloadTooLarge("body: \(items.count) items were sent; at most \(limit) are taken in one request")
                }
                return items.map { ModelInput(.json($0), query: request.query) }
            }
            return [ModelInput(.json(document), query: request.query)]
        }
        if request.body.isEmpty && mediaType.isEmpty {
            throw ModelError.badRequest("no input: send \(spec.acceptedForms)")
        }
        guard let files = spec.files, files.accepts(mediaType) else {
            let shown = mediaType.isEmpty ? "a body without Content-Type" : "Content-Type '\(mediaType)'"
            throw ModelError.unsupportedMediaType("\(shown) is not accepted: send \(spec.acceptedForms)")
        }
        let file = UploadedFile(bytes: request.body, contentType: mediaType)
        return [ModelInput(.file(file), query: request.query)]
    }

    private static func fileInputs(from request: HTTPRequest, contentType: String, spec: FileInputSpec) throws -> [ModelInput] {
        let parts: [MultipartPart]
        do {
            parts = try MultipartFormData.parse(body: request.body, contentType: contentType)
        } catch {
            throw ModelError.badRequest("malformed multipart body: \(error)")
        }
        let isFilePart = { (part: MultipartPart) in part.name.map(spec.fieldNames.contains) ?? false }
        // Usually every part is the file: then no filtered copy.
        let fileParts = parts.allSatisfy(isFilePart) ? parts : parts.filter(isFilePart)
        guard !fileParts.isEmpty else {
            let sent = parts.compactMap(\.name)
            let sentText = sent.isEmpty ? "no fields" : "fields " + sent.map { "'\($0)'" }.joined(separator: ", ")
            throw ModelError.badRequest("no file uploaded: send it in the multipart field \(spec.fieldList) (got \(sentText))")
        }
        guard fileParts.count <= spec.maxFiles else {
            throw ModelError.payloadTooLarge("\(fileParts.count) files were sent; at most \(spec.maxFiles) are taken in one request")
        }
        return try fileParts.map { part in
            let declared = part.contentType.map(MediaType.essence(of:)) ?? ""
            // A part's type is the client's guess from the file name: refuse only a definite
            // type the model does not take; none or application/octet-stream leaves it to the bytes.
            if !spec.contentTypes.isEmpty, !declared.isEmpty, declared != "application/octet-stream", !spec.accepts(declared) {
                let name = part.filename.map { "'\($0)'" } ?? "the file"
                throw ModelError.unsupportedMediaType("\(name) is \(declared); this model takes \(spec.kind)")
            }
            let file = UploadedFile(bytes: part.body, contentType: part.contentType, fileName: part.filename, fieldName: part.name)
            return ModelInput(.file(file), query: request.query)
        }
    }
}

/// Media types as HTTP sends them (`Content-Type: Multipart/Form-Data; boundary=x`).
public enum MediaType {
    /// The type and subtype, lower-cased, without parameters.
    public static func essence(of contentType: String) -> String {
        contentType.valueBeforeParameters
    }

    /// `application/json` or any `+json` type (`application/vnd.api+json`).
    public static func isJSON(_ mediaType: String) -> Bool {
        mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}

extension ModelInputSpec {
    /// The inputs `request` carries, found as POST /model/predict finds them (multipart fields,
    /// a raw body, JSON), with the same 4xx refusals: for routes beside predict that take the
    /// model's input (e.g. an annotated picture).
    public func inputs(from request: HTTPRequest) throws -> [ModelInput] {
        try ModelInputExtractor.inputs(from: request, spec: self)
    }
}

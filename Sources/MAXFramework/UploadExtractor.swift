import HTTPServer

/// Finds the uploaded file in a POST /model/predict request: a multipart field (`file`, or
/// another name the plugin declares), or a raw body sent with an image Content-Type.
enum UploadExtractor {
    static func extract(from request: HTTPRequest, spec: ModelInputSpec) throws -> ModelInput {
        let contentType = request.headers["Content-Type"] ?? ""
        let mediaType = contentType.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let fieldList = spec.fieldNames.map { "'\($0)'" }.joined(separator: " or ")

        if mediaType == "multipart/form-data" {
            let parts: [MultipartPart]
            do {
                parts = try MultipartFormData.parse(body: request.body, contentType: contentType)
            } catch {
                throw ModelError.badRequest("malformed multipart body: \(error)")
            }
            guard let part = spec.fieldNames.lazy.compactMap({ name in parts.first { $0.name == name } }).first else {
                let sent = parts.compactMap(\.name)
                let sentText = sent.isEmpty ? "no fields" : "fields " + sent.map { "'\($0)'" }.joined(separator: ", ")
                throw ModelError.badRequest("no file uploaded: send the image in the multipart field \(fieldList) (got \(sentText))")
            }
            guard !part.body.isEmpty else {
                throw ModelError.badRequest("the uploaded file is empty")
            }
            return ModelInput(bytes: part.body, contentType: part.contentType, fileName: part.filename,
                              query: request.query)
        }

        if request.body.isEmpty {
            throw ModelError.badRequest("no file uploaded: send the image as multipart/form-data field \(fieldList), or as the request body with an image Content-Type")
        }
        let acceptsRaw = mediaType.hasPrefix("image/") || mediaType == "application/octet-stream"
            || spec.contentTypes.contains(mediaType)
        guard acceptsRaw else {
            let shown = mediaType.isEmpty ? "no Content-Type" : "Content-Type '\(mediaType)'"
            throw ModelError.unsupportedMediaType("\(shown) is not accepted: send multipart/form-data with field \(fieldList), or an image body (\(spec.contentTypes.joined(separator: ", ")))")
        }
        return ModelInput(bytes: request.body, contentType: mediaType, fileName: nil, query: request.query)
    }
}

import ImageCodecs
import MAXFramework

/// What image plugins share, so none keeps its own copy: the file input they declare and the
/// decoding of an upload into an `Image` with the configured limits, its failures turned into
/// the statuses clients should see.
public enum ImageInput {
    /// Media types of the formats ImageCodecs reads, with the aliases clients send
    /// (`image/jpg`, `image/x-ms-bmp`) and `application/octet-stream` for "unknown, look at the bytes".
    public static let contentTypes = [
        "image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/bmp", "image/x-ms-bmp", "image/gif", "image/tiff",
        "image/x-portable-anymap", "image/x-portable-bitmap", "image/x-portable-graymap", "image/x-portable-pixmap",
        "image/x-portable-arbitrarymap", "application/octet-stream",
    ]

    /// An image upload in the multipart field `file` (as MAX-MNIST) or `image` (as most MAX image
    /// models), or as the raw body.
    public static func fileSpec(description: String, fieldNames: [String] = ["file", "image"], maxFiles: Int = 16) -> FileInputSpec {
        FileInputSpec(fieldNames: fieldNames, contentTypes: contentTypes, description: description, maxFiles: maxFiles,
                      kind: "an image (PNG, JPEG, BMP, GIF, TIFF or PNM)")
    }

    /// The upload's pixels. Bytes that are no image, or a corrupt one, are the client's mistake
    /// (400); a picture over the pixel limit is refused from its header, before decoding (413).
    /// The decoded image holds its share of the decoding budget for as long as it lives, with
    /// room for about one more image of its size: image plugins convert what they decode
    /// (composite over a background, to gray, crop) while they hold it.
    public static func decode(_ input: ModelInput, limits: DecodingLimits) throws -> Image {
        var limits = limits
        limits.followOnFactor = max(limits.followOnFactor, 1)
        do {
            return try ImageDecoder.decode(input.bytes, limits: limits)
        } catch let error as ImageDecodingError where error.kind == .tooLarge {
            throw ModelError.payloadTooLarge("the image is too large: \(error)")
        } catch let error as ImageDecodingError where error.kind == .busy {
            throw ModelError.serviceUnavailable("\(error)", retryAfter: 1)
        } catch {
            throw ModelError.badRequest("the upload is not a readable image: \(error)")
        }
    }
}

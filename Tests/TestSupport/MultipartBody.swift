import Foundation

/// Builds multipart/form-data bodies as browsers and curl send them.
public struct MultipartBody {
    public let boundary = "----max-test-\(UUID().uuidString)"
    public var bytes: [UInt8] = []

    public init() {}

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A file part; a nil `contentType` sends the part without a Content-Type header.
    public mutating func addFile(field: String, fileName: String, contentType: String?, _ content: [UInt8]) {
        let type = contentType.map { "Content-Type: \($0)\r\n" } ?? ""
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(fileName)\"\r\n\(type)\r\n".utf8)
        bytes += content
        bytes += Array("\r\n".utf8)
    }

    public mutating func addField(_ name: String, _ value: String) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    public func finished() -> [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }
}

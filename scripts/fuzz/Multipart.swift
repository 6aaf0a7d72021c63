// libFuzzer harness for MultipartFormData.parse: the first line of the input is the Content-Type,
// the rest the body (the seeds are real bodies with their Content-Type). Any input must give
// parts or a MultipartError (any other error type is a finding), never a crash.
// fuzz-modules: Logging HTTPServer
// fuzz-seeds: scripts/fuzz/seeds/Multipart
// fuzz-dict: scripts/fuzz/Multipart.dict
#if canImport(HTTPServer)
import HTTPServer
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: 10) ?? bytes.count
    let contentType = String(decoding: bytes[0..<newline], as: UTF8.self)
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    do {
        let parts = try MultipartFormData.parse(body: body, contentType: contentType)
        let total = parts.reduce(0) { $0 + $1.body.count }
        precondition(total <= body.count, "parts hold more bytes than the body")
    } catch is MultipartError {
        return 0
    } catch {
        preconditionFailure("unexpected error type \(error)")
    }
    return 0
}

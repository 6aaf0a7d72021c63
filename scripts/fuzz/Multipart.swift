// libFuzzer harness for MultipartFormData.parse: the first line of the input is the Content-Type,
// the rest the body. Any input must give parts or a MultipartError, never a crash.
// Needs the HTTPServer module, which imports Logging: built either with HTTPServer as a module
// (swiftc -sanitize=fuzzer,address -parse-as-library -I <dir of HTTPServer.swiftmodule>) or compiled
// together with Sources/HTTPServer, as by scripts/fuzz.sh Multipart SECONDS once that runner lands.
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

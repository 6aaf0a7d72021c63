// libFuzzer harness for HTTPRequestParser: arbitrary bytes, fed in pieces whose sizes come from
// the input itself, must only ever yield requests or HTTPParseError, never a crash or a hang.
// Needs the HTTPServer module, which imports Logging: built either with HTTPServer as a module
// (swiftc -sanitize=fuzzer,address -parse-as-library -I <dir of HTTPServer.swiftmodule>) or compiled
// together with Sources/HTTPServer, as by scripts/fuzz.sh HTTPParser SECONDS once that runner lands.
#if canImport(HTTPServer)
import HTTPServer
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let pieceSize = Int(first % 16) + 1
    let limits = HTTPParserLimits(maxRequestLineBytes: 256, maxHeaderBytes: 1024, maxBodyBytes: 4096)
    var parser = HTTPRequestParser(limits: limits)
    var offset = 1
    while offset < bytes.count {
        let end = min(bytes.count, offset + pieceSize)
        parser.append(bytes[offset..<end])
        offset = end
        var events = 0
        while events < 10_000 {
            events += 1
            do {
                switch try parser.next() {
                case .needMoreData:
                    events = Int.max
                case .head(let head):
                    precondition(head.framing != .none, "a head event for a request without body")
                case let .request(head, body):
                    if case .contentLength(let length) = head.framing { precondition(body.count == length) }
                    precondition(body.count <= limits.maxBodyBytes)
                }
            } catch {
                return 0  // a refused request ends the connection
            }
        }
    }
    return 0
}

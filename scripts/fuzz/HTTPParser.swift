// libFuzzer harness for HTTPRequestParser. The input is a byte stream as a client sends it; it is
// parsed twice, once whole and once in pieces (sizes 1-16, chosen from the input's length), and
// both parses must give the same requests and the same final status: the parser's answer may
// not depend on how TCP splits the bytes. Only HTTPParseError may be thrown; every request must
// respect the limits and its framing; anything else is a finding.
// Seeded with real requests (GET, POST with Content-Length, chunked with trailers, pipelined,
// Expect: 100-continue, ...) and a dictionary of HTTP tokens.
// fuzz-modules: Logging HTTPServer
// fuzz-seeds: scripts/fuzz/seeds/HTTPParser
// fuzz-dict: scripts/fuzz/HTTPParser.dict
// fuzz-max-len: 8192
#if canImport(HTTPServer)
import HTTPServer
#endif

private let limits = HTTPParserLimits(maxRequestLineBytes: 256, maxHeaderBytes: 1024, maxBodyBytes: 4096)

/// What a stream parsed to: each whole request (method, target, body, keep-alive), then how it
/// ended (nil: waiting for more bytes; else the status of the HTTPParseError).
private struct Outcome: Equatable {
    var requests: [String] = []
    var refusal: Int?
}

private func parse(_ bytes: [UInt8], pieceSize: Int) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + pieceSize)
        parser.append(bytes[offset..<end])
        offset = end
        var events = 0
        while true {
            events += 1
            if events > 10_000 { fatalError("the parser keeps producing events without consuming input") }
            let event: HTTPParserEvent
            do {
                event = try parser.next()
            } catch let error as HTTPParseError {
                if error.message.isEmpty { fatalError("an HTTPParseError without a message") }
                if !(400...599).contains(error.status.code) { fatalError("refused with non-error status \(error.status.code)") }
                outcome.refusal = error.status.code
                return outcome  // a refused request ends the connection
            } catch {
                fatalError("HTTPRequestParser threw \(type(of: error)), not HTTPParseError: \(error)")
            }
            switch event {
            case .needMoreData:
                break
            case .head(let head):
                if head.framing == .none { fatalError("a head event for a request without a body") }
                continue
            case let .request(head, body):
                check(head, body)
                outcome.requests.append("\(head.method) \(head.target) \(body) \(head.keepAlive) \(head.headers.fields.map { "\($0.name)=\($0.value)" })")
                continue
            }
            break
        }
    }
    return outcome
}

/// Every request respects the limits and its own framing.
private func check(_ head: HTTPRequestHead, _ body: [UInt8]) {
    if body.count > limits.maxBodyBytes { fatalError("a body of \(body.count) bytes passed the \(limits.maxBodyBytes)-byte limit") }
    // (The target is decoded leniently: invalid UTF-8 becomes U+FFFD, so its length in UTF-8
    // may exceed the raw bytes; only spaces and control characters are checked.)
    if head.target.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
        fatalError("a target with a space or control character: \(head.target.debugDescription)")
    }
    switch head.framing {
    case .contentLength(let length): if body.count != length { fatalError("Content-Length \(length), body \(body.count)") }
    case .none: if !body.isEmpty { fatalError("a request without framing has a body") }
    case .chunked: break
    }
    if head.method.isEmpty || head.target.isEmpty { fatalError("an empty method or target") }
    if head.expectsContinue && head.framing == .none { fatalError("100-continue for a request without a body") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parse(bytes, pieceSize: max(1, bytes.count))
    let split = parse(bytes, pieceSize: size % 16 + 1)
    if whole != split {
        fatalError("whole and split parses differ:\n whole: \(whole)\n split (\(size % 16 + 1)-byte pieces): \(split)")
    }
    return 0
}

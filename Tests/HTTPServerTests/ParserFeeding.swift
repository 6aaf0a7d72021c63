import HTTPServer

extension HTTPRequestParser {
    /// The whole requests a new parser makes of `input` fed in pieces of `pieceSize` bytes, as
    /// the server's read loop feeds it: each request's head and its body after de-chunking.
    static func requests(in input: [UInt8], pieceSize: Int, limits: HTTPParserLimits = HTTPParserLimits()) throws
        -> [(head: HTTPRequestHead, body: [UInt8])] {
        var parser = HTTPRequestParser(limits: limits)
        var requests: [(head: HTTPRequestHead, body: [UInt8])] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + pieceSize)
            parser.append(input[offset..<end])
            offset = end
            loop: while true {
                switch try parser.next() {
                case .needMoreData: break loop
                case .head: continue
                case let .request(head, body): requests.append((head, body))
                }
            }
        }
        return requests
    }
}

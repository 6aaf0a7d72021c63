/// Finds repeated strings for the deflate encoder (RFC 1951 section 4): hash chains over the
/// last 32 KiB, with lazy matching at higher levels as zlib does.
///
/// Output is a sequence of tokens, each a literal byte or a (length, distance) pair, handed to
/// `flush` in batches together with the range of input they cover.
struct LZ77Matcher {
    /// A literal byte (< 256) or a match: `matchFlag | (length - 3) << 16 | distance`.
    typealias Token = UInt32
    static let matchFlag: Token = 0x8000_0000

    /// Search effort per level, as in zlib's configuration table.
    struct Effort {
        /// Matches at least this long make the search look less hard at the next position.
        let goodLength: Int
        /// Lazy matching: try the next position only while the current match is shorter than this.
        /// Zero selects greedy matching.
        let lazyLength: Int
        /// Stop searching once a match this long is found.
        let niceLength: Int
        /// Most chain links followed per search.
        let maxChain: Int

        static func forLevel(_ level: Int) -> Effort {
            switch level {
            case ...1: return Effort(goodLength: 4, lazyLength: 0, niceLength: 8, maxChain: 4)
            case 2: return Effort(goodLength: 4, lazyLength: 0, niceLength: 16, maxChain: 8)
            case 3: return Effort(goodLength: 4, lazyLength: 0, niceLength: 32, maxChain: 32)
            case 4: return Effort(goodLength: 4, lazyLength: 4, niceLength: 16, maxChain: 16)
            case 5: return Effort(goodLength: 8, lazyLength: 16, niceLength: 32, maxChain: 32)
            case 6: return Effort(goodLength: 8, lazyLength: 16, niceLength: 128, maxChain: 128)
            case 7: return Effort(goodLength: 8, lazyLength: 32, niceLength: 128, maxChain: 256)
            case 8: return Effort(goodLength: 32, lazyLength: 128, niceLength: 258, maxChain: 1024)
            default: return Effort(goodLength: 32, lazyLength: 258, niceLength: 258, maxChain: 4096)
            }
        }
    }

    static let minMatch = 3
    static let maxMatch = 258
    static let windowSize = 1 << 15
    private static let hashBits = 15
    /// zlib's TOO_FAR: a 3-byte match further back than this rarely pays for its distance bits.
    private static let tooFarForMinimalMatch = 4096
    /// Tokens per block: enough for good Huffman statistics, small enough to adapt to the data.
    static let tokensPerBlock = 16_384

    /// Tokenizes `input`, calling `flush(tokens, inputRange)` for each batch.
    static func tokenize(_ input: UnsafeBufferPointer<UInt8>, effort: Effort,
                         flush: ([Token], Range<Int>) -> Void) {
        let count = input.count
        guard let bytes = input.baseAddress, count > 0 else { return }
        let hashSize = 1 << hashBits
        // head[h]: 1 + the latest position with hash h (0: none); prev[p % window]: 1 + the
        // previous position with the same hash as p.
        let head = UnsafeMutablePointer<Int32>.allocate(capacity: hashSize)
        head.initialize(repeating: 0, count: hashSize)
        let prev = UnsafeMutablePointer<Int32>.allocate(capacity: windowSize)
        prev.initialize(repeating: 0, count: windowSize)
        defer { head.deallocate(); prev.deallocate() }
        let windowMask = windowSize - 1

        var tokens: [Token] = []
        tokens.reserveCapacity(tokensPerBlock + 2)
        var blockStart = 0

        /// Inserts position `p` (which has 3 bytes ahead) and returns the previous chain head.
        @inline(__always) func insert(_ p: Int) -> Int {
            let h = ((Int(bytes[p]) &<< 10) ^ (Int(bytes[p + 1]) &<< 5) ^ Int(bytes[p + 2])) & (hashSize - 1)
            let previous = Int(head[h])
            prev[p & windowMask] = Int32(truncatingIfNeeded: previous)
            head[h] = Int32(truncatingIfNeeded: p + 1)
            return previous
        }

        /// The longest match for position `p`, following the chain from `chainHead` (1-based).
        @inline(__always) func longestMatch(at p: Int, chainHead: Int, atLeast previousLength: Int) -> (length: Int, distance: Int) {
            let limit = min(maxMatch, count - p)
            guard limit >= minMatch, previousLength < limit else { return (0, 0) }
            var chain = previousLength >= effort.goodLength ? effort.maxChain >> 2 : effort.maxChain
            var bestLength = max(previousLength, minMatch - 1)
            var bestDistance = 0
            var candidatePlusOne = chainHead
            let lowest = p - windowSize
            let current = bytes + p
            while candidatePlusOne > 0 && chain > 0 {
                let candidate = candidatePlusOne - 1
                if candidate < lowest || candidate >= p { break }
                let earlier = bytes + candidate
                if earlier[bestLength] == current[bestLength] && earlier[0] == current[0] && earlier[1] == current[1] {
                    var length = 2
                    while length < limit && earlier[length] == current[length] { length += 1 }
                    if length > bestLength {
                        bestLength = length
                        bestDistance = p - candidate
                        if length >= effort.niceLength || length >= limit { break }
                    }
                }
                candidatePlusOne = Int(prev[candidate & windowMask])
                chain -= 1
            }
            if bestDistance == 0 { return (0, 0) }
            if bestLength == minMatch && bestDistance > tooFarForMinimalMatch { return (0, 0) }
            return (bestLength, bestDistance)
        }

        @inline(__always) func emitLiteral(_ p: Int) {
            tokens.append(Token(bytes[p]))
        }
        @inline(__always) func emitMatch(length: Int, distance: Int) {
            tokens.append(matchFlag | Token(length - minMatch) << 16 | Token(distance))
        }
        /// Hands over full batches; `end` is the first input position not yet covered.
        @inline(__always) func flushIfFull(end: Int) {
            if tokens.count >= tokensPerBlock {
                flush(tokens, blockStart..<end)
                tokens.removeAll(keepingCapacity: true)
                blockStart = end
            }
        }

        var p = 0
        if effort.lazyLength == 0 {
            while p < count {
                let chainHead = p + minMatch <= count ? insert(p) : 0
                let match = longestMatch(at: p, chainHead: chainHead, atLeast: 0)
                if match.length >= minMatch {
                    emitMatch(length: match.length, distance: match.distance)
                    let end = p + match.length
                    var q = p + 1
                    while q < end && q + minMatch <= count { _ = insert(q); q += 1 }
                    p = end
                } else {
                    emitLiteral(p)
                    p += 1
                }
                flushIfFull(end: p)
            }
        } else {
            // A match found at p - 1 is kept pending until p shows whether a longer one starts there.
            var pendingLength = 0, pendingDistance = 0
            var hasPending = false
            while p < count {
                let chainHead = p + minMatch <= count ? insert(p) : 0
                var match = (length: 0, distance: 0)
                if pendingLength < effort.lazyLength {
                    match = longestMatch(at: p, chainHead: chainHead, atLeast: hasPending ? pendingLength : 0)
                }
                if hasPending && pendingLength >= minMatch && match.length <= pendingLength {
                    emitMatch(length: pendingLength, distance: pendingDistance)
                    let end = p - 1 + pendingLength
                    var q = p + 1
                    while q < end && q + minMatch <= count { _ = insert(q); q += 1 }
                    p = end
                    hasPending = false
                    pendingLength = 0
                    flushIfFull(end: p)
                } else {
                    if hasPending {
                        emitLiteral(p - 1)
                        flushIfFull(end: p)
                    }
                    hasPending = true
                    pendingLength = match.length
                    pendingDistance = match.distance
                    p += 1
                }
            }
            if hasPending { emitLiteral(p - 1) }
        }
        if !tokens.isEmpty || blockStart < count {
            flush(tokens, blockStart..<count)
        }
    }
}

/// Builds length-limited canonical Huffman codes from symbol frequencies, for the encoder.
enum HuffmanCodeBuilder {
    /// Code lengths (0 for unused symbols) minimising the encoded size of `frequencies`, with no
    /// code longer than `maxLength`.
    ///
    /// Lengths come from an optimal Huffman tree (two-queue construction over sorted leaves). If
    /// the tree is too deep, codes are moved between lengths keeping the Kraft sum exact (the
    /// adjustment miniz uses) and lengths are re-dealt so that more frequent symbols get
    /// shorter codes. When fewer than two symbols are used, two codes of length 1 are made, since
    /// some decoders reject a code with a single symbol.
    static func lengths(for frequencies: [Int], maxLength: Int) -> [UInt8] {
        var lengths = [UInt8](repeating: 0, count: frequencies.count)
        // Leaves sorted by ascending frequency (then symbol, for determinism).
        var leaves = frequencies.indices.filter { frequencies[$0] > 0 }
        if leaves.count < 2 {
            for symbol in 0..<min(2, frequencies.count) where !leaves.contains(symbol) && leaves.count < 2 {
                leaves.append(symbol)
            }
            for symbol in leaves { lengths[symbol] = 1 }
            return lengths
        }
        leaves.sort { (frequencies[$0], $0) < (frequencies[$1], $1) }

        // Nodes 0..<m are leaves in sorted order; internal nodes m... are created with
        // non-decreasing weights, so two queues replace a heap.
        let leafCount = leaves.count
        var weight = leaves.map { frequencies[$0] }
        weight.reserveCapacity(2 * leafCount - 1)
        var parent = [Int](repeating: -1, count: 2 * leafCount - 1)
        var nextLeaf = 0, nextInternal = leafCount
        func takeSmallest() -> Int {
            if nextLeaf < leafCount && (nextInternal >= weight.count || weight[nextLeaf] <= weight[nextInternal]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextInternal += 1
            return nextInternal - 1
        }
        while weight.count < 2 * leafCount - 1 {
            let a = takeSmallest(), b = takeSmallest()
            let node = weight.count
            weight.append(weight[a] + weight[b])
            parent[a] = node
            parent[b] = node
        }
        var depth = [Int](repeating: 0, count: 2 * leafCount - 1)
        for node in stride(from: 2 * leafCount - 3, through: 0, by: -1) {
            depth[node] = depth[parent[node]] + 1
        }

        // How many codes of each length, with over-long codes clamped, then fixed up.
        var countPerLength = [Int](repeating: 0, count: maxLength + 1)
        for leaf in 0..<leafCount { countPerLength[min(depth[leaf], maxLength)] += 1 }
        var kraft = 0
        for length in 1...maxLength { kraft += countPerLength[length] << (maxLength - length) }
        while kraft > 1 << maxLength {
            countPerLength[maxLength] -= 1
            for length in stride(from: maxLength - 1, through: 1, by: -1) where countPerLength[length] > 0 {
                countPerLength[length] -= 1
                countPerLength[length + 1] += 2
                break
            }
            kraft -= 1
        }

        // Deal the lengths: the most frequent leaves (at the end) get the shortest codes.
        var leaf = leafCount - 1
        for length in 1...maxLength {
            for _ in 0..<countPerLength[length] {
                lengths[leaves[leaf]] = UInt8(length)
                leaf -= 1
            }
        }
        return lengths
    }

    /// The canonical codes for `lengths` (RFC 1951 section 3.2.2), bit-reversed for writing
    /// least-significant bit first.
    static func reversedCodes(for lengths: [UInt8]) -> [UInt32] {
        var countPerLength = [Int](repeating: 0, count: 16)
        for length in lengths where length > 0 { countPerLength[Int(length)] += 1 }
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1..<16 {
            code = (code + countPerLength[length - 1]) << 1
            nextCode[length] = code
        }
        return lengths.map { length in
            guard length > 0 else { return 0 }
            let code = nextCode[Int(length)]
            nextCode[Int(length)] += 1
            return UInt32(HuffmanDecodingTable.reverse(code, bits: Int(length)))
        }
    }
}

/// The string table of LZW as GIF and TIFF use it: codes below `roots` stand for one byte,
/// the next `reserved` codes are control codes (clear, end), and every later code is an
/// earlier code's string followed by one byte. Strings are written out by walking back through
/// their prefixes, so the table costs a few arrays of 4096 entries and no string copies.
struct LZWStringTable {
    static let capacity = 4096

    private let firstFreeCode: Int
    private var prefix = [Int](repeating: -1, count: capacity)
    private var suffix = [UInt8](repeating: 0, count: capacity)
    private var first = [UInt8](repeating: 0, count: capacity)
    private var length = [Int](repeating: 1, count: capacity)
    /// The code the next entry gets.
    private(set) var next: Int

    init(roots: Int, reserved: Int) {
        firstFreeCode = roots + reserved
        next = firstFreeCode
        for code in 0..<min(roots, LZWStringTable.capacity) {
            suffix[code] = UInt8(truncatingIfNeeded: code)
            first[code] = UInt8(truncatingIfNeeded: code)
        }
    }

    /// Forgets every added entry (a clear code).
    mutating func reset() { next = firstFreeCode }

    var isFull: Bool { next >= LZWStringTable.capacity }

    /// Adds `code`'s string followed by `byte`; a full table stays as it is.
    private mutating func add(_ code: Int, then byte: UInt8) {
        guard next < LZWStringTable.capacity else { return }
        prefix[next] = code
        suffix[next] = byte
        first[next] = first[code]
        length[next] = length[code] + 1
        next += 1
    }

    /// Adds the entry that reading `code` right after `earlier` defines: `earlier`'s string
    /// followed by the first byte of `code`'s, or of `earlier`'s own when `code` is the very
    /// entry being defined (the KwKwK case). False when `code` lies beyond the table: the data
    /// is corrupt.
    mutating func learn(_ code: Int, after earlier: Int) -> Bool {
        if code < next {
            add(earlier, then: first[code])
        } else if code == next && !isFull {
            add(earlier, then: first[earlier])
        } else {
            return false
        }
        return true
    }

    /// Writes `code`'s string into `output` from `position`, cut at the output's end; returns
    /// the new position.
    func write(_ code: Int, into output: inout [UInt8], at position: Int) -> Int {
        let end = position + length[code]
        var index = end - 1
        var current = code
        while current >= 0 {
            if index < output.count { output[index] = suffix[current] }
            index -= 1
            current = prefix[current]
        }
        return min(output.count, end)
    }
}

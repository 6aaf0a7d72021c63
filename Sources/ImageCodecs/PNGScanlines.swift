/// Cuts the decompressed stream into scanlines as it arrives, pass after pass (one, or Adam7's
/// seven), undoes each row's filter against the row above, and hands every finished row on.
/// Only two rows are ever held, so a large image is never kept in filtered form.
struct PNGScanlines {
    private let header: PNGHeader
    private let passes: [PNGPass]
    private var passIndex = 0
    /// The row being filled within the current pass.
    private var row = 0
    private var rowBytes = 0
    /// Filter byte + row, current and previous; `filled` bytes of the current one have arrived.
    private var current: [UInt8] = []
    private var previous: [UInt8] = []
    private var filled = 0
    private(set) var rowsDone = 0

    init(header: PNGHeader) {
        self.header = header
        passes = header.passes.filter { !$0.isEmpty }
        let widest = passes.map { header.rowBytes(pixels: $0.width) }.max() ?? 0
        current = [UInt8](repeating: 0, count: widest + 1)
        previous = current
        if let first = passes.first { rowBytes = header.rowBytes(pixels: first.width) }
    }

    /// Every row of every pass has arrived.
    var isComplete: Bool { passIndex == passes.count }

    /// Bytes two rows of the widest pass take (for a decoder's memory estimate).
    static func workingBytes(_ header: PNGHeader) -> Int { 2 * (header.rowBytes(pixels: header.width) + 1) }

    /// Takes in the next decompressed bytes; calls `onRow(pass, rowInPass, unfilteredLine)` per
    /// finished row. Bytes after the last row are an error, as in the one-shot decoder.
    mutating func consume(_ bytes: UnsafeRawBufferPointer,
                          onRow: (PNGPass, Int, UnsafePointer<UInt8>) throws -> Void) throws {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var offset = 0
        while offset < bytes.count {
            guard !isComplete else {
                throw ImageDecodingError(.png, .invalid, "the image data is longer than \(header.width)x\(header.height) pixels need")
            }
            let take = min(rowBytes + 1 - filled, bytes.count - offset)
            current.withUnsafeMutableBufferPointer { row in
                (row.baseAddress! + filled).update(from: source + offset, count: take)
            }
            filled += take
            offset += take
            if filled == rowBytes + 1 { try finishRow(onRow) }
        }
    }

    private mutating func finishRow(_ onRow: (PNGPass, Int, UnsafePointer<UInt8>) throws -> Void) throws {
        let pass = passes[passIndex]
        let rowNumber = rowsDone
        let first = row == 0
        try current.withUnsafeMutableBufferPointer { line in
            try previous.withUnsafeBufferPointer { above in
                let base = line.baseAddress!
                try PNGUnfilter.unfilterRow(base + 1, previous: first ? nil : above.baseAddress! + 1, filter: base[0],
                                            rowBytes: rowBytes, step: header.filterStep, row: rowNumber)
                try onRow(pass, row, UnsafePointer(base + 1))
            }
        }
        swap(&current, &previous)
        filled = 0
        rowsDone += 1
        row += 1
        if row == pass.height {
            row = 0
            passIndex += 1
            if passIndex < passes.count { rowBytes = header.rowBytes(pixels: passes[passIndex].width) }
        }
    }
}

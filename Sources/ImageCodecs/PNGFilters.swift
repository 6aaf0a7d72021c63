/// The five PNG row filters (specification section 9). Decoding undoes them in place on the
/// inflated data; encoding picks, per row, the filter whose output looks most compressible.
enum PNGFilter: UInt8, CaseIterable {
    case none = 0, sub, up, average, paeth

    @inline(__always)
    static func paethPredictor(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }
}

enum PNGUnfilter {
    /// Undoes the filter of one row in place: `line` holds `rowBytes` bytes, `previous` the row
    /// above it already unfiltered (nil for the first row of a pass). `step` is the byte
    /// distance to the previous pixel; `row` only names the row in an error.
    static func unfilterRow(_ line: UnsafeMutablePointer<UInt8>, previous: UnsafePointer<UInt8>?, filter: UInt8,
                            rowBytes: Int, step: Int, row: Int) throws {
        switch filter {
        case PNGFilter.none.rawValue:
            break
        case PNGFilter.sub.rawValue:
            if rowBytes > step {
                for i in step..<rowBytes { line[i] = line[i] &+ line[i - step] }
            }
        case PNGFilter.up.rawValue:
            if let previous {
                for i in 0..<rowBytes { line[i] = line[i] &+ previous[i] }
            }
        case PNGFilter.average.rawValue:
            if let previous {
                for i in 0..<min(step, rowBytes) { line[i] = line[i] &+ previous[i] >> 1 }
                if rowBytes > step {
                    for i in step..<rowBytes {
                        line[i] = line[i] &+ UInt8((UInt16(line[i - step]) + UInt16(previous[i])) >> 1)
                    }
                }
            } else if rowBytes > step {
                for i in step..<rowBytes { line[i] = line[i] &+ line[i - step] >> 1 }
            }
        case PNGFilter.paeth.rawValue:
            if let previous {
                // With no left neighbour the predictor is the byte above.
                for i in 0..<min(step, rowBytes) { line[i] = line[i] &+ previous[i] }
                if rowBytes > step {
                    for i in step..<rowBytes {
                        line[i] = line[i] &+ PNGFilter.paethPredictor(line[i - step], previous[i], previous[i - step])
                    }
                }
            } else if rowBytes > step {
                // With no row above Paeth reduces to Sub.
                for i in step..<rowBytes { line[i] = line[i] &+ line[i - step] }
            }
        case let other:
            throw ImageDecodingError(.png, .invalid, "row \(row) uses filter type \(other); only 0 to 4 exist")
        }
    }
}

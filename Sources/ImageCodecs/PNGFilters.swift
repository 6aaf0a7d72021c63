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
    /// Undoes the filters of one pass stored at `data[start...]`: `rows` rows of `rowBytes`
    /// bytes each, every row preceded by its filter byte. `step` is the byte distance to the
    /// previous pixel. The caller guarantees the region lies inside `data`.
    static func unfilter(_ data: UnsafeMutableBufferPointer<UInt8>, start: Int, rows: Int, rowBytes: Int, step: Int) throws {
        guard let base = data.baseAddress, rowBytes > 0 else { return }
        let stride = rowBytes + 1
        for row in 0..<rows {
            let filterOffset = start + row * stride
            let line = base + filterOffset + 1
            let hasPrevious = row > 0
            let previous = line - stride
            switch data[filterOffset] {
            case PNGFilter.none.rawValue:
                break
            case PNGFilter.sub.rawValue:
                if rowBytes > step {
                    for i in step..<rowBytes { line[i] = line[i] &+ line[i - step] }
                }
            case PNGFilter.up.rawValue:
                if hasPrevious {
                    for i in 0..<rowBytes { line[i] = line[i] &+ previous[i] }
                }
            case PNGFilter.average.rawValue:
                if hasPrevious {
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
                if hasPrevious {
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
}

/// YCbCr -> RGB conversion (JFIF / ITU-R BT.601 full range) in libjpeg-turbo's 16-bit fixed
/// point, so that rounding matches it exactly.
enum JPEGColorConversion {
    private static let scaleBits = 16
    private static let half = 1 << (scaleBits - 1)
    private static func fixed(_ x: Double) -> Int { Int(x * Double(1 << scaleBits) + 0.5) }

    /// Interleaves three full-resolution planes as RGB, converting from YCbCr when `isYCbCr`.
    static func interleave(_ y: JPEGPlane, _ cb: JPEGPlane, _ cr: JPEGPlane, width: Int, height: Int,
                           isYCbCr: Bool) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: width * height * 3)
        y.samples.withUnsafeBufferPointer { yBuffer in
            cb.samples.withUnsafeBufferPointer { cbBuffer in
                cr.samples.withUnsafeBufferPointer { crBuffer in
                    output.withUnsafeMutableBufferPointer { outBuffer in
                        guard let yBase = yBuffer.baseAddress, let cbBase = cbBuffer.baseAddress,
                              let crBase = crBuffer.baseAddress, let out = outBuffer.baseAddress else { return }
                        for row in 0..<height {
                            let outRow = out + row * width * 3
                            let yRow = yBase + row * y.stride, cbRow = cbBase + row * cb.stride, crRow = crBase + row * cr.stride
                            if isYCbCr {
                                convertRow(yRow, cbRow, crRow, count: width, into: outRow)
                            } else {
                                for x in 0..<width {
                                    outRow[3 * x] = yRow[x]
                                    outRow[3 * x + 1] = cbRow[x]
                                    outRow[3 * x + 2] = crRow[x]
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// libjpeg-turbo keeps these products in 256-entry tables; computing them gives the same
    /// integers and lets the compiler vectorise the loop (look-ups would need gathers).
    @inline(__always)
    private static func convertRow(_ luma: UnsafePointer<UInt8>, _ blueDifference: UnsafePointer<UInt8>,
                                   _ redDifference: UnsafePointer<UInt8>, count: Int,
                                   into out: UnsafeMutablePointer<UInt8>) {
        let rFromCr = Int32(fixed(1.40200)), bFromCb = Int32(fixed(1.77200))
        let gFromCr = -Int32(fixed(0.71414)), gFromCb = -Int32(fixed(0.34414))
        let rounding = Int32(half)
        for x in 0..<count {
            let y = Int32(luma[x]), cb = Int32(blueDifference[x]) &- 128, cr = Int32(redDifference[x]) &- 128
            out[3 * x] = clamp(y &+ ((rFromCr &* cr &+ rounding) &>> 16))
            out[3 * x + 1] = clamp(y &+ ((gFromCb &* cb &+ rounding &+ gFromCr &* cr) &>> 16))
            out[3 * x + 2] = clamp(y &+ ((bFromCb &* cb &+ rounding) &>> 16))
        }
    }

    @inline(__always)
    private static func clamp(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(value, 0), 255))
    }
}

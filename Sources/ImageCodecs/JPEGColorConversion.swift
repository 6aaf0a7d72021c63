/// YCbCr -> RGB conversion (JFIF / ITU-R BT.601 full range) in libjpeg-turbo's 16-bit fixed
/// point, so that rounding matches it exactly.
enum JPEGColorConversion {
    private static let scaleBits = 16
    private static let half = 1 << (scaleBits - 1)
    private static func fixed(_ x: Double) -> Int { Int(x * Double(1 << scaleBits) + 0.5) }

    /// Per chroma value: its contribution to R (from Cr), to B (from Cb), and the two
    /// contributions to G before the final shift (the rounding half is folded into Cb's).
    private static let redFromCr: [Int32] = (0..<256).map { Int32((fixed(1.40200) * ($0 - 128) + half) >> scaleBits) }
    private static let blueFromCb: [Int32] = (0..<256).map { Int32((fixed(1.77200) * ($0 - 128) + half) >> scaleBits) }
    private static let greenFromCr: [Int32] = (0..<256).map { Int32(-fixed(0.71414) * ($0 - 128)) }
    private static let greenFromCb: [Int32] = (0..<256).map { Int32(-fixed(0.34414) * ($0 - 128) + half) }

    @inline(__always)
    private static func clamp(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: value < 0 ? 0 : (value > 255 ? 255 : value))
    }

    /// Interleaves three full-resolution planes as RGB, converting from YCbCr when `isYCbCr`.
    static func interleave(_ y: JPEGPlane, _ cb: JPEGPlane, _ cr: JPEGPlane, width: Int, height: Int,
                           isYCbCr: Bool) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: width * height * 3)
        redFromCr.withUnsafeBufferPointer { redCr in
        blueFromCb.withUnsafeBufferPointer { blueCb in
        greenFromCr.withUnsafeBufferPointer { greenCr in
        greenFromCb.withUnsafeBufferPointer { greenCb in
        y.samples.withUnsafeBufferPointer { yBuffer in
        cb.samples.withUnsafeBufferPointer { cbBuffer in
        cr.samples.withUnsafeBufferPointer { crBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            guard let yBase = yBuffer.baseAddress, let cbBase = cbBuffer.baseAddress, let crBase = crBuffer.baseAddress,
                  let out = outBuffer.baseAddress, let rCr = redCr.baseAddress, let bCb = blueCb.baseAddress,
                  let gCr = greenCr.baseAddress, let gCb = greenCb.baseAddress else { return }
            for row in 0..<height {
                let yRow = yBase + row * y.stride, cbRow = cbBase + row * cb.stride, crRow = crBase + row * cr.stride
                let outRow = out + row * width * 3
                if isYCbCr {
                    for x in 0..<width {
                        let luma = Int32(yRow[x]), blue = Int(cbRow[x]), red = Int(crRow[x])
                        outRow[3 * x] = clamp(luma + rCr[red])
                        outRow[3 * x + 1] = clamp(luma + ((gCb[blue] + gCr[red]) >> 16))
                        outRow[3 * x + 2] = clamp(luma + bCb[blue])
                    }
                } else {
                    for x in 0..<width {
                        outRow[3 * x] = yRow[x]
                        outRow[3 * x + 1] = cbRow[x]
                        outRow[3 * x + 2] = crRow[x]
                    }
                }
            }
        }}}}}}}}
        return output
    }
}

import Kernels

/// The last step of a colour JPEG: three full-resolution planes into interleaved RGB. The
/// YCbCr conversion itself (libjpeg-turbo's fixed point, exactly) is a CPU kernel.
enum JPEGColorConversion {
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
                        let kernels = Kernels.selected
                        for row in 0..<height {
                            let outRow = out + row * width * 3
                            let yRow = yBase + row * y.stride, cbRow = cbBase + row * cb.stride, crRow = crBase + row * cr.stride
                            if isYCbCr {
                                kernels.yCbCrToRGB(yRow, cbRow, crRow, count: width, rgb: outRow)
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
}

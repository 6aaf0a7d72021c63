/// Chroma upsampling as libjpeg-turbo does it by default ("fancy" upsampling): triangular
/// interpolation for 2x horizontal (4:2:2), 2x vertical (4:4:0) and 2x2 (4:2:0) factors, each
/// output sample weighting its nearer input 3/4 and the farther 1/4 with libjpeg-turbo's
/// alternating rounding; every other integral factor (4:1:1, ...) replicates samples.

/// The samples of one component: `width` x `height` of them, rows `stride` apart.
struct JPEGPlane {
    var samples: [UInt8]
    let width: Int
    let height: Int
    let stride: Int
}

enum JPEGUpsampler {
    /// Scales `plane` up by `horizontal` x `vertical` and crops the result to
    /// `outputWidth` x `outputHeight` (stride `outputWidth`).
    static func upsample(_ plane: JPEGPlane, horizontal: Int, vertical: Int,
                         outputWidth: Int, outputHeight: Int) -> JPEGPlane {
        var output = [UInt8](repeating: 0, count: outputWidth * outputHeight)
        let inWidth = plane.width, inHeight = plane.height, stride = plane.stride
        // libjpeg-turbo interpolates horizontally only when there are more than 2 input samples.
        let fancyH2 = horizontal == 2 && inWidth > 2
        let rowLength = inWidth * horizontal
        plane.samples.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rowLength) { row in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: inWidth) { columnSums in
                        guard let src = source.baseAddress, let dst = target.baseAddress,
                              let rowBase = row.baseAddress, let sums = columnSums.baseAddress else { return }
                        for y in 0..<outputHeight {
                            let inRow = min(y / vertical, inHeight - 1)
                            let current = src + inRow * stride
                            if vertical == 2 && (horizontal == 1 || fancyH2) {
                                // The nearer neighbour row: above for even output rows, below for odd;
                                // the image edge repeats its own row.
                                let isUpper = y % 2 == 0
                                let neighbourRow = isUpper ? max(inRow - 1, 0) : min(inRow + 1, inHeight - 1)
                                let neighbour = src + neighbourRow * stride
                                if horizontal == 1 {
                                    let bias: Int32 = isUpper ? 1 : 2
                                    for x in 0..<inWidth {
                                        rowBase[x] = UInt8(truncatingIfNeeded: (Int32(current[x]) &* 3 &+ Int32(neighbour[x]) &+ bias) &>> 2)
                                    }
                                } else {
                                    for x in 0..<inWidth { sums[x] = Int32(current[x]) &* 3 &+ Int32(neighbour[x]) }
                                    interpolateColumnSums(sums, count: inWidth, into: rowBase)
                                }
                            } else if vertical == 1 && fancyH2 {
                                interpolateRow(current, count: inWidth, into: rowBase)
                            } else {
                                for x in 0..<outputWidth { rowBase[x] = current[x / horizontal] }
                            }
                            (dst + y * outputWidth).update(from: rowBase, count: outputWidth)
                        }
                    }
                }
            }
        }
        return JPEGPlane(samples: output, width: outputWidth, height: outputHeight, stride: outputWidth)
    }

    /// 2x horizontal triangular interpolation of one row (h2v1); `count` > 2.
    @inline(__always)
    private static func interpolateRow(_ input: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) {
        output[0] = input[0]
        output[1] = UInt8(truncatingIfNeeded: (Int32(input[0]) &* 3 &+ Int32(input[1]) &+ 2) >> 2)
        for x in 1..<(count - 1) {
            let near = Int32(input[x]) &* 3
            output[2 &* x] = UInt8(truncatingIfNeeded: (near &+ Int32(input[x &- 1]) &+ 1) >> 2)
            output[2 &* x &+ 1] = UInt8(truncatingIfNeeded: (near &+ Int32(input[x &+ 1]) &+ 2) >> 2)
        }
        let last = count - 1
        output[2 &* last] = UInt8(truncatingIfNeeded: (Int32(input[last]) &* 3 &+ Int32(input[last - 1]) &+ 1) >> 2)
        output[2 &* last &+ 1] = input[last]
    }

    /// 2x horizontal interpolation of vertically interpolated column sums (each 4x a sample),
    /// completing h2v2 triangular upsampling; `count` > 2.
    @inline(__always)
    private static func interpolateColumnSums(_ sums: UnsafePointer<Int32>, count: Int, into output: UnsafeMutablePointer<UInt8>) {
        output[0] = UInt8(truncatingIfNeeded: (sums[0] &* 4 &+ 8) >> 4)
        output[1] = UInt8(truncatingIfNeeded: (sums[0] &* 3 &+ sums[1] &+ 7) >> 4)
        for x in 1..<(count - 1) {
            let near = sums[x] &* 3
            output[2 &* x] = UInt8(truncatingIfNeeded: (near &+ sums[x &- 1] &+ 8) >> 4)
            output[2 &* x &+ 1] = UInt8(truncatingIfNeeded: (near &+ sums[x &+ 1] &+ 7) >> 4)
        }
        let last = count - 1
        output[2 &* last] = UInt8(truncatingIfNeeded: (sums[last] &* 3 &+ sums[last - 1] &+ 8) >> 4)
        output[2 &* last &+ 1] = UInt8(truncatingIfNeeded: (sums[last] &* 4 &+ 7) >> 4)
    }
}

// Conv2D as implicit GEMM: groups of up to six output pixels of one row are multiplied against
// the packed kernel straight from the NHWC image, one kernel row (kw x in contiguous values) per
// segment. Pixels whose window crosses the left/right edge ('same' padding), and every pixel of
// a convolution dilated along the width, are unfolded (im2col) into a small scratch block first.
import KernelInterface

extension Backend {
    public static func convolutionScratchCount(_ plan: ConvolutionPlan) -> Int {
        if plan.isPointwise { return 0 }
        if let padded = plan.paddedWindow { return padded.inputPixels * plan.inputChannels }
        return tileRows * plan.patchLength
    }

    public static func convolve(_ input: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan, weights: PackedMatrix,
                                output: UnsafeMutablePointer<Float>, epilogue: Epilogue, scratch: UnsafeMutablePointer<Float>) {
        precondition(weights.rows == plan.patchLength && weights.columns == plan.outputChannels,
                     "weights do not match the convolution")
        let w = plan.window
        if plan.isPointwise {
            gemm(rows: batch &* w.outputPixels, a: input, lda: plan.inputChannels, b: weights, c: output,
                       ldc: plan.outputChannels, epilogue: epilogue, accumulate: false)
            return
        }
        if plan.everyPixelDirect {
            convolveInterior(input, batch: batch, window: w, plan: plan, weights: weights, into: output, epilogue: epilogue)
            return
        }
        let inputSize = w.inputPixels &* plan.inputChannels
        let outputSize = w.outputPixels &* plan.outputChannels
        if let padded = plan.paddedWindow {
            // Each image into a zero border in scratch, then every pixel reads straight from it.
            // Only the border is zeroed: the image overwrites the rest.
            let channels = plan.inputChannels
            let rowLength = w.inputWidth &* channels
            let paddedRow = padded.inputWidth &* channels
            let left = w.padLeft &* channels
            let right = paddedRow &- left &- rowLength
            for image in 0..<batch {
                let source = input + image &* inputSize
                scratch.update(repeating: 0, count: w.padTop &* paddedRow)
                for y in 0..<w.inputHeight {
                    let row = scratch + (y &+ w.padTop) &* paddedRow
                    row.update(repeating: 0, count: left)
                    (row + left).update(from: source + y &* rowLength, count: rowLength)
                    (row + (left &+ rowLength)).update(repeating: 0, count: right)
                }
                let below = w.padTop &+ w.inputHeight
                (scratch + below &* paddedRow).update(repeating: 0, count: (padded.inputHeight &- below) &* paddedRow)
                convolveInterior(UnsafePointer(scratch), batch: 1, window: padded, plan: plan, weights: weights,
                                 into: output + image &* outputSize, epilogue: epilogue)
            }
            return
        }
        for image in 0..<batch {
            convolveWithEdges(input + image &* inputSize, plan: plan, weights: weights,
                              into: output + image &* outputSize, epilogue: epilogue, scratch: scratch)
        }
    }
}

/// Whole images when every window lies inside them: six consecutive output pixels per block,
/// each block's row starts found by stepping through the output row by row and on into the next
/// image, so a batch is one stream of blocks (no part-filled block at each image's end).
/// `w` is the plan's window, or its padded form (`plan` gives channels and patch length).
private func convolveInterior(_ source: UnsafePointer<Float>, batch: Int, window w: Window2D, plan: ConvolutionPlan,
                              weights: PackedMatrix, into destination: UnsafeMutablePointer<Float>,
                              epilogue: Epilogue) {
    let channels = plan.inputChannels
    let n = plan.outputChannels
    let segmentLength = w.kernelWidth &* channels
    let affine = weights.outputAffine
    let pixelStep = w.strideWidth &* channels
    let rowStep = w.strideHeight &* w.inputWidth &* channels
    let imageSize = w.inputPixels &* channels
    let segmentStride = w.dilationHeight &* w.inputWidth &* channels
    let pixels = batch &* w.outputPixels
    var imageStart = source
    var rowStart = source      // input position of output pixel (outY, 0) of the current image
    var outX = 0, outY = 0
    var pixel = 0
    @inline(__always) func take() -> UnsafePointer<Float> {
        let start = rowStart + outX &* pixelStep
        outX &+= 1
        if outX == w.outputWidth {
            outX = 0
            outY &+= 1
            if outY == w.outputHeight {
                outY = 0
                imageStart += imageSize
                rowStart = imageStart
            } else {
                rowStart += rowStep
            }
        }
        return start
    }
    while pixel < pixels {
        let rows = min(tileRows, pixels &- pixel)
        let p0 = take()
        let p1 = rows > 1 ? take() : p0, p2 = rows > 2 ? take() : p0
        let p3 = rows > 3 ? take() : p0, p4 = rows > 4 ? take() : p0, p5 = rows > 5 ? take() : p0
        let output = destination + pixel &* n
        for panel in 0..<weights.panelCount {
            let first = panel &* weights.panelWidth
            let width = weights.width(ofPanel: panel)
            multiplyTile(rows: rows, RowPointers(p0, p1, p2, p3, p4, p5), segmentCount: w.kernelHeight,
                         segmentLength: segmentLength, segmentStride: segmentStride,
                         b: weights.panelStart(panel),
                         bias: UnsafePointer(weights.bias.pointer + first), c: output + first, ldc: n,
                         columns: min(width, n &- first), epilogue: epilogue, narrow: width == lanes,
                         affine: PanelAffine(affine, matrix: weights, firstColumn: first))
        }
        pixel &+= rows
    }
}

/// How an output pixel is computed: straight from the image (its window is inside the image
/// horizontally; kernel rows firstRow..<endRow are inside vertically), or from an unfolded copy.
private struct PixelKind: Equatable {
    let direct: Bool
    let firstRow: Int
    let endRow: Int
}

@inline(__always)
private func pixelKind(_ pixel: Int, _ plan: ConvolutionPlan) -> PixelKind {
    let outY = pixel / plan.window.outputWidth
    let outX = pixel &- outY &* plan.window.outputWidth
    let firstRow = plan.firstKernelRow[outY], endRow = plan.endKernelRow[outY]
    guard outX >= plan.interiorStart && outX < plan.interiorEnd && endRow > firstRow else {
        return PixelKind(direct: false, firstRow: 0, endRow: 0)
    }
    return PixelKind(direct: true, firstRow: firstRow, endRow: endRow)
}

/// Consecutive output pixels (in row-major order) go six at a time through the GEMM kernel. A
/// group holds pixels of one kind: read straight from the image with the same kernel rows
/// inside it, or unfolded into scratch.
private func convolveWithEdges(_ source: UnsafePointer<Float>, plan: ConvolutionPlan, weights: PackedMatrix,
                               into destination: UnsafeMutablePointer<Float>, epilogue: Epilogue,
                               scratch: UnsafeMutablePointer<Float>) {
    let w = plan.window
    let channels = plan.inputChannels
    let n = plan.outputChannels
    let k = plan.patchLength
    let segmentLength = w.kernelWidth &* channels
    let affine = weights.outputAffine
    var pixel = 0
    while pixel < w.outputPixels {
        let kind = pixelKind(pixel, plan)
        var rows = 0
        var rowStarts = (source, source, source, source, source, source)
        while rows < tileRows && pixel &+ rows < w.outputPixels && pixelKind(pixel &+ rows, plan) == kind {
            let start: UnsafePointer<Float>
            if kind.direct {
                let outY = (pixel &+ rows) / w.outputWidth
                let outX = (pixel &+ rows) &- outY &* w.outputWidth
                start = source + ((outY &* w.strideHeight &- w.padTop &+ kind.firstRow &* w.dilationHeight)
                    &* w.inputWidth &+ outX &* w.strideWidth &- w.padLeft) &* channels
            } else {
                unfoldPatch(source, plan: plan, pixel: pixel &+ rows, into: scratch + rows &* k)
                start = UnsafePointer(scratch + rows &* k)
            }
            switch rows {
            case 0: rowStarts = (start, start, start, start, start, start)
            case 1: rowStarts.1 = start
            case 2: rowStarts.2 = start
            case 3: rowStarts.3 = start
            case 4: rowStarts.4 = start
            default: rowStarts.5 = start
            }
            rows &+= 1
        }
        let rowOutput = destination + pixel &* n
        for panel in 0..<weights.panelCount {
            let first = panel &* weights.panelWidth
            let width = weights.width(ofPanel: panel)
            let panelStart = weights.panelStart(panel)
            let bias = UnsafePointer(weights.bias.pointer + first)
            let columns = min(width, n &- first)
            let panelAffine = PanelAffine(affine, matrix: weights, firstColumn: first)
            if kind.direct {
                multiplyTile(rows: rows, rowStarts, segmentCount: kind.endRow &- kind.firstRow,
                             segmentLength: segmentLength,
                             segmentStride: w.dilationHeight &* w.inputWidth &* channels,
                             b: panelStart + kind.firstRow &* segmentLength &* width,
                             bias: bias, c: rowOutput + first, ldc: n, columns: columns, epilogue: epilogue,
                             narrow: width == lanes, affine: panelAffine)
            } else {
                multiplyTile(rows: rows, rowStarts, segmentCount: 1, segmentLength: k, segmentStride: 0,
                             b: panelStart, bias: bias, c: rowOutput + first, ldc: n,
                             columns: columns, epilogue: epilogue, narrow: width == lanes, affine: panelAffine)
            }
        }
        pixel &+= rows
    }
}

/// One output pixel's receptive field, kh x kw x in, zeros where it leaves the image.
@inline(__always)
private func unfoldPatch(_ source: UnsafePointer<Float>, plan: ConvolutionPlan, pixel: Int,
                         into patch: UnsafeMutablePointer<Float>) {
    let w = plan.window
    let outY = pixel / w.outputWidth
    let outX = pixel &- outY &* w.outputWidth
    let channels = plan.inputChannels
    var destination = patch
    for ky in 0..<w.kernelHeight {
        let inY = outY &* w.strideHeight &- w.padTop &+ ky &* w.dilationHeight
        for kx in 0..<w.kernelWidth {
            let inX = outX &* w.strideWidth &- w.padLeft &+ kx &* w.dilationWidth
            if inY < 0 || inY >= w.inputHeight || inX < 0 || inX >= w.inputWidth {
                destination.update(repeating: 0, count: channels)
            } else {
                destination.update(from: source + (inY &* w.inputWidth &+ inX) &* channels, count: channels)
            }
            destination += channels
        }
    }
}

extension Backend {
    public static func im2col(_ input: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan, columns: UnsafeMutablePointer<Float>) {
        let w = plan.window
        let inputSize = w.inputPixels &* plan.inputChannels
        let k = plan.patchLength
        var row = columns
        for image in 0..<batch {
            let source = input + image &* inputSize
            for pixel in 0..<w.outputPixels {
                unfoldPatch(source, plan: plan, pixel: pixel, into: row)
                row += k
            }
        }
    }

    public static func col2imAccumulate(_ columns: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan,
                                        image: UnsafeMutablePointer<Float>) {
        let w = plan.window
        let channels = plan.inputChannels
        let inputSize = w.inputPixels &* channels
        var row = columns
        for index in 0..<batch {
            let destination = image + index &* inputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    var tap = row
                    for ky in 0..<w.kernelHeight {
                        let inY = outY &* w.strideHeight &- w.padTop &+ ky &* w.dilationHeight
                        for kx in 0..<w.kernelWidth {
                            let inX = outX &* w.strideWidth &- w.padLeft &+ kx &* w.dilationWidth
                            if inY >= 0 && inY < w.inputHeight && inX >= 0 && inX < w.inputWidth {
                                addVectors(destination + (inY &* w.inputWidth &+ inX) &* channels, tap, count: channels)
                            }
                            tap += channels
                        }
                    }
                    row += plan.patchLength
                }
            }
        }
    }
}

/// result[i] += values[i], a vector at a time.
@inline(__always)
func addVectors(_ result: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index &+ lanes <= count {
        store(load(result + index) + load(values + index), result + index)
        index &+= lanes
    }
    while index < count {
        result[index] += values[index]
        index &+= 1
    }
}

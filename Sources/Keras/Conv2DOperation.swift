/// Conv2D as implicit GEMM: groups of up to six output pixels of one row are multiplied against
/// the packed kernel straight from the NHWC image, one kernel row (kw x in contiguous values) per
/// segment. Pixels whose window crosses the left/right edge ('same' padding), and every pixel of
/// a convolution dilated along the width, are unfolded (im2col) into a small scratch block first.
final class Conv2DOperation: ChannelAffineFoldable {
    let window: Window2D
    let inputChannels: Int
    let outputChannels: Int
    /// (kh, kw, in) x out, Keras's kernel layout flattened.
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
    private var packed: PackedMatrix?
    /// Output columns whose window lies inside the image horizontally: [interiorStart, interiorEnd).
    private let interiorStart: Int
    private let interiorEnd: Int
    /// Per output row, the kernel rows whose input rows exist: firstKernelRow[y]..<endKernelRow[y].
    private let firstKernelRow: [Int]
    private let endKernelRow: [Int]
    /// True when every output pixel reads its whole window straight from the image ('valid'
    /// padding, undilated width): the loop then skips classifying pixels.
    private let everyPixelDirect: Bool

    init(window: Window2D, inputChannels: Int, outputChannels: Int, kernel: [Float], bias: [Float],
         activation: Activation) {
        self.window = window
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
        if window.dilationWidth == 1 {
            let start = (window.padLeft + window.strideWidth - 1) / window.strideWidth
            let last = (window.inputWidth - window.kernelWidth + window.padLeft)
            interiorStart = min(start, window.outputWidth)
            interiorEnd = last < 0 ? interiorStart : max(interiorStart, min(window.outputWidth, last / window.strideWidth + 1))
        } else {
            interiorStart = 0
            interiorEnd = 0
        }
        var first: [Int] = []
        var end: [Int] = []
        for outY in 0..<window.outputHeight {
            let originY = outY * window.strideHeight - window.padTop
            var low = 0
            while low < window.kernelHeight && originY + low * window.dilationHeight < 0 { low += 1 }
            var high = window.kernelHeight
            while high > low && originY + (high - 1) * window.dilationHeight >= window.inputHeight { high -= 1 }
            first.append(low)
            end.append(high)
        }
        firstKernelRow = first
        endKernelRow = end
        everyPixelDirect = interiorStart == 0 && interiorEnd == window.outputWidth
            && first.allSatisfy { $0 == 0 } && end.allSatisfy { $0 == window.kernelHeight }
    }

    private var patchLength: Int { window.kernelHeight * window.kernelWidth * inputChannels }

    private var isPointwise: Bool {
        window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padTop == 0 && window.padLeft == 0
    }

    func fold(scale: [Float], shift: [Float]) {
        let n = outputChannels
        for row in 0..<(kernel.count / n) {
            for column in 0..<n { kernel[row * n + column] *= scale[column] }
        }
        if bias.isEmpty { bias = [Float](repeating: 0, count: n) }
        for column in 0..<n { bias[column] = bias[column] * scale[column] + shift[column] }
    }

    func prepare() {
        packed = PackedMatrix(weights: kernel, rows: patchLength, columns: outputChannels, bias: bias)
    }

    func scratchCount(batch: Int) -> Int { isPointwise ? 0 : 6 * patchLength }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        guard let packed else { return }
        let input = inputs[0]
        let fused = GEMMEpilogue.fusing(activation)
        let epilogue = fused ?? .none
        if isPointwise {
            let rows = batch &* window.outputPixels
            gemm(rowCount: rows, a: input, lda: inputChannels, b: packed, c: output, ldc: outputChannels,
                 epilogue: epilogue)
            if fused == nil { activation.apply(output, count: rows &* outputChannels, rowLength: outputChannels) }
            return
        }
        let w = window
        let channels = inputChannels
        let n = outputChannels
        let k = patchLength
        let segmentLength = w.kernelWidth &* channels
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* n
        let panelFloats = k &* PackedMatrix.panelWidth
        for image in 0..<batch {
            let source = input + image &* inputSize
            let destination = output + image &* outputSize
            // Consecutive output pixels (in row-major order) go six at a time through the GEMM
            // kernel. A group holds pixels of one kind: read straight from the image with the same
            // kernel rows inside it, or unfolded into scratch.
            if everyPixelDirect {
                convolveInterior(source, into: destination, packed: packed, epilogue: epilogue)
                if fused == nil { activation.apply(destination, count: outputSize, rowLength: n) }
                continue
            }
            var pixel = 0
            while pixel < w.outputPixels {
                let kind = pixelKind(pixel)
                var rows = 0
                var rowStarts = (source, source, source, source, source, source)
                while rows < 6 && pixel &+ rows < w.outputPixels && pixelKind(pixel &+ rows) == kind {
                    let start: UnsafePointer<Float>
                    if kind.direct {
                        let outY = (pixel &+ rows) / w.outputWidth
                        let outX = (pixel &+ rows) &- outY &* w.outputWidth
                        start = source + ((outY &* w.strideHeight &- w.padTop &+ kind.firstRow &* w.dilationHeight)
                            &* w.inputWidth &+ outX &* w.strideWidth &- w.padLeft) &* channels
                    } else {
                        unfoldPatch(source, pixel: pixel &+ rows, into: scratch + rows &* k)
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
                for panel in 0..<packed.panelCount {
                    let first = panel &* PackedMatrix.panelWidth
                    let panelStart = packed.panels.pointer + panel &* panelFloats
                    if kind.direct {
                        multiplyBlock(rows: rows, rowStarts, segmentCount: kind.endRow &- kind.firstRow,
                                      segmentLength: segmentLength,
                                      segmentStride: w.dilationHeight &* w.inputWidth &* channels,
                                      b: UnsafePointer(panelStart + kind.firstRow &* segmentLength &* PackedMatrix.panelWidth),
                                      bias: UnsafePointer(packed.bias.pointer + first), c: rowOutput + first, ldc: n,
                                      columns: min(PackedMatrix.panelWidth, n &- first), epilogue: epilogue)
                    } else {
                        multiplyBlock(rows: rows, rowStarts, segmentCount: 1, segmentLength: k, segmentStride: 0,
                                      b: UnsafePointer(panelStart), bias: UnsafePointer(packed.bias.pointer + first),
                                      c: rowOutput + first, ldc: n,
                                      columns: min(PackedMatrix.panelWidth, n &- first), epilogue: epilogue)
                    }
                }
                pixel &+= rows
            }
            if fused == nil { activation.apply(destination, count: outputSize, rowLength: n) }
        }
    }

    /// The whole image when every window lies inside it: six consecutive output pixels per block,
    /// each block's row starts found by stepping through the output row by row.
    private func convolveInterior(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                                  packed: PackedMatrix, epilogue: GEMMEpilogue) {
        let w = window
        let channels = inputChannels
        let n = outputChannels
        let segmentLength = w.kernelWidth &* channels
        let panelFloats = patchLength &* PackedMatrix.panelWidth
        let pixelStep = w.strideWidth &* channels
        let rowStep = w.strideHeight &* w.inputWidth &* channels
        var rowStart = source      // input position of output pixel (outY, 0)
        var outX = 0
        var pixel = 0
        @inline(__always) func take() -> UnsafePointer<Float> {
            let start = rowStart + outX &* pixelStep
            outX &+= 1
            if outX == w.outputWidth { outX = 0; rowStart += rowStep }
            return start
        }
        while pixel < w.outputPixels {
            let rows = min(6, w.outputPixels &- pixel)
            let p0 = take()
            let p1 = rows > 1 ? take() : p0, p2 = rows > 2 ? take() : p0
            let p3 = rows > 3 ? take() : p0, p4 = rows > 4 ? take() : p0, p5 = rows > 5 ? take() : p0
            let output = destination + pixel &* n
            for panel in 0..<packed.panelCount {
                let first = panel &* PackedMatrix.panelWidth
                multiplyBlock(rows: rows, RowPointers(p0, p1, p2, p3, p4, p5), segmentCount: w.kernelHeight,
                              segmentLength: segmentLength, segmentStride: w.dilationHeight &* w.inputWidth &* channels,
                              b: UnsafePointer(packed.panels.pointer + panel &* panelFloats),
                              bias: UnsafePointer(packed.bias.pointer + first), c: output + first, ldc: n,
                              columns: min(PackedMatrix.panelWidth, n &- first), epilogue: epilogue)
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
    private func pixelKind(_ pixel: Int) -> PixelKind {
        let outY = pixel / window.outputWidth
        let outX = pixel &- outY &* window.outputWidth
        let firstRow = firstKernelRow[outY], endRow = endKernelRow[outY]
        guard outX >= interiorStart && outX < interiorEnd && endRow > firstRow else {
            return PixelKind(direct: false, firstRow: 0, endRow: 0)
        }
        return PixelKind(direct: true, firstRow: firstRow, endRow: endRow)
    }

    /// im2col for one output pixel: its kh x kw x in window, zeros where it leaves the image.
    private func unfoldPatch(_ source: UnsafePointer<Float>, pixel: Int, into patch: UnsafeMutablePointer<Float>) {
        let w = window
        let outY = pixel / w.outputWidth
        let outX = pixel &- outY &* w.outputWidth
        let channels = inputChannels
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
}

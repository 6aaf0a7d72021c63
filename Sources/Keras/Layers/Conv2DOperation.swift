/// Conv2D as im2col + GEMM, in tiles of output rows so the unfolded patch matrix stays in cache.
/// A 1x1, stride-1, unpadded convolution skips im2col: the NHWC input already is the matrix.
final class Conv2DOperation: ChannelAffineFoldable {
    let window: Window2D
    let inputChannels: Int
    let outputChannels: Int
    /// (kh, kw, in) x out, Keras's kernel layout flattened.
    private(set) var kernel: [Float]
    private(set) var bias: [Float]
    var activation: Activation
    private var packed: PackedMatrix?
    /// Output pixels unfolded per tile: about 48 KiB of patches, a multiple of the GEMM's 6 rows.
    private let tileRows: Int

    init(window: Window2D, inputChannels: Int, outputChannels: Int, kernel: [Float], bias: [Float],
         activation: Activation) {
        self.window = window
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
        let patch = window.kernelHeight * window.kernelWidth * inputChannels
        tileRows = min(max(6, (12_288 / max(patch, 1)) / 6 * 6), max(window.outputPixels, 1))
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

    func scratchCount(batch: Int) -> Int { isPointwise ? 0 : tileRows * patchLength }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        guard let packed else { return }
        let input = inputs[0]
        let inputSize = window.inputPixels &* inputChannels
        let outputSize = window.outputPixels &* outputChannels
        if isPointwise {
            let rows = batch &* window.outputPixels
            gemm(rowCount: rows, a: input, lda: inputChannels, b: packed, c: output, ldc: outputChannels)
            activation.apply(output, count: rows &* outputChannels, rowLength: outputChannels)
            return
        }
        for image in 0..<batch {
            let source = input + image &* inputSize
            let destination = output + image &* outputSize
            var first = 0
            while first < window.outputPixels {
                let rows = min(tileRows, window.outputPixels &- first)
                unfoldPatches(source, firstPixel: first, count: rows, into: scratch)
                let tileOutput = destination + first &* outputChannels
                gemm(rowCount: rows, a: scratch, lda: patchLength, b: packed, c: tileOutput, ldc: outputChannels)
                activation.apply(tileOutput, count: rows &* outputChannels, rowLength: outputChannels)
                first &+= rows
            }
        }
    }

    /// im2col: one row of kh*kw*in values per output pixel, zeros where the window leaves the image.
    private func unfoldPatches(_ source: UnsafePointer<Float>, firstPixel: Int, count: Int,
                               into patches: UnsafeMutablePointer<Float>) {
        let w = window
        let channels = inputChannels
        let rowLength = w.kernelWidth &* channels
        for index in 0..<count {
            let pixel = firstPixel &+ index
            let outY = pixel / w.outputWidth
            let outX = pixel &- outY &* w.outputWidth
            var destination = patches + index &* patchLength
            let originX = outX &* w.strideWidth &- w.padLeft
            let contiguous = w.dilationWidth == 1 && originX >= 0
                && originX &+ w.kernelWidth <= w.inputWidth
            for ky in 0..<w.kernelHeight {
                let inY = outY &* w.strideHeight &- w.padTop &+ ky &* w.dilationHeight
                if inY < 0 || inY >= w.inputHeight {
                    destination.update(repeating: 0, count: rowLength)
                } else if contiguous {
                    destination.update(from: source + (inY &* w.inputWidth &+ originX) &* channels, count: rowLength)
                } else {
                    for kx in 0..<w.kernelWidth {
                        let inX = originX &+ kx &* w.dilationWidth
                        let slot = destination + kx &* channels
                        if inX < 0 || inX >= w.inputWidth {
                            slot.update(repeating: 0, count: channels)
                        } else {
                            slot.update(from: source + (inY &* w.inputWidth &+ inX) &* channels, count: channels)
                        }
                    }
                }
                destination += rowLength
            }
        }
    }
}

import Kernels

/// MaxPooling2D / AveragePooling2D (a kernel). Padded positions never win a max and are not
/// counted in an average (TensorFlow's 'same' pooling divides by the number of real pixels).
final class Pool2DOperation: Operation {
    let kind: PoolKind
    let window: Window2D
    let channels: Int
    private var kernels: (any KernelSet.Type)?

    init(kind: PoolKind, window: Window2D, channels: Int) {
        self.kind = kind
        self.window = window
        self.channels = channels
    }

    func prepare(kernels: any KernelSet.Type) { self.kernels = kernels }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        kernels?.pool(kind, inputs[0], batch: batch, window: window, channels: channels, output: output)
    }
}

/// GlobalAveragePooling2D / GlobalMaxPooling2D: one value per channel over all pixels.
final class GlobalPool2DOperation: Operation {
    let kind: PoolKind
    let pixels: Int
    let channels: Int

    init(kind: PoolKind, pixels: Int, channels: Int) {
        self.kind = kind
        self.pixels = pixels
        self.channels = channels
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        for image in 0..<batch {
            let source = inputs[0] + image &* pixels &* channels
            let result = output + image &* channels
            result.update(from: source, count: channels)
            for pixel in 1..<max(pixels, 1) {
                let row = source + pixel &* channels
                if kind == .max { maximumInto(result, row, count: channels) } else { addInto(result, row, count: channels) }
            }
            if kind == .average {
                let count = Float(pixels)
                for c in 0..<channels { result[c] /= count }
            }
        }
    }
}

/// ZeroPadding2D and Cropping2D: output pixel (y, x) takes input pixel (y + offsetY, x + offsetX),
/// or zero outside the input (negative offsets pad, positive ones crop).
final class SpatialShiftOperation: Operation {
    let inputHeight: Int, inputWidth: Int, channels: Int
    let outputHeight: Int, outputWidth: Int
    let offsetY: Int, offsetX: Int

    init(input: (Int, Int), output: (Int, Int), channels: Int, offset: (Int, Int)) {
        (inputHeight, inputWidth) = input
        (outputHeight, outputWidth) = output
        self.channels = channels
        (offsetY, offsetX) = offset
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let inputSize = inputHeight &* inputWidth &* channels
        let rowLength = outputWidth &* channels
        let x0 = max(0, -offsetX), x1 = min(outputWidth, inputWidth &- offsetX)
        for image in 0..<batch {
            let source = inputs[0] + image &* inputSize
            let destination = output + image &* outputHeight &* rowLength
            for y in 0..<outputHeight {
                let row = destination + y &* rowLength
                let inY = y &+ offsetY
                guard inY >= 0, inY < inputHeight, x1 > x0 else {
                    row.update(repeating: 0, count: rowLength)
                    continue
                }
                row.update(repeating: 0, count: x0 &* channels)
                row.advanced(by: x0 &* channels).update(
                    from: source + (inY &* inputWidth &+ x0 &+ offsetX) &* channels, count: (x1 &- x0) &* channels)
                row.advanced(by: x1 &* channels).update(repeating: 0, count: (outputWidth &- x1) &* channels)
            }
        }
    }
}

/// result[i] = max(result[i], values[i]) (a NaN in result stays). Plain loops, vectorised by the
/// compiler.
@inline(__always)
func maximumInto(_ result: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    for index in 0..<count {
        let current = result[index], value = values[index]
        result[index] = current < value ? value : current
    }
}

/// result[i] += values[i].
@inline(__always)
func addInto(_ result: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    for index in 0..<count { result[index] += values[index] }
}

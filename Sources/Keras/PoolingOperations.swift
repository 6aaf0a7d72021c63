/// MaxPooling2D / AveragePooling2D. Padded positions never win a max and are not counted in an
/// average (TensorFlow's 'same' pooling divides by the number of real pixels under the window).
final class Pool2DOperation: Operation {
    enum Kind { case max, average }
    let kind: Kind
    let window: Window2D
    let channels: Int

    init(kind: Kind, window: Window2D, channels: Int) {
        self.kind = kind
        self.window = window
        self.channels = channels
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let w = window
        let channels = self.channels
        let vectorChannels = channels & ~7
        let isMax = kind == .max
        let start = Vec8(repeating: isMax ? -Float.infinity : 0)
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* channels
        let rowStride = w.inputWidth &* channels
        for image in 0..<batch {
            let source = inputs[0] + image &* inputSize
            let destination = output + image &* outputSize
            for outY in 0..<w.outputHeight {
                let startY = outY &* w.strideHeight &- w.padTop
                let y0 = max(startY, 0), y1 = max(min(startY &+ w.kernelHeight, w.inputHeight), y0)
                for outX in 0..<w.outputWidth {
                    let startX = outX &* w.strideWidth &- w.padLeft
                    let x0 = max(startX, 0), x1 = max(min(startX &+ w.kernelWidth, w.inputWidth), x0)
                    let result = destination + (outY &* w.outputWidth &+ outX) &* channels
                    let corner = source + (y0 &* w.inputWidth &+ x0) &* channels
                    let count = Float((y1 &- y0) &* (x1 &- x0))
                    // Eight channels at a time: the whole window into one register.
                    var c = 0
                    if isMax && y1 &- y0 == 2 && x1 &- x0 == 2 {
                        // The common 2x2 max pool, unrolled.
                        let below = corner + rowStride
                        while c < vectorChannels {
                            let top = lanewiseMax(load8(corner + c), load8(corner + (c &+ channels)))
                            let bottom = lanewiseMax(load8(below + c), load8(below + (c &+ channels)))
                            store8(lanewiseMax(top, bottom), result + c)
                            c &+= 8
                        }
                    }
                    while c < vectorChannels {
                        var accumulator = start
                        var row = corner + c
                        for _ in y0..<y1 {
                            var pixel = row
                            for _ in x0..<x1 {
                                accumulator = isMax ? lanewiseMax(accumulator, load8(pixel)) : accumulator + load8(pixel)
                                pixel += channels
                            }
                            row += rowStride
                        }
                        store8(isMax ? accumulator : accumulator / Vec8(repeating: count), result + c)
                        c &+= 8
                    }
                    while c < channels {
                        var accumulator: Float = isMax ? -.infinity : 0
                        for y in y0..<y1 {
                            for x in x0..<x1 {
                                let value = source[(y &* w.inputWidth &+ x) &* channels &+ c]
                                accumulator = isMax ? max(accumulator, value) : accumulator + value
                            }
                        }
                        result[c] = isMax ? accumulator : accumulator / count
                        c &+= 1
                    }
                }
            }
        }
    }
}

/// GlobalAveragePooling2D / GlobalMaxPooling2D: one value per channel over all pixels.
final class GlobalPool2DOperation: Operation {
    let kind: Pool2DOperation.Kind
    let pixels: Int
    let channels: Int

    init(kind: Pool2DOperation.Kind, pixels: Int, channels: Int) {
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

/// result[i] = max(result[i], values[i]), eight lanes at a time.
@inline(__always)
func maximumInto(_ result: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index &+ 8 <= count {
        store8(lanewiseMax(load8(result + index), load8(values + index)), result + index)
        index &+= 8
    }
    while index < count {
        result[index] = max(result[index], values[index])
        index &+= 1
    }
}

/// result[i] += values[i], eight lanes at a time.
@inline(__always)
func addInto(_ result: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index &+ 8 <= count {
        store8(load8(result + index) + load8(values + index), result + index)
        index &+= 8
    }
    while index < count {
        result[index] += values[index]
        index &+= 1
    }
}

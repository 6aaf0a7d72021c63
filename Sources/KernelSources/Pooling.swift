// MaxPooling2D / AveragePooling2D and their gradients. Padded positions never win a max and
// are not counted in an average (TensorFlow's 'same' pooling divides by the number of real
// pixels under the window).
import KernelInterface

/// The part of an output pixel's window inside the image: rows y0..<y1, columns x0..<x1.
@inline(__always)
private func clippedWindow(_ w: Window2D, outY: Int, outX: Int) -> (y0: Int, y1: Int, x0: Int, x1: Int) {
    let startY = outY &* w.strideHeight &- w.padTop
    let startX = outX &* w.strideWidth &- w.padLeft
    let y0 = max(startY, 0), y1 = max(min(startY &+ w.kernelHeight, w.inputHeight), y0)
    let x0 = max(startX, 0), x1 = max(min(startX &+ w.kernelWidth, w.inputWidth), x0)
    return (y0, y1, x0, x1)
}

extension Backend {
    public static func pool(_ kind: PoolKind, _ input: UnsafePointer<Float>, batch: Int, window w: Window2D, channels: Int,
                            output: UnsafeMutablePointer<Float>) {
        let vectorChannels = channels - channels % lanes
        let isMax = kind == .max
        let start = Vec(repeating: isMax ? -Float.infinity : 0)
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* channels
        let rowStride = w.inputWidth &* channels
        for image in 0..<batch {
            let source = input + image &* inputSize
            let destination = output + image &* outputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = clippedWindow(w, outY: outY, outX: outX)
                    let result = destination + (outY &* w.outputWidth &+ outX) &* channels
                    let corner = source + (y0 &* w.inputWidth &+ x0) &* channels
                    let count = Float((y1 &- y0) &* (x1 &- x0))
                    // A vector of channels at a time: the whole window into one register.
                    var c = 0
                    if isMax && y1 &- y0 == 2 && x1 &- x0 == 2 {
                        // The common 2x2 max pool, unrolled.
                        let below = corner + rowStride
                        while c < vectorChannels {
                            let top = lanewiseMax(load(corner + c), load(corner + (c &+ channels)))
                            let bottom = lanewiseMax(load(below + c), load(below + (c &+ channels)))
                            store(lanewiseMax(top, bottom), result + c)
                            c &+= lanes
                        }
                    }
                    while c < vectorChannels {
                        var accumulator = start
                        var row = corner + c
                        for _ in y0..<y1 {
                            var pixel = row
                            for _ in x0..<x1 {
                                accumulator = isMax ? lanewiseMax(accumulator, load(pixel)) : accumulator + load(pixel)
                                pixel += channels
                            }
                            row += rowStride
                        }
                        store(isMax ? accumulator : accumulator / Vec(repeating: count), result + c)
                        c &+= lanes
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

    public static func poolGradient(_ kind: PoolKind, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                    batch: Int, window w: Window2D, channels: Int, inputGradient: UnsafeMutablePointer<Float>) {
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* channels
        for image in 0..<batch {
            let source = input + image &* inputSize
            let gradient = outputGradient + image &* outputSize
            let destination = inputGradient + image &* inputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = clippedWindow(w, outY: outY, outX: outX)
                    guard y1 > y0, x1 > x0 else { continue }
                    let incoming = gradient + (outY &* w.outputWidth &+ outX) &* channels
                    switch kind {
                    case .max:
                        for c in 0..<channels {
                            // The first maximum in row-major order takes the gradient.
                            var best = (y0 &* w.inputWidth &+ x0) &* channels &+ c
                            for y in y0..<y1 {
                                for x in x0..<x1 {
                                    let index = (y &* w.inputWidth &+ x) &* channels &+ c
                                    if source[index] > source[best] { best = index }
                                }
                            }
                            destination[best] += incoming[c]
                        }
                    case .average:
                        let count = Float((y1 &- y0) &* (x1 &- x0))
                        for y in y0..<y1 {
                            for x in x0..<x1 {
                                let pixel = destination + (y &* w.inputWidth &+ x) &* channels
                                for c in 0..<channels { pixel[c] += incoming[c] / count }
                            }
                        }
                    }
                }
            }
        }
    }
}

import Keras

/// MaxPooling2D and AveragePooling2D. Max pooling remembers, while training, which input won
/// each window (the first of equal values, as TensorFlow), and routes the gradient there;
/// average pooling spreads it over the window's real pixels ('same' windows at the edge
/// average fewer pixels, as TensorFlow's do).
final class Pooling2DLayer: TrainableLayer {
    enum Kind { case max, average }
    let kind: Kind
    let name: String
    let inputShape: [Int]
    let outputShape: [Int]
    let window: Window2D
    let padding: String
    let channels: Int
    private var winners: UnsafeMutablePointer<Int32>?
    private var winnerCapacity = 0

    var className: String { kind == .max ? "MaxPooling2D" : "AveragePooling2D" }

    init(kind: Kind, name: String, inputShape: [Int], window: Window2D, padding: String) {
        self.kind = kind
        self.name = name
        self.inputShape = inputShape
        self.window = window
        self.padding = padding
        channels = inputShape[2]
        outputShape = [window.outputHeight, window.outputWidth, channels]
    }

    deinit { winners?.deallocate() }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "pool_size": [window.kernelHeight, window.kernelWidth],
         "padding": padding, "strides": [window.strideHeight, window.strideWidth], "data_format": "channels_last"]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        guard kind == .max, mode.training, winnerCapacity < batch * outputSampleSize else { return }
        winners?.deallocate()
        winnerCapacity = batch * outputSampleSize
        winners = .allocate(capacity: winnerCapacity)
    }

    private func bounds(_ outY: Int, _ outX: Int) -> (y0: Int, y1: Int, x0: Int, x1: Int) {
        let w = window
        let startY = outY * w.strideHeight - w.padTop, startX = outX * w.strideWidth - w.padLeft
        let y0 = max(startY, 0), x0 = max(startX, 0)
        return (y0, max(min(startY + w.kernelHeight, w.inputHeight), y0), x0, max(min(startX + w.kernelWidth, w.inputWidth), x0))
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        let w = window, inSize = inputSampleSize, outSize = outputSampleSize
        let record = kind == .max && mode.training
        for image in 0..<slice.count {
            let source = input + image * inSize
            let destination = output + image * outSize
            let won = record ? winners! + (slice.start + image) * outSize : nil
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = bounds(outY, outX)
                    let result = destination + (outY * w.outputWidth + outX) * channels
                    for c in 0..<channels {
                        if kind == .max {
                            var best = -Float.infinity
                            var bestIndex = Int32(-1)
                            for y in y0..<y1 {
                                for x in x0..<x1 {
                                    let index = (y * w.inputWidth + x) * channels + c
                                    if source[index] > best || bestIndex < 0 { best = source[index]; bestIndex = Int32(index) }
                                }
                            }
                            result[c] = best
                            won?[(outY * w.outputWidth + outX) * channels + c] = bestIndex
                        } else {
                            var sum: Float = 0
                            for y in y0..<y1 { for x in x0..<x1 { sum += source[(y * w.inputWidth + x) * channels + c] } }
                            result[c] = sum / Float((y1 - y0) * (x1 - x0))
                        }
                    }
                }
            }
        }
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard let inputGradient else { return }
        let w = window, inSize = inputSampleSize, outSize = outputSampleSize
        inputGradient.update(repeating: 0, count: slice.count * inSize)
        for image in 0..<slice.count {
            let gradient = outputGradient + image * outSize
            let target = inputGradient + image * inSize
            if kind == .max {
                let won = winners! + (slice.start + image) * outSize
                for index in 0..<outSize where won[index] >= 0 { target[Int(won[index])] += gradient[index] }
                continue
            }
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = bounds(outY, outX)
                    let share = 1 / Float((y1 - y0) * (x1 - x0))
                    let g = gradient + (outY * w.outputWidth + outX) * channels
                    for y in y0..<y1 {
                        for x in x0..<x1 {
                            let t = target + (y * w.inputWidth + x) * channels
                            for c in 0..<channels { t[c] += g[c] * share }
                        }
                    }
                }
            }
        }
    }
}

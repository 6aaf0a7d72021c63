// DepthwiseConv2D computed directly: for each output pixel, its taps inside the image, each a
// per-channel multiply-add of the input pixel with that tap's weights.
import KernelInterface

extension Backend {
    public static func depthwiseConvolve(_ input: UnsafePointer<Float>, batch: Int, window w: Window2D, channels: Int,
                                         multiplier: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                         output: UnsafeMutablePointer<Float>) {
        let outChannels = channels &* multiplier
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* outChannels
        for image in 0..<batch {
            let source = input + image &* inputSize
            let destination = output + image &* outputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let accumulator = destination + (outY &* w.outputWidth &+ outX) &* outChannels
                    accumulator.update(from: bias, count: outChannels)
                    for ky in 0..<w.kernelHeight {
                        let inY = outY &* w.strideHeight &- w.padTop &+ ky &* w.dilationHeight
                        if inY < 0 || inY >= w.inputHeight { continue }
                        for kx in 0..<w.kernelWidth {
                            let inX = outX &* w.strideWidth &- w.padLeft &+ kx &* w.dilationWidth
                            if inX < 0 || inX >= w.inputWidth { continue }
                            let pixel = source + (inY &* w.inputWidth &+ inX) &* channels
                            let tap = weights + (ky &* w.kernelWidth &+ kx) &* outChannels
                            if multiplier == 1 {
                                var c = 0
                                while c &+ lanes <= channels {
                                    var sum = load(accumulator + c)
                                    multiplyAdd(&sum, load(pixel + c), load(tap + c))
                                    store(sum, accumulator + c)
                                    c &+= lanes
                                }
                                while c < channels {
                                    accumulator[c] += pixel[c] * tap[c]
                                    c &+= 1
                                }
                            } else {
                                for c in 0..<channels {
                                    let value = pixel[c]
                                    let base = c &* multiplier
                                    for m in 0..<multiplier { accumulator[base &+ m] += value * tap[base &+ m] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a convolution kernel needs to know beyond the window, worked out once per layer:
/// which output pixels may read their receptive field straight from the image (implicit GEMM)
/// and which must have it unfolded with zeros for the padding first.
public struct ConvolutionPlan: Sendable {
    public let window: Window2D
    public let inputChannels: Int
    public let outputChannels: Int
    /// Output columns whose window lies inside the image horizontally: [interiorStart, interiorEnd).
    /// Empty for a window dilated along the width (its taps are not contiguous).
    public let interiorStart: Int
    public let interiorEnd: Int
    /// Per output row, the kernel rows whose input rows exist: firstKernelRow[y]..<endKernelRow[y].
    public let firstKernelRow: [Int]
    public let endKernelRow: [Int]
    /// True when every output pixel reads its whole window from the image ('valid' padding,
    /// undilated width): kernels then skip classifying pixels.
    public let everyPixelDirect: Bool
    /// For a padded convolution with an undilated width: the same convolution as a 'valid' one
    /// over the image copied into a zero border (top and left pads as `window`'s, bottom and
    /// right as the output needs). Kernels prefer it to unfolding the edge pixels one by one.
    public let paddedWindow: Window2D?

    public init(window: Window2D, inputChannels: Int, outputChannels: Int) {
        precondition(inputChannels > 0 && outputChannels > 0)
        self.window = window
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        if window.dilationWidth == 1 {
            let start = (window.padLeft + window.strideWidth - 1) / window.strideWidth
            let last = window.inputWidth - window.kernelWidth + window.padLeft
            interiorStart = min(start, window.outputWidth)
            interiorEnd = last < 0 ? interiorStart
                : max(interiorStart, min(window.outputWidth, last / window.strideWidth + 1))
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
        if everyPixelDirect || window.dilationWidth != 1 {
            paddedWindow = nil
        } else {
            let spanHeight = (window.outputHeight - 1) * window.strideHeight + (window.kernelHeight - 1) * window.dilationHeight + 1
            let spanWidth = (window.outputWidth - 1) * window.strideWidth + window.kernelWidth
            paddedWindow = Window2D(
                inputHeight: max(window.inputHeight + window.padTop, spanHeight),
                inputWidth: max(window.inputWidth + window.padLeft, spanWidth),
                kernelHeight: window.kernelHeight, kernelWidth: window.kernelWidth,
                strideHeight: window.strideHeight, strideWidth: window.strideWidth,
                dilationHeight: window.dilationHeight, dilationWidth: 1,
                outputHeight: window.outputHeight, outputWidth: window.outputWidth)
        }
    }

    /// kh x kw x in: the length of one unfolded receptive field (a row of the im2col matrix,
    /// a row of the packed weights).
    public var patchLength: Int { window.kernelHeight * window.kernelWidth * inputChannels }

    /// A 1x1, stride-1, unpadded convolution: a plain matrix multiply over pixels.
    public var isPointwise: Bool {
        window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padTop == 0 && window.padLeft == 0
    }
}

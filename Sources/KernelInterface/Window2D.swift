/// The geometry of a 2-D sliding window (convolution or pooling) over NHWC images: sizes,
/// strides, dilation and padding, with the output size that results. Pads are the top and left
/// ones; the bottom and right take whatever the output size implies (Keras's 'same' puts the
/// odd extra pad there).
public struct Window2D: Equatable, Sendable {
    public let inputHeight: Int, inputWidth: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let dilationHeight: Int, dilationWidth: Int
    public let padTop: Int, padLeft: Int
    public let outputHeight: Int, outputWidth: Int

    /// Every value must already be consistent (the Keras loader checks a file's layer before it
    /// builds one); sizes, strides and dilations are positive.
    public init(inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1, dilationHeight: Int = 1, dilationWidth: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, outputHeight: Int, outputWidth: Int) {
        precondition(inputHeight > 0 && inputWidth > 0 && kernelHeight > 0 && kernelWidth > 0
                     && strideHeight > 0 && strideWidth > 0 && dilationHeight > 0 && dilationWidth > 0
                     && padTop >= 0 && padLeft >= 0 && outputHeight > 0 && outputWidth > 0,
                     "inconsistent window geometry")
        self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        self.padTop = padTop; self.padLeft = padLeft
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
    }

    /// 'valid' (no padding) or 'same' (output = ceil(input / stride)) padding, as Keras and
    /// TensorFlow define them; nil when a 'valid' window does not fit the input.
    public init?(inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int,
                 strideHeight: Int = 1, strideWidth: Int = 1, dilationHeight: Int = 1, dilationWidth: Int = 1,
                 samePadding: Bool) {
        guard inputHeight > 0, inputWidth > 0, kernelHeight > 0, kernelWidth > 0, strideHeight > 0,
              strideWidth > 0, dilationHeight > 0, dilationWidth > 0 else { return nil }
        let (spanHeight, overflowHeight) = (kernelHeight - 1).multipliedReportingOverflow(by: dilationHeight)
        let (spanWidth, overflowWidth) = (kernelWidth - 1).multipliedReportingOverflow(by: dilationWidth)
        guard !overflowHeight, !overflowWidth, spanHeight < Int.max / 2, spanWidth < Int.max / 2 else { return nil }
        let effectiveHeight = spanHeight + 1, effectiveWidth = spanWidth + 1
        let outputHeight: Int, outputWidth: Int, padTop: Int, padLeft: Int
        if samePadding {
            outputHeight = (inputHeight - 1) / strideHeight + 1
            outputWidth = (inputWidth - 1) / strideWidth + 1
            padTop = max((outputHeight - 1) * strideHeight + effectiveHeight - inputHeight, 0) / 2
            padLeft = max((outputWidth - 1) * strideWidth + effectiveWidth - inputWidth, 0) / 2
        } else {
            guard inputHeight >= effectiveHeight, inputWidth >= effectiveWidth else { return nil }
            outputHeight = (inputHeight - effectiveHeight) / strideHeight + 1
            outputWidth = (inputWidth - effectiveWidth) / strideWidth + 1
            padTop = 0
            padLeft = 0
        }
        self.init(inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kernelHeight,
                  kernelWidth: kernelWidth, strideHeight: strideHeight, strideWidth: strideWidth,
                  dilationHeight: dilationHeight, dilationWidth: dilationWidth, padTop: padTop, padLeft: padLeft,
                  outputHeight: outputHeight, outputWidth: outputWidth)
    }

    public var outputPixels: Int { outputHeight * outputWidth }
    public var inputPixels: Int { inputHeight * inputWidth }
}

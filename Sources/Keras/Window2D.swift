/// The geometry of a 2-D sliding window (convolution or pooling) over an NHWC image: sizes,
/// strides, dilation and Keras's padding ('same' puts the odd extra pad at the bottom/right).
package struct Window2D: Equatable {
    package let inputHeight: Int, inputWidth: Int
    package let kernelHeight: Int, kernelWidth: Int
    package let strideHeight: Int, strideWidth: Int
    package let dilationHeight: Int, dilationWidth: Int
    package let padTop: Int, padLeft: Int
    package let outputHeight: Int, outputWidth: Int

    package init(input: (Int, Int), kernel: (Int, Int), strides: (Int, Int), dilation: (Int, Int) = (1, 1),
         padding: String, config: LayerConfig) throws {
        guard kernel.0 > 0, kernel.1 > 0, kernel.0 <= 4096, kernel.1 <= 4096 else {
            throw config.invalid("window size \(kernel) must be positive")
        }
        guard strides.0 > 0, strides.1 > 0, dilation.0 > 0, dilation.1 > 0,
              dilation.0 <= 4096, dilation.1 <= 4096 else {
            throw config.invalid("strides \(strides) and dilation \(dilation) must be positive")
        }
        inputHeight = input.0; inputWidth = input.1
        kernelHeight = kernel.0; kernelWidth = kernel.1
        strideHeight = strides.0; strideWidth = strides.1
        dilationHeight = dilation.0; dilationWidth = dilation.1
        let effectiveHeight = (kernel.0 - 1) * dilation.0 + 1
        let effectiveWidth = (kernel.1 - 1) * dilation.1 + 1
        switch padding.lowercased() {
        case "valid":
            guard input.0 >= effectiveHeight, input.1 >= effectiveWidth else {
                throw config.invalid("a \(effectiveHeight)x\(effectiveWidth) window does not fit a \(input.0)x\(input.1) input")
            }
            outputHeight = (input.0 - effectiveHeight) / strides.0 + 1
            outputWidth = (input.1 - effectiveWidth) / strides.1 + 1
            padTop = 0; padLeft = 0
        case "same":
            outputHeight = (input.0 + strides.0 - 1) / strides.0
            outputWidth = (input.1 + strides.1 - 1) / strides.1
            padTop = max((outputHeight - 1) * strides.0 + effectiveHeight - input.0, 0) / 2
            padLeft = max((outputWidth - 1) * strides.1 + effectiveWidth - input.1, 0) / 2
        default:
            throw config.unsupported("padding '\(padding)' (only 'valid' and 'same' are supported)")
        }
        guard outputHeight > 0, outputWidth > 0 else { throw config.invalid("the output would be empty") }
    }

    package var outputPixels: Int { outputHeight * outputWidth }
    package var inputPixels: Int { inputHeight * inputWidth }
}

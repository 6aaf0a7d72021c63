import Kernels

extension Window2D {
    /// The window of a Keras layer, checked: a configuration that cannot work is refused
    /// naming the layer (Window2D itself comes from the kernels' interface).
    package init(input: (Int, Int), kernel: (Int, Int), strides: (Int, Int), dilation: (Int, Int) = (1, 1),
         padding: String, config: LayerConfig) throws {
        guard kernel.0 > 0, kernel.1 > 0, kernel.0 <= 4096, kernel.1 <= 4096 else {
            throw config.invalid("window size \(kernel) must be positive")
        }
        guard strides.0 > 0, strides.1 > 0, dilation.0 > 0, dilation.1 > 0,
              dilation.0 <= 4096, dilation.1 <= 4096 else {
            throw config.invalid("strides \(strides) and dilation \(dilation) must be positive")
        }
        guard input.0 > 0, input.1 > 0 else { throw config.invalid("the input \(input) is empty") }
        let same: Bool
        switch padding.lowercased() {
        case "valid": same = false
        case "same": same = true
        default: throw config.unsupported("padding '\(padding)' (only 'valid' and 'same' are supported)")
        }
        guard let window = Window2D(inputHeight: input.0, inputWidth: input.1, kernelHeight: kernel.0,
                                    kernelWidth: kernel.1, strideHeight: strides.0, strideWidth: strides.1,
                                    dilationHeight: dilation.0, dilationWidth: dilation.1, samePadding: same) else {
            let height = (kernel.0 - 1) * dilation.0 + 1, width = (kernel.1 - 1) * dilation.1 + 1
            throw config.invalid("a \(height)x\(width) window does not fit a \(input.0)x\(input.1) input")
        }
        self = window
    }
}

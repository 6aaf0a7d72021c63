import Foundation
import Kernels

/// What one call of a Keras layer becomes in the execution graph.
enum LayerPlan {
    /// The output is the input, reshaped at most (InputLayer, Dropout, Flatten, Reshape...).
    case identity(shape: [Int])
    /// One or more operations in sequence, each with its output shape (SeparableConv2D is two).
    case operations([(Operation, [Int])])

    var outputShape: [Int] {
        switch self {
        case let .identity(shape): return shape
        case let .operations(steps): return steps.last?.1 ?? []
        }
    }
}

/// Builds the operations for one layer call from its configuration, input shapes and weights.
/// Every class the engine supports is listed here; anything else is refused by name at load time.
enum LayerFactory {
    static let identityLayers: Set<String> = [
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
        "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    ]

    /// Largest number of floats one sample may hold at any layer (guards sizes from a file).
    static let maximumSampleSize = 1 << 28

    static func make(_ layer: LayerConfig, inputs: [[Int]], weights: LayerWeights, flavor: KerasFlavor) throws -> LayerPlan {
        let name = layer.className
        if identityLayers.contains(name) {
            return .identity(shape: try single(inputs, layer))
        }
        switch name {
        case "InputLayer":
            return .identity(shape: try single(inputs, layer))
        case "Flatten":
            try layer.requireChannelsLast()
            let shape = try single(inputs, layer)
            return .identity(shape: [try elementCount(shape, layer)])
        case "Reshape":
            return .identity(shape: try reshape(layer, input: try single(inputs, layer)))
        case "Conv2D", "Convolution2D":
            return try conv2D(layer, input: try image(inputs, layer), weights: weights, flavor: flavor)
        case "DepthwiseConv2D":
            return try depthwise(layer, input: try image(inputs, layer), weights: weights, flavor: flavor)
        case "SeparableConv2D", "SeparableConvolution2D":
            return try separable(layer, input: try image(inputs, layer), weights: weights, flavor: flavor)
        case "Dense":
            return try dense(layer, input: try single(inputs, layer), weights: weights, flavor: flavor)
        case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
            return try pooling(layer, input: try image(inputs, layer))
        case "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D":
            return try globalPooling(layer, input: try image(inputs, layer))
        case "ZeroPadding2D", "Cropping2D":
            return try paddingOrCropping(layer, input: try image(inputs, layer))
        case "Activation":
            let shape = try single(inputs, layer)
            let value = layer.values["activation"]
            guard let activation = Activation.parse(value, flavor: flavor) else {
                throw layer.unsupported("activation \(describe(value))")
            }
            return try elementwise(activation, shape: shape, layer: layer)
        case "ReLU":
            let shape = try single(inputs, layer)
            let maxValue = try layer.optionalDouble("max_value").map { Float($0) }
            let slope = Float(try layer.double("negative_slope", default: 0))
            let threshold = Float(try layer.double("threshold", default: 0))
            let activation: Activation = (maxValue == nil && slope == 0 && threshold == 0)
                ? .relu : .generalizedReLU(maxValue: maxValue, negativeSlope: slope, threshold: threshold)
            return try elementwise(activation, shape: shape, layer: layer)
        case "LeakyReLU":
            let shape = try single(inputs, layer)
            let key = layer.has("negative_slope") ? "negative_slope" : "alpha"
            return try elementwise(.leakyReLU(slope: Float(try layer.double(key, default: 0.3))), shape: shape, layer: layer)
        case "ELU":
            let shape = try single(inputs, layer)
            return try elementwise(.elu(alpha: Float(try layer.double("alpha", default: 1))), shape: shape, layer: layer)
        case "Softmax":
            return try softmaxLayer(layer, input: try single(inputs, layer))
        case "BatchNormalization":
            return try batchNormalization(layer, input: try single(inputs, layer), weights: weights)
        case "Rescaling":
            return try rescaling(layer, input: try single(inputs, layer))
        case "Normalization":
            return try normalization(layer, input: try single(inputs, layer), weights: weights)
        case "Add", "Subtract", "Multiply", "Average", "Maximum":
            return try merge(layer, inputs: inputs)
        case "Concatenate":
            return try concatenate(layer, inputs: inputs)
        default:
            throw KerasError.unsupportedLayer(className: layer.className, name: layer.name)
        }
    }

    // MARK: Shapes

    private static func single(_ inputs: [[Int]], _ layer: LayerConfig) throws -> [Int] {
        guard inputs.count == 1 else { throw layer.invalid("expects one input, receives \(inputs.count)") }
        return inputs[0]
    }

    /// An NHWC sample shape [height, width, channels].
    private static func image(_ inputs: [[Int]], _ layer: LayerConfig) throws -> (Int, Int, Int) {
        let shape = try single(inputs, layer)
        try layer.requireChannelsLast()
        guard shape.count == 3 else {
            throw layer.invalid("expects an input of shape (height, width, channels), receives \(shape)")
        }
        return (shape[0], shape[1], shape[2])
    }

    static func elementCount(_ shape: [Int], _ layer: LayerConfig) throws -> Int {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension > 0, !overflow, product <= maximumSampleSize else {
                throw layer.invalid("shape \(shape) is empty or too large")
            }
            count = product
        }
        return count
    }

    private static func describe(_ value: Any?) -> String {
        if let text = value as? String { return "'\(text)'" }
        if let object = value as? [String: Any], let config = object["config"] { return "\(config)" }
        return "\(value ?? "nil")"
    }

    private static func activation(of layer: LayerConfig, flavor: KerasFlavor) throws -> Activation {
        let value = layer.values["activation"]
        guard let activation = Activation.parse(value, flavor: flavor) else {
            throw layer.unsupported("activation \(describe(value))")
        }
        return activation
    }

    // MARK: Layers

    private static func reshape(_ layer: LayerConfig, input: [Int]) throws -> [Int] {
        guard let target = try layer.shape("target_shape") else { throw layer.invalid("'target_shape' is missing") }
        let total = try elementCount(input, layer)
        var known = 1
        var unknownIndex: Int? = nil
        var shape: [Int] = []
        for (index, dimension) in target.enumerated() {
            let value = dimension ?? -1
            if value == -1 {
                guard unknownIndex == nil else { throw layer.invalid("target_shape \(target) has two unknown dimensions") }
                unknownIndex = index
                shape.append(-1)
            } else {
                guard value > 0 else { throw layer.invalid("target_shape \(target) has a non-positive dimension") }
                let (product, overflow) = known.multipliedReportingOverflow(by: value)
                guard !overflow else { throw layer.invalid("target_shape \(target) is too large") }
                known = product
                shape.append(value)
            }
        }
        if let unknownIndex {
            guard known > 0, total % known == 0 else { throw layer.invalid("cannot reshape \(input) into \(target)") }
            shape[unknownIndex] = total / known
        }
        guard try elementCount(shape, layer) == total else {
            throw layer.invalid("cannot reshape \(input) (\(total) values) into \(shape)")
        }
        return shape
    }

    private static func conv2D(_ layer: LayerConfig, input: (Int, Int, Int), weights: LayerWeights,
                               flavor: KerasFlavor) throws -> LayerPlan {
        let filters = try layer.int("filters")
        guard filters > 0, filters <= 1 << 20 else { throw layer.invalid("filters must be positive") }
        guard try layer.int("groups", default: 1) == 1 else { throw layer.unsupported("groups other than 1") }
        let kernel = try layer.pair("kernel_size")
        let window = try Window2D(input: (input.0, input.1), kernel: kernel, strides: try layer.pair("strides", default: (1, 1)),
                                  dilation: try layer.pair("dilation_rate", default: (1, 1)),
                                  padding: try layer.string("padding", default: "valid"), config: layer)
        let useBias = try layer.bool("use_bias", default: true)
        var cursor = try WeightCursor(layer: layer, weights: weights, expected: useBias ? ["kernel", "bias"] : ["kernel"])
        let kernelValues = try cursor.next(shape: [kernel.0, kernel.1, input.2, filters])
        let bias = useBias ? try cursor.next(shape: [filters]) : []
        let shape = [window.outputHeight, window.outputWidth, filters]
        _ = try elementCount(shape, layer)
        let operation = Conv2DOperation(window: window, inputChannels: input.2, outputChannels: filters,
                                        kernel: kernelValues, bias: bias, activation: try activation(of: layer, flavor: flavor))
        return .operations([(operation, shape)])
    }

    private static func depthwiseWindow(_ layer: LayerConfig, input: (Int, Int, Int)) throws -> (Window2D, Int, (Int, Int)) {
        let multiplier = try layer.int("depth_multiplier", default: 1)
        guard multiplier > 0, multiplier <= 1 << 16 else { throw layer.invalid("depth_multiplier must be positive") }
        let kernel = try layer.pair("kernel_size")
        let window = try Window2D(input: (input.0, input.1), kernel: kernel, strides: try layer.pair("strides", default: (1, 1)),
                                  dilation: try layer.pair("dilation_rate", default: (1, 1)),
                                  padding: try layer.string("padding", default: "valid"), config: layer)
        return (window, multiplier, kernel)
    }

    private static func depthwise(_ layer: LayerConfig, input: (Int, Int, Int), weights: LayerWeights,
                                  flavor: KerasFlavor) throws -> LayerPlan {
        let (window, multiplier, kernel) = try depthwiseWindow(layer, input: input)
        let useBias = try layer.bool("use_bias", default: true)
        var cursor = try WeightCursor(layer: layer, weights: weights,
                                      expected: useBias ? ["depthwise_kernel", "bias"] : ["depthwise_kernel"])
        let kernelValues = try cursor.next(shape: [kernel.0, kernel.1, input.2, multiplier])
        let bias = useBias ? try cursor.next(shape: [input.2 * multiplier]) : []
        let shape = [window.outputHeight, window.outputWidth, input.2 * multiplier]
        _ = try elementCount(shape, layer)
        let operation = DepthwiseConv2DOperation(window: window, inputChannels: input.2, multiplier: multiplier,
                                                 kernel: kernelValues, bias: bias,
                                                 activation: try activation(of: layer, flavor: flavor))
        return .operations([(operation, shape)])
    }

    private static func separable(_ layer: LayerConfig, input: (Int, Int, Int), weights: LayerWeights,
                                  flavor: KerasFlavor) throws -> LayerPlan {
        let (window, multiplier, kernel) = try depthwiseWindow(layer, input: input)
        let filters = try layer.int("filters")
        guard filters > 0, filters <= 1 << 20 else { throw layer.invalid("filters must be positive") }
        let useBias = try layer.bool("use_bias", default: true)
        var cursor = try WeightCursor(
            layer: layer, weights: weights,
            expected: useBias ? ["depthwise_kernel", "pointwise_kernel", "bias"] : ["depthwise_kernel", "pointwise_kernel"])
        let middle = input.2 * multiplier
        let depthwiseValues = try cursor.next(shape: [kernel.0, kernel.1, input.2, multiplier])
        let pointwiseValues = try cursor.next(shape: [1, 1, middle, filters])
        let bias = useBias ? try cursor.next(shape: [filters]) : []
        let middleShape = [window.outputHeight, window.outputWidth, middle]
        let shape = [window.outputHeight, window.outputWidth, filters]
        _ = try elementCount(middleShape, layer)
        _ = try elementCount(shape, layer)
        let depthwise = DepthwiseConv2DOperation(window: window, inputChannels: input.2, multiplier: multiplier,
                                                 kernel: depthwiseValues, bias: [], activation: .linear)
        let pointwiseWindow = try Window2D(input: (window.outputHeight, window.outputWidth), kernel: (1, 1),
                                           strides: (1, 1), padding: "valid", config: layer)
        let pointwise = Conv2DOperation(window: pointwiseWindow, inputChannels: middle, outputChannels: filters,
                                        kernel: pointwiseValues, bias: bias,
                                        activation: try activation(of: layer, flavor: flavor))
        return .operations([(depthwise, middleShape), (pointwise, shape)])
    }

    private static func dense(_ layer: LayerConfig, input: [Int], weights: LayerWeights,
                              flavor: KerasFlavor) throws -> LayerPlan {
        guard let inputUnits = input.last else { throw layer.invalid("needs an input of rank 1 or more") }
        let units = try layer.int("units")
        guard units > 0, units <= 1 << 24 else { throw layer.invalid("units must be positive") }
        let useBias = try layer.bool("use_bias", default: true)
        var cursor = try WeightCursor(layer: layer, weights: weights, expected: useBias ? ["kernel", "bias"] : ["kernel"])
        let kernel = try cursor.next(shape: [inputUnits, units])
        let bias = useBias ? try cursor.next(shape: [units]) : []
        let shape = Array(input.dropLast()) + [units]
        _ = try elementCount(shape, layer)
        let rows = try elementCount(Array(input.dropLast()), layer)
        let operation = DenseOperation(inputUnits: inputUnits, units: units, rowsPerSample: rows, kernel: kernel,
                                       bias: bias, activation: try activation(of: layer, flavor: flavor))
        return .operations([(operation, shape)])
    }

    private static func pooling(_ layer: LayerConfig, input: (Int, Int, Int)) throws -> LayerPlan {
        let pool = try layer.pair("pool_size", default: (2, 2))
        let strides = try layer.pair("strides", default: pool)
        let window = try Window2D(input: (input.0, input.1), kernel: pool, strides: strides,
                                  padding: try layer.string("padding", default: "valid"), config: layer)
        let kind: PoolKind = layer.className.hasPrefix("Max") ? .max : .average
        return .operations([(Pool2DOperation(kind: kind, window: window, channels: input.2),
                             [window.outputHeight, window.outputWidth, input.2])])
    }

    private static func globalPooling(_ layer: LayerConfig, input: (Int, Int, Int)) throws -> LayerPlan {
        let kind: PoolKind = layer.className.contains("Max") ? .max : .average
        let keepDimensions = try layer.bool("keepdims", default: false)
        return .operations([(GlobalPool2DOperation(kind: kind, pixels: input.0 * input.1, channels: input.2),
                             keepDimensions ? [1, 1, input.2] : [input.2])])
    }

    private static func paddingOrCropping(_ layer: LayerConfig, input: (Int, Int, Int)) throws -> LayerPlan {
        let padding = layer.className == "ZeroPadding2D"
        let amounts = try layer.spatialAmounts(padding ? "padding" : "cropping", default: padding ? 1 : 0)
        let all = [amounts.top, amounts.bottom, amounts.left, amounts.right]
        guard all.allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else { throw layer.invalid("amounts \(all) must be non-negative") }
        let sign = padding ? 1 : -1
        let height = input.0 + sign * (amounts.top + amounts.bottom)
        let width = input.1 + sign * (amounts.left + amounts.right)
        guard height > 0, width > 0 else { throw layer.invalid("cropping \(all) leaves nothing of a \(input.0)x\(input.1) input") }
        let shape = [height, width, input.2]
        _ = try elementCount(shape, layer)
        let operation = SpatialShiftOperation(input: (input.0, input.1), output: (height, width), channels: input.2,
                                              offset: (-sign * amounts.top, -sign * amounts.left))
        return .operations([(operation, shape)])
    }

    private static func elementwise(_ activation: Activation, shape: [Int], layer: LayerConfig) throws -> LayerPlan {
        let count = try elementCount(shape, layer)
        return .operations([(ActivationOperation(activation: activation, sampleSize: count, lastAxis: shape.last ?? 1), shape)])
    }

    /// Resolves an axis (negative counts from the end; Keras counts the batch axis as 0) to an
    /// index into the sample shape.
    private static func sampleAxis(_ axis: Int, rank: Int, layer: LayerConfig) throws -> Int {
        let resolved = axis < 0 ? rank + axis : axis - 1
        guard resolved >= 0, resolved < rank else { throw layer.unsupported("axis \(axis) for an input of rank \(rank + 1)") }
        return resolved
    }

    private static func axisValue(_ layer: LayerConfig, default fallback: Int) throws -> Int {
        if let list = layer.values["axis"] as? [Any] {
            guard list.count == 1, let number = list[0] as? NSNumber else { throw layer.unsupported("axis \(list)") }
            return number.intValue
        }
        return try layer.int("axis", default: fallback)
    }

    private static func softmaxLayer(_ layer: LayerConfig, input: [Int]) throws -> LayerPlan {
        let axis = try sampleAxis(try axisValue(layer, default: -1), rank: input.count, layer: layer)
        let count = try elementCount(input, layer)
        let inner = input[(axis + 1)...].reduce(1, *)
        return .operations([(SoftmaxOperation(sampleSize: count, axisLength: input[axis], inner: inner), input)])
    }

    /// The per-channel operations work on the last axis only.
    private static func requireLastAxis(_ layer: LayerConfig, input: [Int], default fallback: Int) throws -> Int {
        let axis = try sampleAxis(try axisValue(layer, default: fallback), rank: input.count, layer: layer)
        guard axis == input.count - 1 else { throw layer.unsupported("normalising over an axis other than the last") }
        return input[axis]
    }

    private static func batchNormalization(_ layer: LayerConfig, input: [Int], weights: LayerWeights) throws -> LayerPlan {
        let channels = try requireLastAxis(layer, input: input, default: -1)
        let center = try layer.bool("center", default: true)
        let scale = try layer.bool("scale", default: true)
        let epsilon = Float(try layer.double("epsilon", default: 1e-3))
        var expected: [String] = []
        if scale { expected.append("gamma") }
        if center { expected.append("beta") }
        expected += ["moving_mean", "moving_variance"]
        var cursor = try WeightCursor(layer: layer, weights: weights, expected: expected)
        let gamma = scale ? try cursor.next(shape: [channels], flexible: true) : [Float](repeating: 1, count: channels)
        let beta = center ? try cursor.next(shape: [channels], flexible: true) : [Float](repeating: 0, count: channels)
        let mean = try cursor.next(shape: [channels], flexible: true)
        let variance = try cursor.next(shape: [channels], flexible: true)
        // TensorFlow's inference form: x * (gamma * rsqrt(var + eps)) + (beta - mean * that).
        var multiplier = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            multiplier[c] = (1 / (variance[c] + epsilon).squareRoot()) * gamma[c]
            shift[c] = beta[c] - mean[c] * multiplier[c]
        }
        let operation = ChannelAffineOperation(form: .scaleShift(scale: multiplier, shift: shift), channels: channels,
                                               sampleSize: try elementCount(input, layer), foldable: true)
        return .operations([(operation, input)])
    }

    private static func rescaling(_ layer: LayerConfig, input: [Int]) throws -> LayerPlan {
        guard let channels = input.last else { throw layer.invalid("needs an input of rank 1 or more") }
        func perChannel(_ key: String, _ fallback: Double) throws -> [Float] {
            let values = try layer.doubles(key) ?? [fallback]
            if values.count == 1 { return [Float](repeating: Float(values[0]), count: channels) }
            guard values.count == channels else { throw layer.unsupported("'\(key)' with \(values.count) values for \(channels) channels") }
            return values.map { Float($0) }
        }
        let operation = ChannelAffineOperation(form: .scaleShift(scale: try perChannel("scale", 1), shift: try perChannel("offset", 0)),
                                               channels: channels, sampleSize: try elementCount(input, layer), foldable: false)
        return .operations([(operation, input)])
    }

    private static func normalization(_ layer: LayerConfig, input: [Int], weights: LayerWeights) throws -> LayerPlan {
        let channels = try requireLastAxis(layer, input: input, default: -1)
        var mean: [Float]
        var variance: [Float]
        if let configMean = try layer.doubles("mean"), let configVariance = try layer.doubles("variance") {
            mean = configMean.map { Float($0) }
            variance = configVariance.map { Float($0) }
            if mean.count == 1 { mean = [Float](repeating: mean[0], count: channels) }
            if variance.count == 1 { variance = [Float](repeating: variance[0], count: channels) }
        } else {
            let stored = weights[layer.name] ?? []
            var cursor = try WeightCursor(layer: layer, weights: weights,
                                          expected: stored.count == 2 ? ["mean", "variance"] : ["mean", "variance", "count"])
            mean = try cursor.next(shape: [channels], flexible: true)
            variance = try cursor.next(shape: [channels], flexible: true)
        }
        guard mean.count == channels, variance.count == channels else {
            throw layer.invalid("mean and variance need \(channels) values")
        }
        // Keras: (x - mean) / max(sqrt(variance), epsilon), or the inverse with invert=True.
        let epsilon: Float = 1e-7
        let deviation = variance.map { max($0.squareRoot(), epsilon) }
        let sampleSize = try elementCount(input, layer)
        let form: ChannelAffineOperation.Form = try layer.bool("invert", default: false)
            ? .scaleShift(scale: deviation, shift: mean)
            : .subtractDivide(mean: mean, divisor: deviation)
        return .operations([(ChannelAffineOperation(form: form, channels: channels, sampleSize: sampleSize, foldable: false), input)])
    }

    private static func merge(_ layer: LayerConfig, inputs: [[Int]]) throws -> LayerPlan {
        guard inputs.count >= 2 else { throw layer.invalid("needs at least two inputs, receives \(inputs.count)") }
        guard inputs.allSatisfy({ $0 == inputs[0] }) else {
            throw layer.unsupported("inputs of different shapes \(inputs) (broadcasting is not supported)")
        }
        let kind: MergeOperation.Kind
        switch layer.className {
        case "Add": kind = .add
        case "Subtract":
            guard inputs.count == 2 else { throw layer.invalid("needs exactly two inputs") }
            kind = .subtract
        case "Multiply": kind = .multiply
        case "Average": kind = .average
        default: kind = .maximum
        }
        return .operations([(MergeOperation(kind: kind, sampleSize: try elementCount(inputs[0], layer)), inputs[0])])
    }

    private static func concatenate(_ layer: LayerConfig, inputs: [[Int]]) throws -> LayerPlan {
        guard let first = inputs.first, !inputs.isEmpty else { throw layer.invalid("has no inputs") }
        let axis = try sampleAxis(try layer.int("axis", default: -1), rank: first.count, layer: layer)
        var total = 0
        for shape in inputs {
            guard shape.count == first.count,
                  shape.indices.allSatisfy({ $0 == axis || shape[$0] == first[$0] }) else {
                throw layer.invalid("inputs \(inputs) differ outside the concatenation axis")
            }
            total += shape[axis]
        }
        var output = first
        output[axis] = total
        _ = try elementCount(output, layer)
        let outer = first[..<axis].reduce(1, *)
        let blocks = inputs.map { $0[axis...].reduce(1, *) }
        return .operations([(ConcatenateOperation(outer: outer, blocks: blocks), output)])
    }
}

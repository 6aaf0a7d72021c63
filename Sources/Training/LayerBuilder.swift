import Datasets
import Foundation
import Keras
import Kernels

/// Makes the trainable layer for one Keras layer configuration: stored weights when the model
/// came from a file, otherwise fresh ones from the layer's initialisers and the run's seed.
/// Anything training cannot reproduce faithfully (regularisers, constraints, other layer
/// classes) is refused by name rather than silently ignored.
enum LayerBuilder {
    static let supportedClasses = ["Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization", "Dropout",
                                   "Flatten", "Reshape", "Rescaling", "Activation", "Softmax", "ReLU", "LeakyReLU"]

    static func make(_ config: LayerConfig, inputShape: [Int], stored: [WeightTensor]?, flavor: KerasFlavor, index: Int,
                     seed: UInt64, kernels: any KernelSet.Type, budget: ParameterBudget = ParameterBudget()) throws -> TrainableLayer {
        try refuseRegularizers(config)
        var random = SeededRandom(seed: seed, stream: [0x1A1E, UInt64(index)])
        /// The stored weights in order, or fresh ones of these shapes from these initialisers;
        /// counted against the budget before anything is allocated.
        func weights(_ specs: [(String, [Int], Initializer)]) throws -> [[Float]] {
            try budget.take(specs.map { ParameterBudget.count(of: $0.1) }, layer: config.name)
            if let stored {
                guard stored.count == specs.count else {
                    throw TrainingError.dataMismatch(
                        "layer '\(config.name)' (\(config.className)) has \(stored.count) stored weights, \(specs.count) expected (\(specs.map(\.0).joined(separator: ", ")))")
                }
                return try zip(stored, specs).map { tensor, spec in
                    guard tensor.values.count == spec.1.reduce(1, *) else {
                        throw TrainingError.dataMismatch("layer '\(config.name)': \(spec.0) has shape \(tensor.shape), \(spec.1) expected")
                    }
                    return tensor.values
                }
            }
            return specs.map { $0.2.values(shape: $0.1, random: &random) }
        }
        func activation() throws -> Activation {
            let value = config.values["activation"]
            guard let activation = Activation.parse(value, flavor: flavor) else {
                throw TrainingError.unsupported("layer '\(config.name)': activation \(value.map { "\($0)" } ?? "nil")")
            }
            return activation
        }
        func initializer(_ key: String, _ fallback: Initializer) throws -> Initializer {
            try Initializer.parse(config.values[key], default: fallback, what: "layer '\(config.name)' \(key)")
        }
        func image() throws -> (Int, Int, Int) {
            try config.requireChannelsLast()
            guard inputShape.count == 3 else {
                throw TrainingError.dataMismatch("layer '\(config.name)' (\(config.className)) needs (height, width, channels) inputs, receives \(inputShape)")
            }
            return (inputShape[0], inputShape[1], inputShape[2])
        }

        switch config.className {
        case "Dense":
            let units = try config.int("units")
            guard units > 0, units <= 1 << 20, let inputUnits = inputShape.last else { throw config.invalid("units must be positive") }
            let useBias = try config.bool("use_bias", default: true)
            let kernelInit = try initializer("kernel_initializer", .glorotUniform)
            let biasInit = try initializer("bias_initializer", .zeros)
            var specs: [(String, [Int], Initializer)] = [("kernel", [inputUnits, units], kernelInit)]
            if useBias { specs.append(("bias", [units], biasInit)) }
            let values = try weights(specs)
            return DenseLayer(name: config.name, inputShape: inputShape, units: units, activation: try activation(),
                              kernel: values[0], bias: useBias ? values[1] : nil, initializers: (kernelInit, biasInit),
                              kernels: kernels)
        case "Conv2D", "Convolution2D":
            let (height, width, channels) = try image()
            let filters = try config.int("filters")
            guard filters > 0, filters <= 1 << 16 else { throw config.invalid("filters must be positive") }
            guard try config.int("groups", default: 1) == 1 else { throw TrainingError.unsupported("layer '\(config.name)': groups other than 1") }
            let kernel = try config.pair("kernel_size")
            let padding = try config.string("padding", default: "valid").lowercased()
            let window = try Window2D(input: (height, width), kernel: kernel, strides: try config.pair("strides", default: (1, 1)),
                                      dilation: try config.pair("dilation_rate", default: (1, 1)), padding: padding, config: config)
            let useBias = try config.bool("use_bias", default: true)
            let kernelInit = try initializer("kernel_initializer", .glorotUniform)
            let biasInit = try initializer("bias_initializer", .zeros)
            var specs: [(String, [Int], Initializer)] = [("kernel", [kernel.0, kernel.1, channels, filters], kernelInit)]
            if useBias { specs.append(("bias", [filters], biasInit)) }
            let values = try weights(specs)
            return Conv2DLayer(name: config.name, inputShape: inputShape, window: window, padding: padding, filters: filters,
                               activation: try activation(), kernel: values[0], bias: useBias ? values[1] : nil,
                               initializers: (kernelInit, biasInit), kernels: kernels)
        case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
            let (height, width, _) = try image()
            let pool = try config.pair("pool_size", default: (2, 2))
            let padding = try config.string("padding", default: "valid").lowercased()
            let window = try Window2D(input: (height, width), kernel: pool, strides: try config.pair("strides", default: pool),
                                      padding: padding, config: config)
            return Pooling2DLayer(kind: config.className.hasPrefix("Max") ? .max : .average, name: config.name,
                                  inputShape: inputShape, window: window, padding: padding, kernels: kernels)
        case "BatchNormalization":
            try requireLastAxis(config, rank: inputShape.count)
            guard let channels = inputShape.last else { throw config.invalid("needs an input") }
            let center = try config.bool("center", default: true), scale = try config.bool("scale", default: true)
            var specs: [(String, [Int], Initializer)] = []
            if scale { specs.append(("gamma", [channels], try initializer("gamma_initializer", .ones))) }
            if center { specs.append(("beta", [channels], try initializer("beta_initializer", .zeros))) }
            specs.append(("moving_mean", [channels], try initializer("moving_mean_initializer", .zeros)))
            specs.append(("moving_variance", [channels], try initializer("moving_variance_initializer", .ones)))
            var values = try weights(specs)
            let momentum = try config.double("momentum", default: 0.99), epsilon = try config.double("epsilon", default: 1e-3)
            guard momentum >= 0, momentum <= 1, epsilon > 0 else { throw config.invalid("momentum must be in 0-1 and epsilon positive") }
            let gamma = scale ? values.removeFirst() : nil
            let beta = center ? values.removeFirst() : nil
            return BatchNormalizationLayer(name: config.name, inputShape: inputShape, momentum: Float(momentum), epsilon: Float(epsilon),
                                           gamma: gamma, beta: beta, movingMean: values[0], movingVariance: values[1])
        case "Dropout":
            let rate = try config.double("rate", default: 0.5)
            guard rate >= 0, rate < 1 else { throw config.invalid("rate must be at least 0 and below 1, got \(rate)") }
            guard !config.has("noise_shape") else { throw TrainingError.unsupported("layer '\(config.name)': Dropout with a noise_shape") }
            return DropoutLayer(name: config.name, inputShape: inputShape, rate: Float(rate), salt: UInt64(index))
        case "Flatten":
            try config.requireChannelsLast()
            return ReshapeLayer(name: config.name, className: "Flatten", inputShape: inputShape, outputShape: [inputShape.reduce(1, *)])
        case "Reshape":
            guard let target = try config.shape("target_shape") else { throw config.invalid("'target_shape' is missing") }
            let total = inputShape.reduce(1, *)
            let known = target.compactMap { $0 }.filter { $0 > 0 }.reduce(1, *)
            let shape = target.map { $0 ?? -1 }.map { $0 == -1 ? (known > 0 ? total / known : 0) : $0 }
            guard shape.reduce(1, *) == total, shape.allSatisfy({ $0 > 0 }) else {
                throw config.invalid("cannot reshape \(inputShape) into \(target.map { $0 ?? -1 })")
            }
            return ReshapeLayer(name: config.name, className: "Reshape", inputShape: inputShape, outputShape: shape)
        case "Rescaling":
            let scale = try config.doubles("scale") ?? [1], offset = try config.doubles("offset") ?? [0]
            guard scale.count == 1, offset.count == 1 else {
                throw TrainingError.unsupported("layer '\(config.name)': Rescaling with per-channel scale or offset")
            }
            return RescalingLayer(name: config.name, inputShape: inputShape, scale: Float(scale[0]), offset: Float(offset[0]))
        case "Activation":
            return ActivationLayer(name: config.name, className: "Activation", inputShape: inputShape, activation: try activation())
        case "Softmax":
            let axis = (config.values["axis"] as? NSNumber)?.intValue ?? ((config.values["axis"] as? [NSNumber])?.first?.intValue ?? -1)
            guard axis == -1 || axis == inputShape.count else { throw TrainingError.unsupported("layer '\(config.name)': softmax over an axis other than the last") }
            return ActivationLayer(name: config.name, className: "Softmax", inputShape: inputShape, activation: .softmax)
        case "ReLU":
            guard !config.has("max_value"), try config.double("negative_slope", default: 0) == 0,
                  try config.double("threshold", default: 0) == 0 else {
                throw TrainingError.unsupported("layer '\(config.name)': ReLU with max_value, negative_slope or threshold")
            }
            return ActivationLayer(name: config.name, className: "Activation", inputShape: inputShape, activation: .relu)
        case "LeakyReLU":
            let key = config.has("negative_slope") ? "negative_slope" : "alpha"
            let slope = Float(try config.double(key, default: 0.3))
            return ActivationLayer(name: config.name, className: "Activation", inputShape: inputShape, activation: .leakyReLU(slope: slope))
        default:
            throw TrainingError.unsupported(
                "layer '\(config.name)' (\(config.className)); the trainer supports \(supportedClasses.joined(separator: ", "))")
        }
    }

    private static func requireLastAxis(_ config: LayerConfig, rank: Int) throws {
        var axis = -1
        if let list = config.values["axis"] as? [NSNumber] {
            guard list.count == 1 else { throw TrainingError.unsupported("layer '\(config.name)': normalising over several axes") }
            axis = list[0].intValue
        } else if let number = config.values["axis"] as? NSNumber {
            axis = number.intValue
        }
        guard axis == -1 || axis == rank else {
            throw TrainingError.unsupported("layer '\(config.name)': BatchNormalization over an axis other than the last")
        }
    }

    /// Keras would add regularisation losses or clip weights; the trainer does neither, so it says so.
    private static func refuseRegularizers(_ config: LayerConfig) throws {
        for (key, value) in config.values.sorted(by: { $0.key < $1.key })
        where (key.hasSuffix("_regularizer") || key.hasSuffix("_constraint")) && !(value is NSNull) {
            throw TrainingError.unsupported("layer '\(config.name)': \(key) (regularisers and constraints are not implemented)")
        }
    }
}

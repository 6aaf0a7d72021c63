import Datasets
import Foundation
import Keras

/// The networks a request can name, each built as the Keras 2 configuration tf-keras would
/// write for it (so the trained file loads in Keras as it is). Every network starts with
/// Rescaling(1/255): models take raw 0-255 pixels, as the served MNIST models do.
///
/// - `mlp` (Imagia): Flatten, then per entry of `layer_sizes` a Dense with `activation` and a
///   Dropout of `dropout_amount`, then Dense softmax. Defaults: [128, 128], 0.2, relu.
/// - `lenet5` (Imagia): LeNet-5 for 28x28: Conv 6 5x5 same, average pool 2, Conv 16 5x5,
///   average pool 2, Dense 120, Dense 84 (each with `activation`, default relu; optional
///   `dropout_amount` after each Dense), Dense softmax.
/// - `mnist_cnn`: the CNN of scripts/train_mnist.py (~14 M multiply-adds per digit).
/// - `mnist_small`: blocks of Conv 3x3 same (relu), BatchNormalization and max pool 2, one per
///   entry of `filters` (default [16, 32, 64]: ~2 M multiply-adds per digit), then Dropout 0.25,
///   Dense `dense_units` relu (default 128; 0: none) and Dropout 0.3. The default model
///   (assets/mnist_cnn.h5, see its model card and scripts/default-model.json) is one of these.
public enum NetworkCatalog {
    public static let names = ["mlp", "lenet5", "mnist_cnn", "mnist_small"]

    /// The settings each network takes under `network_args`.
    static let arguments: [String: [String]] = [
        "mlp": ["layer_sizes", "dropout_amount", "activation"],
        "lenet5": ["activation", "dropout_amount"],
        "mnist_cnn": [],
        "mnist_small": ["filters", "dense_units"],
    ]

    /// The configuration JSON of `network` for images of `shape` and `classes` outputs.
    public static func configuration(network: String, arguments: [String: Any], shape: ImageShape, classes: Int) throws -> [UInt8] {
        guard let known = NetworkCatalog.arguments[network] else {
            throw TrainingError.invalidSetting("network", "'\(network)' is not a network the trainer builds (\(names.joined(separator: ", ")), or \"file\" with network_args.path)")
        }
        if let unknown = arguments.keys.sorted().first(where: { !known.contains($0) }) {
            throw TrainingError.invalidSetting("network_args.\(unknown)",
                                               "is not a setting of \(network) (\(known.isEmpty ? "it takes none" : known.joined(separator: ", ")))")
        }
        var builder = SequentialBuilder(name: network, shape: shape)
        builder.add("Rescaling", ["scale": 1.0 / 255.0, "offset": 0.0])
        switch network {
        case "mlp":
            let sizes = try layerSizes(arguments["layer_sizes"])
            let dropout = try rate(arguments["dropout_amount"], default: 0.2, key: "network_args.dropout_amount")
            let activation = try activationName(arguments["activation"], default: "relu")
            builder.add("Flatten", ["data_format": "channels_last"])
            for size in sizes {
                builder.dense(size, activation: activation)
                if dropout > 0 { builder.add("Dropout", ["rate": dropout, "noise_shape": jsonNull, "seed": jsonNull]) }
            }
        case "lenet5":
            let activation = try activationName(arguments["activation"], default: "relu")
            let dropout = try rate(arguments["dropout_amount"], default: 0, key: "network_args.dropout_amount")
            builder.conv(6, kernel: 5, padding: "same", activation: activation)
            builder.pool("AveragePooling2D", 2)
            builder.conv(16, kernel: 5, padding: "valid", activation: activation)
            builder.pool("AveragePooling2D", 2)
            builder.add("Flatten", ["data_format": "channels_last"])
            for units in [120, 84] {
                builder.dense(units, activation: activation)
                if dropout > 0 { builder.add("Dropout", ["rate": dropout, "noise_shape": jsonNull, "seed": jsonNull]) }
            }
        case "mnist_small":
            let blocks = try filterCounts(arguments["filters"], default: [16, 32, 64], shape: shape)
            let units = try wholeNumber(arguments["dense_units"], default: 128, range: 0...65536, key: "network_args.dense_units")
            for filters in blocks {
                builder.conv(filters, kernel: 3, padding: "same", activation: "relu")
                builder.batchNormalization()
                builder.pool("MaxPooling2D", 2)
            }
            builder.add("Flatten", ["data_format": "channels_last"])
            builder.add("Dropout", ["rate": 0.25, "noise_shape": jsonNull, "seed": jsonNull])
            if units > 0 {
                builder.dense(units, activation: "relu")
                builder.add("Dropout", ["rate": 0.3, "noise_shape": jsonNull, "seed": jsonNull])
            }
        default:  // mnist_cnn, as scripts/train_mnist.py builds it
            builder.conv(32, kernel: 3, padding: "same", activation: "relu")
            builder.batchNormalization()
            builder.conv(32, kernel: 3, padding: "valid", activation: "relu")
            builder.pool("MaxPooling2D", 2)
            builder.add("Dropout", ["rate": 0.25, "noise_shape": jsonNull, "seed": jsonNull])
            builder.conv(64, kernel: 3, padding: "same", activation: "relu")
            builder.batchNormalization()
            builder.conv(64, kernel: 3, padding: "valid", activation: "relu")
            builder.pool("MaxPooling2D", 2)
            builder.add("Dropout", ["rate": 0.25, "noise_shape": jsonNull, "seed": jsonNull])
            builder.add("Flatten", ["data_format": "channels_last"])
            builder.dense(128, activation: "relu")
            builder.add("Dropout", ["rate": 0.4, "noise_shape": jsonNull, "seed": jsonNull])
        }
        builder.dense(classes, activation: "softmax")
        return builder.json
    }

    static func layerSizes(_ value: Any?) throws -> [Int] {
        guard let value, !(value is NSNull) else { return [128, 128] }
        guard let list = value as? [Any], !list.isEmpty, list.count <= 64 else {
            throw TrainingError.invalidSetting("network_args.layer_sizes", "must be a list of 1 to 64 layer sizes")
        }
        return try list.enumerated().map { index, item in
            guard let size = jsonNumber(item), size == size.rounded(), size >= 1, size <= 65536 else {
                throw TrainingError.invalidSetting("network_args.layer_sizes[\(index)]", "must be a whole number from 1 to 65536")
            }
            return Int(size)
        }
    }

    /// `mnist_small`'s `filters`: one block each, as many as the image's size halves to at least 1.
    static func filterCounts(_ value: Any?, default fallback: [Int], shape: ImageShape) throws -> [Int] {
        guard let value, !(value is NSNull) else { return fallback }
        var side = min(shape.height, shape.width), most = 0
        while side >= 2 { side /= 2; most += 1 }
        guard let list = value as? [Any], !list.isEmpty, list.count <= max(most, 1) else {
            throw TrainingError.invalidSetting("network_args.filters",
                                               "must be a list of 1 to \(max(most, 1)) filter counts (one block, halving the image, each)")
        }
        return try list.enumerated().map { index, item in
            try wholeNumber(item, default: 0, range: 1...1024, key: "network_args.filters[\(index)]")
        }
    }

    static func wholeNumber(_ value: Any?, default fallback: Int, range: ClosedRange<Int>, key: String) throws -> Int {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = jsonNumber(value), number == number.rounded(), number >= Double(range.lowerBound),
              number <= Double(range.upperBound) else {
            throw TrainingError.invalidSetting(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }

    static func rate(_ value: Any?, default fallback: Double, key: String) throws -> Double {
        guard let value, !(value is NSNull) else { return fallback }
        guard let rate = jsonNumber(value), rate >= 0, rate < 1 else {
            throw TrainingError.invalidSetting(key, "must be a number at least 0 and below 1")
        }
        return rate
    }

    static func activationName(_ value: Any?, default fallback: String) throws -> String {
        guard let value, !(value is NSNull) else { return fallback }
        guard let name = value as? String, let activation = Activation.parse(name, flavor: .keras2),
              activation != .softmax else {
            throw TrainingError.invalidSetting("network_args.activation",
                                               "must name an activation (relu, tanh, sigmoid, elu, selu, gelu, swish, softplus, softsign, ...)")
        }
        return name.lowercased()
    }
}

/// Writes a Sequential configuration the way tf-keras names and describes layers.
struct SequentialBuilder {
    let name: String
    let shape: ImageShape
    private var layers: [[String: Any]] = []
    private var counts: [String: Int] = [:]

    init(name: String, shape: ImageShape) {
        self.name = name
        self.shape = shape
    }

    /// Keras's automatic names: "dense", "dense_1", ...
    private mutating func layerName(_ className: String) -> String {
        let base = KerasArchive.snakeCase(className)
        let count = counts[base, default: 0]
        counts[base] = count + 1
        return count == 0 ? base : "\(base)_\(count)"
    }

    mutating func add(_ className: String, _ config: [String: Any]) {
        var config = config
        config["name"] = layerName(className)
        config["trainable"] = true
        config["dtype"] = "float32"
        layers.append(["class_name": className, "config": config])
    }

    private static var initializers: [String: Any] {
        ["kernel_initializer": Initializer.glorotUniform.kerasConfig, "bias_initializer": Initializer.zeros.kerasConfig,
         "kernel_regularizer": jsonNull, "bias_regularizer": jsonNull, "activity_regularizer": jsonNull,
         "kernel_constraint": jsonNull, "bias_constraint": jsonNull]
    }

    mutating func dense(_ units: Int, activation: String) {
        add("Dense", SequentialBuilder.initializers.merging(["units": units, "activation": activation, "use_bias": true]) { $1 })
    }

    mutating func conv(_ filters: Int, kernel: Int, padding: String, activation: String) {
        add("Conv2D", SequentialBuilder.initializers.merging([
            "filters": filters, "kernel_size": [kernel, kernel], "strides": [1, 1], "padding": padding,
            "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": activation, "use_bias": true,
        ]) { $1 })
    }

    mutating func pool(_ className: String, _ size: Int) {
        add(className, ["pool_size": [size, size], "padding": "valid", "strides": [size, size], "data_format": "channels_last"])
    }

    mutating func batchNormalization() {
        add("BatchNormalization", ["axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
                                   "beta_initializer": Initializer.zeros.kerasConfig, "gamma_initializer": Initializer.ones.kerasConfig,
                                   "moving_mean_initializer": Initializer.zeros.kerasConfig,
                                   "moving_variance_initializer": Initializer.ones.kerasConfig,
                                   "beta_regularizer": jsonNull, "gamma_regularizer": jsonNull,
                                   "beta_constraint": jsonNull, "gamma_constraint": jsonNull])
    }

    var json: [UInt8] {
        let input: [String: Any] = ["class_name": "InputLayer",
                                    "config": ["batch_input_shape": [jsonNull] + shape.array.map { $0 as Any }, "dtype": "float32",
                                               "sparse": false, "ragged": false, "name": "input_1"] as [String: Any]]
        let root: [String: Any] = ["class_name": "Sequential", "config": ["name": name, "layers": [input] + layers] as [String: Any],
                                   "keras_version": KerasModelFile.writtenKerasVersion, "backend": "tensorflow"]
        return Array((try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data())
    }
}

import Datasets
import Foundation

/// A training job as the Imagia digit service's `POST /api/v1/train` body describes it:
///
///     {"dataset": "MnistDataset", "dataset_args": {"image_size": [28, 28, 1]},
///      "model": "DigitModel", "network": "mlp" | "lenet5" | "mnist_cnn" | "mnist_small" | "file",
///      "network_args": {"layer_sizes": [...], "dropout_amount": 0.2, "activation": "relu"},
///      "train_args": {"batch_size": 32, "epochs": 10}, "save_weights": true}
///
/// Extensions (all optional): `dataset_args.class_names` names the classes labels number
/// (default "0"..."9"; a reject class is an eleventh name); `network: "file"` with `network_args.path` fine-tunes a Keras
/// model file from its weights; `train_args` also takes `optimizer` (a name or a Keras
/// optimizer object; default RMSprop with Keras's defaults), `learning_rate` (a number or a
/// Keras schedule object), `validation_split`, `augment` (true for the default model's recipe,
/// or {"rotation", "zoom", "shear", "shift", "thicken", "thin"}), `seed`, `shuffle`,
/// `outlier_weight` (λ of the uniform-target loss for outlier images, default 0.5),
/// `outlier_class` (train outlier images as this class of `class_names`, a reject class,
/// instead of towards the uniform distribution), `outliers_per_epoch` (draw this many outlier
/// images afresh each epoch instead of training on all of them every epoch), `augment_outliers`
/// (whether `augment` distorts outlier images; default: only when no plain data is trained,
/// see `TrainingConfiguration.distortsOutliers`); `deploy`
/// asks the service to serve the result. Every problem names its key.
public struct TrainingRequest: Sendable {
    public enum Network: Sendable, Equatable {
        /// A catalog network and its `network_args` (as JSON, validated at parse time).
        case catalog(name: String, arguments: [UInt8])
        /// A Keras model file to continue training from its weights.
        case file(path: String)
    }

    public var network: Network
    public var imageShape: ImageShape
    /// The classes labels number (`dataset_args.class_names`; default the digits "0"..."9").
    /// An extra class, e.g. "not a digit", is one more name.
    public var classNames: [String] = LabelledImages.digitClassNames()
    public var configuration: TrainingConfiguration
    public var validationSplit: Double
    public var saveWeights: Bool
    public var deploy: Bool
    /// `dataset_args.numbers`: train on these digits only (the orchestration engine's
    /// `numbers`), one output each, in this order; nil: every class of the data.
    public var classes: [String]? = nil
    /// `train_args.outlier_class`: the class (one of `classNames`) outlier images are trained
    /// as; nil: outlier exposure towards the uniform distribution.
    public var outlierClass: String? = nil

    /// What a request may ask for (HTTP uses tighter bounds than the CLI).
    public struct Limits: Sendable {
        public var maxEpochs: Int
        public var maxBatchSize: Int
        public init(maxEpochs: Int = 100_000, maxBatchSize: Int = 65_536) {
            self.maxEpochs = maxEpochs
            self.maxBatchSize = maxBatchSize
        }
    }

    public static func parse(json bytes: [UInt8], limits: Limits = Limits()) throws -> TrainingRequest {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            throw TrainingError.invalidSetting("the training configuration", "is not valid JSON")
        }
        guard let body = object as? [String: Any] else {
            throw TrainingError.invalidSetting("the training configuration", "must be a JSON object")
        }
        return try parse(body, limits: limits)
    }

    static let topLevelKeys = ["dataset", "dataset_args", "model", "network", "network_args", "train_args", "save_weights", "deploy"]
    static let trainKeys = ["batch_size", "epochs", "optimizer", "learning_rate", "validation_split", "augment", "seed", "shuffle",
                            "outlier_weight", "outlier_class", "outliers_per_epoch", "augment_outliers"]

    public static func parse(_ body: [String: Any], limits: Limits = Limits()) throws -> TrainingRequest {
        if let unknown = body.keys.sorted().first(where: { !topLevelKeys.contains($0) }) {
            throw TrainingError.invalidSetting(unknown, "is not a training setting (\(topLevelKeys.joined(separator: ", ")))")
        }
        if let dataset = body["dataset"] {
            guard let name = dataset as? String, name == "MnistDataset" else {
                throw TrainingError.invalidSetting("dataset", "must be \"MnistDataset\" (the digit data the service is given)")
            }
        }
        if let model = body["model"] {
            guard let name = model as? String, name == "DigitModel" else {
                throw TrainingError.invalidSetting("model", "must be \"DigitModel\"")
            }
        }
        let datasetArguments = try object(body["dataset_args"], key: "dataset_args")
        if let unknown = datasetArguments.keys.sorted().first(where: { !["image_size", "class_names", "numbers"].contains($0) }) {
            throw TrainingError.invalidSetting("dataset_args.\(unknown)", "is not a dataset setting (image_size, class_names, numbers)")
        }
        let shape = try imageSize(datasetArguments["image_size"])
        let classNames = try self.classNames(datasetArguments["class_names"])
        let classes = try numbers(datasetArguments["numbers"])

        guard let networkValue = body["network"] else {
            throw TrainingError.invalidSetting("network", "is missing (\(NetworkCatalog.names.joined(separator: ", ")) or \"file\")")
        }
        guard let networkName = networkValue as? String else { throw TrainingError.invalidSetting("network", "must be a string") }
        let networkArguments = try object(body["network_args"], key: "network_args")
        let network: Network
        if networkName == "file" {
            guard let path = networkArguments["path"] as? String, !path.isEmpty else {
                throw TrainingError.invalidSetting("network_args.path", "must name the Keras model file to fine-tune")
            }
            if let unknown = networkArguments.keys.sorted().first(where: { $0 != "path" }) {
                throw TrainingError.invalidSetting("network_args.\(unknown)", "is not a setting of network \"file\" (path)")
            }
            network = .file(path: path)
        } else {
            // Built once now so that a bad setting is refused before any work starts.
            _ = try NetworkCatalog.configuration(network: networkName, arguments: networkArguments, shape: shape, classes: 10)
            network = .catalog(name: networkName, arguments: Array(try JSONSerialization.data(withJSONObject: networkArguments)))
        }

        let train = try object(body["train_args"], key: "train_args")
        if let unknown = train.keys.sorted().first(where: { !trainKeys.contains($0) }) {
            throw TrainingError.invalidSetting("train_args.\(unknown)", "is not a training argument (\(trainKeys.joined(separator: ", ")))")
        }
        var configuration = TrainingConfiguration()
        configuration.epochs = try wholeNumber(train["epochs"], key: "train_args.epochs", default: 10, range: 1...limits.maxEpochs)
        configuration.batchSize = try wholeNumber(train["batch_size"], key: "train_args.batch_size", default: 32,
                                                  range: 1...limits.maxBatchSize)
        configuration.optimizer = try train["optimizer"].map { try OptimizerSettings.parse($0, key: "train_args.optimizer") }
            ?? OptimizerSettings(.rmsprop)
        if let rate = train["learning_rate"] {
            configuration.optimizer.learningRate = try LearningRateSchedule.parse(rate, key: "train_args.learning_rate")
        }
        configuration.seed = UInt64(try wholeNumber(train["seed"], key: "train_args.seed", default: 0, range: 0...Int(Int32.max)))
        configuration.shuffle = try flag(train["shuffle"], key: "train_args.shuffle", default: true)
        configuration.augmentation = try augmentation(train["augment"])
        if let raw = train["outlier_weight"] {
            guard let weight = jsonNumber(raw), weight >= 0, weight <= 100 else {
                throw TrainingError.invalidSetting("train_args.outlier_weight", "must be a number from 0 to 100")
            }
            configuration.outlierWeight = Float(weight)
        }
        if let raw = train["outliers_per_epoch"], !(raw is NSNull) {
            configuration.outliersPerEpoch = try wholeNumber(raw, key: "train_args.outliers_per_epoch", default: 0, range: 1...100_000_000)
        }
        if let raw = train["augment_outliers"], !(raw is NSNull) {
            configuration.augmentOutliers = try flag(raw, key: "train_args.augment_outliers", default: true)
        }
        var outlierClass: String? = nil
        if let raw = train["outlier_class"], !(raw is NSNull) {
            guard let name = raw as? String, classNames.contains(name) else {
                throw TrainingError.invalidSetting("train_args.outlier_class",
                                                   "must name one of dataset_args.class_names (\(classNames.joined(separator: ", "))), got \(raw)")
            }
            outlierClass = name
        }
        let split = train["validation_split"].flatMap(jsonNumber) ?? 0
        if let raw = train["validation_split"], jsonNumber(raw) == nil || !(0..<1).contains(split) {
            throw TrainingError.invalidSetting("train_args.validation_split", "must be a number at least 0 and below 1")
        }
        var request = TrainingRequest(network: network, imageShape: shape, configuration: configuration, validationSplit: split,
                                      saveWeights: try flag(body["save_weights"], key: "save_weights", default: false),
                                      deploy: try flag(body["deploy"], key: "deploy", default: false))
        request.classNames = classNames
        request.classes = classes
        request.outlierClass = outlierClass
        return request
    }

    /// `dataset_args.numbers`: a non-empty list of distinct digits 0-9 ([0, 1, 7]), as class names.
    public static func numbers(_ value: Any?, key: String = "dataset_args.numbers") throws -> [String]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let list = value as? [Any], !list.isEmpty else { throw TrainingError.invalidSetting(key, "must be a non-empty list of digits 0-9") }
        var digits: [Int] = []
        for (index, item) in list.enumerated() {
            guard let number = jsonNumber(item), number == number.rounded(), (0...9).contains(number) else {
                throw TrainingError.invalidSetting("\(key)[\(index)]", "must be a digit 0-9, got \(item)")
            }
            guard !digits.contains(Int(number)) else { throw TrainingError.invalidSetting("\(key)[\(index)]", "repeats the digit \(Int(number))") }
            digits.append(Int(number))
        }
        return digits.map(String.init)
    }

    private static func object(_ value: Any?, key: String) throws -> [String: Any] {
        guard let value, !(value is NSNull) else { return [:] }
        guard let object = value as? [String: Any] else { throw TrainingError.invalidSetting(key, "must be a JSON object") }
        return object
    }

    private static func wholeNumber(_ value: Any?, key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = jsonNumber(value), number == number.rounded(), number >= Double(range.lowerBound),
              number <= Double(range.upperBound) else {
            throw TrainingError.invalidSetting(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return Int(number)
    }

    private static func flag(_ value: Any?, key: String, default fallback: Bool) throws -> Bool {
        guard let value, !(value is NSNull) else { return fallback }
        guard isJSONBoolean(value), let flag = value as? Bool else { throw TrainingError.invalidSetting(key, "must be true or false") }
        return flag
    }

    private static func imageSize(_ value: Any?) throws -> ImageShape {
        guard let value, !(value is NSNull) else { return ImageShape(height: 28, width: 28, channels: 1) }
        guard let list = value as? [Any], list.count == 2 || list.count == 3 else {
            throw TrainingError.invalidSetting("dataset_args.image_size", "must be [height, width] or [height, width, channels]")
        }
        let sizes = try list.enumerated().map { index, item -> Int in
            guard let number = jsonNumber(item), number == number.rounded(), number >= 1, number <= 4096 else {
                throw TrainingError.invalidSetting("dataset_args.image_size[\(index)]", "must be a whole number from 1 to 4096")
            }
            return Int(number)
        }
        return ImageShape(height: sizes[0], width: sizes[1], channels: sizes.count == 3 ? sizes[2] : 1)
    }

    private static func classNames(_ value: Any?) throws -> [String] {
        guard let value, !(value is NSNull) else { return LabelledImages.digitClassNames() }
        guard let names = value as? [Any], (1...10_000).contains(names.count) else {
            throw TrainingError.invalidSetting("dataset_args.class_names", "must be a list of 1 to 10000 class names")
        }
        let strings = try names.enumerated().map { index, name -> String in
            guard let text = name as? String, !text.isEmpty else {
                throw TrainingError.invalidSetting("dataset_args.class_names[\(index)]", "must be a non-empty string")
            }
            return text
        }
        guard Set(strings).count == strings.count else {
            throw TrainingError.invalidSetting("dataset_args.class_names", "names a class twice")
        }
        return strings
    }

    private static func augmentation(_ value: Any?) throws -> Augmentation {
        guard let value, !(value is NSNull) else { return .none }
        if isJSONBoolean(value), let enabled = value as? Bool { return enabled ? .mnist : .none }
        guard let settings = value as? [String: Any] else {
            throw TrainingError.invalidSetting("train_args.augment", "must be true, false or an object of amounts")
        }
        let keys = ["rotation", "zoom", "shear", "shift", "thicken", "thin"]
        if let unknown = settings.keys.sorted().first(where: { !keys.contains($0) }) {
            throw TrainingError.invalidSetting("train_args.augment.\(unknown)", "is not an augmentation (\(keys.joined(separator: ", ")))")
        }
        func amount(_ key: String) throws -> Double {
            guard let raw = settings[key], !(raw is NSNull) else { return 0 }
            guard let number = jsonNumber(raw), number.isFinite else {
                throw TrainingError.invalidSetting("train_args.augment.\(key)", "must be a number")
            }
            return number
        }
        let augmentation = Augmentation(rotationDegrees: try amount("rotation"), zoom: try amount("zoom"), shear: try amount("shear"),
                                        shiftPixels: try amount("shift"), thickenProbability: try amount("thicken"),
                                        thinProbability: try amount("thin"))
        do {
            try augmentation.validate()
        } catch let error as DatasetError {
            throw TrainingError.invalidSetting("train_args.augment", "is out of range: \(error.message)")
        }
        return augmentation
    }
}

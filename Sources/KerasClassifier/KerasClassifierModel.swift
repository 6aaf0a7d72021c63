import Foundation
import ImageCodecs
import ImageInput
import Keras
import MAXFramework

/// The common case without Swift: any Keras image classifier, configured in config.json alone
/// (as TorchServe's built-in image_classifier with its index_to_name.json). The input size and
/// colour come from the model; labels, resizing and normalisation from the options. It answers
/// as MAX's image classifiers do: `{"label_id": "1", "label": "Trouser", "probability": 0.94}`.
public struct KerasClassifierModel: ModelWrapper {
    public struct Prediction: Encodable, Equatable, Sendable {
        public let labelID: String
        public let label: String
        public let probability: Double

        enum CodingKeys: String, CodingKey {
            case labelID = "label_id", label, probability
        }
    }

    /// How a picture of another size is brought to the model's.
    public enum Resize: String, Sendable, CaseIterable {
        /// Both sides scaled to the model's, the aspect ratio given up.
        case stretch
        /// Scaled to fit inside, keeping the aspect ratio, then padded (centred) with `pad`.
        case fit
        /// Scaled to cover, keeping the aspect ratio, then cropped around the centre.
        case crop
    }

    /// The preprocessing settings, from the model's options.
    public struct Preprocessing: Sendable, Equatable {
        public var resize: Resize = .stretch
        public var pad: UInt8 = 0
        /// Each sample becomes `(v * scale - mean[c]) / std[c]`.
        public var scale: Float = 1 / 255
        public var mean: [Float] = [0]
        public var std: [Float] = [1]
        public var invert = false
        public init() {}
    }

    public static let options: [PluginOption] = [
        PluginOption("labels", .array(of: .string), "Class names in the model's output order (default: the class indices)"),
        PluginOption("labels_file", .string, "A file with one class name per line, resolved beside config.json"),
        PluginOption("resize", .oneOf(strings: Resize.allCases.map(\.rawValue)),
                     "How a picture of another size is fitted: stretch, fit (pad) or crop (centre)", default: .string("stretch")),
        PluginOption("pad", Schema.integer.range(0, 255), "Gray level of the border `fit` adds", default: .int(0)),
        PluginOption("scale", .number, "Samples are multiplied by it: 1/255 gives 0-1, 1 keeps raw 0-255",
                     default: .number(1.0 / 255)),
        PluginOption("mean", .oneOf([.number, .array(of: .number, count: 1...3)]),
                     "Subtracted after scaling: one number, or one per channel (ImageNet: [0.485, 0.456, 0.406])", default: .int(0)),
        PluginOption("std", .oneOf([Schema.number.range(1e-12, nil), .array(of: Schema.number.range(1e-12, nil), count: 1...3)]),
                     "Divides after the mean: one number, or one per channel", default: .int(1)),
        PluginOption("invert", .boolean, "Use 255 - v (for models trained on light ink on dark)", default: .bool(false)),
        PluginOption("top_k", Schema.integer.range(1, nil), "How many classes to answer when the request does not say", default: .int(5)),
        PluginOption("threshold", Schema.number.range(0, 1), "Lowest probability answered when the request does not say",
                     default: .int(0)),
    ]

    public static let plugin = ModelPlugin(name: "keras-classifier", options: options) { context in
        guard let file = context.modelAsset else {
            throw PluginSetupError("keras-classifier needs a model: set the model's \"file\" (or \"asset\")")
        }
        let keras: KerasModel
        do {
            keras = try KerasModel.load(path: file.path)
        } catch {
            throw PluginSetupError("cannot load the Keras model '\(file.path)': \(error)")
        }
        let model = try KerasClassifierModel(keras: keras, context: context, fileName: file.lastPathComponent)
        context.logger.info("keras-classifier '\(keras.name)': \(model.height)x\(model.width)x\(model.channels) in, "
                            + "\(model.classNames.count) classes, resize \(model.preprocessing.resize.rawValue), from \(file.path)")
        return model
    }

    public let keras: KerasModel
    public let classNames: [String]
    public let preprocessing: Preprocessing
    public let height: Int
    public let width: Int
    public let channels: Int
    let defaultTopK: Int
    let defaultThreshold: Double
    let limits: DecodingLimits
    let fileName: String

    public init(keras: KerasModel, classNames: [String]? = nil, preprocessing: Preprocessing = Preprocessing(),
                topK: Int = 5, threshold: Double = 0, limits: DecodingLimits = .default, fileName: String = "") throws {
        let shape = keras.inputShape
        guard (shape.count == 3 && [1, 3].contains(shape[2])) || shape.count == 2 else {
            throw PluginSetupError("the model takes input of shape \(shape); keras-classifier serves images: (height, width, 1 or 3) or (height, width)")
        }
        guard keras.outputShape.count == 1, keras.outputSize >= 2 else {
            throw PluginSetupError("the model gives output of shape \(keras.outputShape); a classifier gives one score per class")
        }
        let names = classNames ?? (0..<keras.outputSize).map(String.init)
        guard names.count == keras.outputSize else {
            throw PluginSetupError("\(names.count) labels were given for a model with \(keras.outputSize) classes")
        }
        for (name, values) in [("mean", preprocessing.mean), ("std", preprocessing.std)] where values.count != 1 {
            let channels = shape.count == 3 ? shape[2] : 1
            guard values.count == channels else {
                throw PluginSetupError("\(name) has \(values.count) values for a model with \(channels) channel(s)")
            }
        }
        self.keras = keras
        self.classNames = names
        self.preprocessing = preprocessing
        height = shape[0]
        width = shape[1]
        channels = shape.count == 3 ? shape[2] : 1
        defaultTopK = topK
        defaultThreshold = threshold
        self.limits = limits
        self.fileName = fileName
    }

    /// From the plugin's options (already checked against `options`).
    init(keras: KerasModel, context: PluginContext, fileName: String) throws {
        var preprocessing = Preprocessing()
        preprocessing.resize = Resize(rawValue: context.option("resize")?.stringValue ?? "stretch") ?? .stretch
        preprocessing.pad = UInt8(context.option("pad")?.intValue ?? 0)
        preprocessing.scale = Float(context.option("scale")?.doubleValue ?? 1.0 / 255)
        preprocessing.mean = KerasClassifierModel.perChannel(context.option("mean")) ?? [0]
        preprocessing.std = KerasClassifierModel.perChannel(context.option("std")) ?? [1]
        preprocessing.invert = context.option("invert")?.boolValue ?? false
        try self.init(keras: keras, classNames: try KerasClassifierModel.labels(context), preprocessing: preprocessing,
                      topK: context.option("top_k")?.intValue ?? 5, threshold: context.option("threshold")?.doubleValue ?? 0,
                      limits: DecodingLimits(maxPixels: context.maxImagePixels), fileName: fileName)
    }

    static func perChannel(_ value: JSONValue?) -> [Float]? {
        if let number = value?.doubleValue { return [Float(number)] }
        return value?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) }
    }

    /// `labels` inline, else `labels_file` (one per line, blank lines at the end ignored), else none.
    static func labels(_ context: PluginContext) throws -> [String]? {
        if let inline = context.option("labels")?.arrayValue {
            guard context.option("labels_file") == nil else {
                throw PluginSetupError("give either \"labels\" or \"labels_file\", not both")
            }
            return inline.compactMap(\.stringValue)
        }
        guard let path = context.option("labels_file")?.stringValue else { return nil }
        let url = context.resolve(path)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PluginSetupError("cannot read labels_file '\(url.path)': \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }

    public var metadata: ModelMetadata {
        ModelMetadata(id: "keras-classifier", name: keras.name,
                      description: "Classifies an image into \(classNames.count) classes with the Keras model \(fileName)",
                      type: "Image Classification", source: fileName, license: "")
    }

    public var input: ModelInputSpec {
        .files(ImageInput.fileSpec(description: "An image (PNG, JPEG, BMP, GIF, TIFF or PNM); brought to \(width)x\(height) "
                                   + (channels == 1 ? "grayscale" : "RGB") + " (\(preprocessing.resize.rawValue))"),
               queryParameters: [
                   QueryParameter(name: "top_k", type: Schema.integer.range(1, Double(classNames.count)),
                                  description: "How many of the most probable classes to return", defaultValue: .int(min(defaultTopK, classNames.count))),
                   QueryParameter(name: "threshold", type: Schema.number.range(0, 1),
                                  description: "Leave out classes less probable than this", defaultValue: .number(defaultThreshold)),
               ])
    }

    public var output: ModelOutputSchema {
        ModelOutputSchema(properties: [
            SchemaProperty("label_id", .string, "The class index", example: .string("1")),
            SchemaProperty("label", .string, "The class name", example: .string(classNames.count > 1 ? classNames[1] : "1")),
            SchemaProperty("probability", .number, "Its probability, 0-1", example: .number(0.94)),
        ])
    }

    public var labels: [ModelLabel]? { ModelLabel.indexed(classNames) }

    public func preProcess(_ input: ModelInput) throws -> [Float] {
        tensor(from: try ImageInput.decode(input, limits: limits))
    }

    /// The model's input for `image`: colour converted, resized, normalised, height x width x channels.
    public func tensor(from image: Image) -> [Float] {
        var picture = image.composited(over: (255, 255, 255))
        picture = channels == 1 ? picture.grayscale() : KerasClassifierModel.rgb(picture)
        if preprocessing.invert { picture = picture.inverted() }
        picture = fitted(picture)
        var values = [Float](repeating: 0, count: width * height * channels)
        let mean = preprocessing.mean, std = preprocessing.std
        for index in 0..<values.count {
            let channel = index % channels
            let m = mean.count == 1 ? mean[0] : mean[channel]
            let s = std.count == 1 ? std[0] : std[channel]
            values[index] = (Float(picture.samples[index]) * preprocessing.scale - m) / s
        }
        return values
    }

    /// The picture at exactly width x height, per `preprocessing.resize`.
    func fitted(_ picture: Image) -> Image {
        if picture.width == width && picture.height == height { return picture }
        switch preprocessing.resize {
        case .stretch:
            return KerasClassifierModel.resized(picture, width: width, height: height)
        case .fit:
            let scale = min(Double(width) / Double(picture.width), Double(height) / Double(picture.height))
            let newWidth = max(1, min(width, Int((Double(picture.width) * scale).rounded())))
            let newHeight = max(1, min(height, Int((Double(picture.height) * scale).rounded())))
            let inner = KerasClassifierModel.resized(picture, width: newWidth, height: newHeight)
            let left = (width - newWidth) / 2, top = (height - newHeight) / 2
            return inner.padded(top: top, left: left, bottom: height - newHeight - top, right: width - newWidth - left,
                                fill: preprocessing.pad)
        case .crop:
            let scale = max(Double(width) / Double(picture.width), Double(height) / Double(picture.height))
            let newWidth = max(width, Int((Double(picture.width) * scale).rounded()))
            let newHeight = max(height, Int((Double(picture.height) * scale).rounded()))
            let outer = KerasClassifierModel.resized(picture, width: newWidth, height: newHeight)
            return outer.cropped(to: PixelRect(x: (newWidth - width) / 2, y: (newHeight - height) / 2, width: width, height: height))
        }
    }

    /// Area averaging when shrinking (every pixel counts), bilinear when enlarging.
    static func resized(_ picture: Image, width: Int, height: Int) -> Image {
        width <= picture.width && height <= picture.height
            ? picture.resizedByAreaAveraging(width: width, height: height)
            : picture.resizedBilinear(width: width, height: height)
    }

    /// Gray (or RGB) pixels as RGB.
    static func rgb(_ picture: Image) -> Image {
        guard picture.layout == .gray else { return picture }
        var samples = [UInt8](repeating: 0, count: picture.samples.count * 3)
        for (index, value) in picture.samples.enumerated() {
            samples[index * 3] = value; samples[index * 3 + 1] = value; samples[index * 3 + 2] = value
        }
        return Image(width: picture.width, height: picture.height, layout: .rgb, samples: samples)!
    }

    public func predict(_ tensor: [Float]) throws -> [Float] {
        ClassScores.probabilities(try keras.predict(tensor, batchSize: 1))
    }

    public func predictBatch(_ batch: [[Float]]) throws -> [[Float]] {
        let scores = try keras.predict(batch.flatMap { $0 }, batchSize: batch.count)
        let classes = keras.outputSize
        return (0..<batch.count).map { ClassScores.probabilities(Array(scores[$0 * classes..<($0 + 1) * classes])) }
    }

    /// Dynamic batching may gather this many images into one call.
    public var maxBatchSize: Int { 64 }

    public func postProcess(_ probabilities: [Float], for input: ModelInput) throws -> [Prediction] {
        let topK = try queryTopK(input.queryValue("top_k"))
        let threshold = try queryThreshold(input.queryValue("threshold"))
        return probabilities.enumerated()
            .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(topK)
            .filter { Double($0.element) >= threshold }
            .map { Prediction(labelID: String($0.offset), label: classNames[$0.offset], probability: Double($0.element)) }
    }

    func queryTopK(_ text: String?) throws -> Int {
        guard let text else { return min(defaultTopK, classNames.count) }
        guard let k = Int(text.trimmingCharacters(in: .whitespaces)), (1...classNames.count).contains(k) else {
            throw ModelError.badRequest("top_k must be an integer from 1 to \(classNames.count), got '\(text)'")
        }
        return k
    }

    func queryThreshold(_ text: String?) throws -> Double {
        guard let text else { return defaultThreshold }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(value) else {
            throw ModelError.badRequest("threshold must be a number from 0 to 1, got '\(text)'")
        }
        return value
    }
}

import Foundation
import ImageCodecs
import ImageInput
import Keras
import MAXFramework

/// A model file that cannot serve as a digit classifier.
public struct MNISTModelError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The MNIST digit classifier, as IBM's MAX-MNIST: an image in, the most probable digits out,
/// `{"prediction": 8, "probability": 0.9995}`. The Keras model is read once at start-up from
/// the configured asset and run by our own engine.
public struct MNISTModel: ModelWrapper {
    /// One element of `predictions`.
    public struct Digit: Encodable, Equatable, Sendable {
        public let prediction: Int
        public let probability: Double
    }

    public static let defaultAsset = "assets/mnist_cnn.h5"
    static let classes = 10

    /// Serves the configured model file, or the built-in model when none is configured.
    public static let plugin = ModelPlugin(name: "mnist", options: [
        PluginOption("digits", .array(of: Schema.integer.range(0, 9)),
                     "The digit each output stands for, in output order, for a model file that does not record them (default: the file's class_names, else 0-9)"),
    ]) { context in
        let limits = DecodingLimits(maxPixels: context.maxImagePixels)
        let digitsOption = try digitList(context.option("digits"))
        guard let url = context.modelAsset else {
            let keras = try builtInKerasModel()
            let digits = try DigitClasses.of(modelBytes: builtInModelBytes(), outputs: keras.outputSize, option: digitsOption)
            let model = try MNISTModel(keras: keras, limits: limits, digits: digits)
            context.logger.info("MNIST model '\(model.keras.name)' built in (\(BuiltInModel.source), MD5 \(BuiltInModel.md5)); no model file configured")
            return model
        }
        let model = try MNISTModel(path: url.path, limits: limits, digits: digitsOption)
        context.logger.info("MNIST model '\(model.keras.name)' input \(model.keras.inputShape), digits \(model.digits.digits.map(String.init).joined(separator: ", ")) from \(url.path)")
        return model
    }

    /// The `digits` option's list (its type is checked at start-up against the declaration).
    static func digitList(_ value: JSONValue?) throws -> [Int]? {
        guard case .array(let items)? = value else { return nil }
        return items.compactMap { if case .int(let digit) = $0 { return digit }; return nil }
    }

    /// The default model's bytes as compiled into the binary (see scripts/embed-default-model.sh).
    public static func builtInModelBytes() -> [UInt8] {
        guard let data = Data(base64Encoded: BuiltInModel.base64) else {
            preconditionFailure("BuiltInModel.swift holds invalid base64; regenerate it with scripts/embed-default-model.sh")
        }
        return [UInt8](data)
    }

    static func builtInKerasModel() throws -> KerasModel {
        do {
            return try KerasModel.load(bytes: builtInModelBytes())
        } catch {
            throw MNISTModelError(message: "the built-in model does not load (\(error)); regenerate Sources/MNIST/BuiltInModel.swift")
        }
    }

    /// The loaded network (public so tools and tests can batch through it directly).
    public let keras: KerasModel
    let limits: DecodingLimits
    /// The digit each output stands for (all ten, or the subset the model was trained on).
    public let digits: DigitClasses

    /// Loads and checks the model: the input must hold one 28x28 image ((28,28,1), (28,28) or
    /// (784,), all 784 floats in the same row-major order) and the output one score per digit:
    /// ten, or as many as the digits the file records (`class_names`) or `digits` names.
    public init(path: String, limits: DecodingLimits = .default, digits option: [Int]? = nil) throws {
        let keras: KerasModel
        let digits: DigitClasses
        do {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MNISTModelError(message: "cannot read the file")
            }
            let bytes = [UInt8](data)
            keras = try KerasModel.load(bytes: bytes)
            digits = try DigitClasses.of(modelBytes: bytes, outputs: keras.outputSize, option: option)
        } catch {
            throw MNISTModelError(message: "cannot load the Keras model '\(path)': \(error)")
        }
        try self.init(keras: keras, limits: limits, digits: digits)
    }

    public init(keras: KerasModel, limits: DecodingLimits = .default, digits: DigitClasses = .all) throws {
        let acceptedInputs: [[Int]] = [[28, 28, 1], [28, 28], [784]]
        guard acceptedInputs.contains(keras.inputShape) else {
            throw MNISTModelError(message: "the model's input shape is \(keras.inputShape); an MNIST model takes (28, 28, 1), (28, 28) or (784,)")
        }
        guard keras.outputSize == digits.count else {
            throw MNISTModelError(message: "the model's output shape is \(keras.outputShape); an MNIST model gives one score per digit, \(digits.count) here")
        }
        self.keras = keras
        self.limits = limits
        self.digits = digits
    }

    public var metadata: ModelMetadata {
        ModelMetadata(id: "max-mnist-swift", name: "MNIST Digit Classifier",
                      description: digits == .all ? "Recognises a handwritten digit (0-9) in an image, trained on MNIST"
                          : "Recognises the handwritten digits \(digits.digits.map(String.init).joined(separator: ", ")) in an image, trained on those digits of MNIST",
                      type: "Keras model", source: "https://github.com/IBM/MAX-MNIST", license: "Apache-2.0")
    }

    public var input: ModelInputSpec {
        ModelInputSpec(
            files: ImageInput.fileSpec(description: "An image of one handwritten digit (PNG, JPEG, BMP, GIF, TIFF or PNM); 28x28 grayscale is used as is"),
            json: PixelRows.inputSpec,
            queryParameters: [QueryParameter(name: "top_k", type: .integer,
                                             description: "How many of the most probable digits to return (1-\(digits.count))",
                                             defaultValue: .int(1))])
    }

    /// The digits the model answers, as MAX's classifiers list their labels.
    public var labels: [ModelLabel]? { digits.labels }

    public var output: ModelOutputSchema {
        ModelOutputSchema(properties: [
            SchemaProperty("prediction", .integer, "The predicted digit", example: .int(8)),
            SchemaProperty("probability", .number, "Its probability, 0-1", example: .number(0.9995)),
        ])
    }

    public func preProcess(_ input: ModelInput) throws -> [Float] {
        // Pixel rows are MNIST's own layout already: no decoding, no digit pre-processing.
        if let document = input.json { return try PixelRows.pixels(from: document) }
        let image = try ImageInput.decode(input, limits: limits)
        do {
            return try DigitPreprocessor.pixels(image)
        } catch let error as DigitPreprocessingError {
            throw ModelError.badRequest(error.description)
        }
    }

    public func predict(_ pixels: [Float]) throws -> [Float] {
        let scores = try keras.predict(pixels, batchSize: 1)
        return MNISTModel.probabilities(scores)
    }

    /// The digits through the network as one batch (the engine's kernels run a batch faster per
    /// digit than one at a time).
    public func predictBatch(_ batch: [[Float]]) throws -> [[Float]] {
        let scores = try keras.predict(batch.flatMap { $0 }, batchSize: batch.count)
        let classes = keras.outputSize
        return (0..<batch.count).map { MNISTModel.probabilities(Array(scores[($0 * classes)..<(($0 + 1) * classes)])) }
    }

    /// Dynamic batching may gather this many digits into one call.
    public var maxBatchSize: Int { 64 }

    public func postProcess(_ probabilities: [Float], for input: ModelInput) throws -> [Digit] {
        let topK = try MNISTModel.topK(input.queryValue("top_k"), classes: digits.count)
        return probabilities.enumerated()
            .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(topK)
            .map { Digit(prediction: digits.digits[$0.offset], probability: Double($0.element)) }
    }

    /// `top_k` from the query: absent means 1; anything but 1-`classes` is the client's mistake.
    static func topK(_ value: String?, classes: Int = MNISTModel.classes) throws -> Int {
        guard let value else { return 1 }
        guard let k = Int(value.trimmingCharacters(in: .whitespaces)), (1...classes).contains(k) else {
            throw ModelError.badRequest("top_k must be an integer from 1 to \(classes), got '\(value)'")
        }
        return k
    }

    /// The scores as probabilities (softmax applied to logits).
    static func probabilities(_ scores: [Float]) -> [Float] { ClassScores.probabilities(scores) }
}

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

/// The MNIST digit classifier, as IBM's MAX-MNIST, reading every digit in a picture: an image
/// in, one entry per digit out in reading order, `{"prediction": 8, "probability": 0.9995,
/// "digit_score": 0.998, "box": [x, y, width, height]}`. Things that are not digits (a letter,
/// a photo, noise) are refused by their digit score; a picture with none answers
/// `"predictions": []` and a `message`. The Keras model is read once at start-up from the
/// configured asset and run by our own engine.
public struct MNISTModel: ModelWrapper {
    /// One element of `predictions`.
    public struct Digit: Encodable, JSONValueConvertible, Equatable, Sendable {
        public let prediction: Int
        public let probability: Double
        /// How sure the model is that this is a digit at all (0-1); see `DigitScoring`.
        public let digitScore: Double
        /// [x, y, width, height] in the input's pixels; absent when the whole picture was read
        /// as one digit (`?digits=one`, or a 28x28 grayscale upload).
        public let box: [Int]?

        enum CodingKeys: String, CodingKey { case prediction, probability, digitScore = "digit_score", box }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(prediction, forKey: .prediction)
            try container.encode(probability, forKey: .probability)
            try container.encode(digitScore, forKey: .digitScore)
            try container.encodeIfPresent(box, forKey: .box)
        }

        /// As `encode(to:)` gives it (MNISTTests compare the two).
        public var jsonValue: JSONValue {
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(4)
            members.append(("prediction", .int(prediction)))
            members.append(("probability", .number(probability)))
            members.append(("digit_score", .number(digitScore)))
            if let box { members.append(("box", .array(box.map { .int($0) }))) }
            return .object(members)
        }
    }

    /// One upload, ready for the model: what the finder saw and how the client wants it read.
    public struct Request: Sendable {
        public var found: FoundDigits
        /// The whole picture is one digit (no boxes in the answer).
        public var wholePicture: Bool
        public var topK: Int
        public var threshold: Float
    }

    /// The model's reading of one upload.
    public struct Answer: Sendable {
        public var request: Request
        /// Every digit read, in reading order, before the threshold is applied.
        public var digits: [DigitReading]
        /// The digits whose digit score reaches the threshold: what the client is told.
        public var accepted: [DigitReading] {
            // Usually every digit is accepted: then the array is shared, not filtered into a copy.
            let threshold = request.threshold
            if digits.allSatisfy({ $0.digitScore >= threshold }) { return digits }
            return digits.filter { $0.digitScore >= threshold }
        }
    }

    public static let defaultAsset = "assets/mnist_cnn.h5"

    /// Serves the configured model file, or the built-in model when none is configured.
    public static let plugin = ModelPlugin(name: "mnist", options: MNISTSettings.declared + [
        PluginOption("digits", .array(of: Schema.integer.range(0, 9)),
                     "The digit each output stands for, in output order, for a model file that does not record them (default: the file's class_names, else 0-9, with 'not a digit' last for 11 outputs)"),
    ]) { context in
        let limits = DecodingLimits(maxPixels: context.maxImagePixels)
        let settings = try MNISTSettings(context.options)
        let digitsOption = try digitList(context.option("digits"))
        guard let url = context.modelAsset else {
            let keras = try builtInKerasModel()
            let classes = try DigitClasses.of(modelBytes: builtInModelBytes(), outputs: keras.outputSize, option: digitsOption)
            let model = try MNISTModel(keras: keras, limits: limits, settings: settings, classes: classes)
            context.logger.info("MNIST model '\(model.keras.name)' built in (\(BuiltInModel.source), MD5 \(BuiltInModel.md5)); "
                + "no model file configured; \(model.scoringDescription)")
            return model
        }
        let model = try MNISTModel(path: url.path, limits: limits, settings: settings, digits: digitsOption)
        context.logger.info("MNIST model '\(model.keras.name)' input \(model.keras.inputShape) from \(url.path); \(model.scoringDescription)")
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

    /// For the start-up log: how digits are scored and refused.
    var scoringDescription: String {
        "classes \(digits.names.joined(separator: ", ")), digit score \(scoring.rawValue), threshold \(threshold)"
    }

    /// The threshold a request gets when it names none: the configured one, else the scoring's.
    public var threshold: Float { settings.threshold ?? scoring.defaultThreshold }

    /// The loaded network (public so tools and tests can batch through it directly).
    public let keras: KerasModel
    /// How the model's outputs give the digit score: by its "not a digit" class if it has one.
    public var scoring: DigitScoring { digits.scoring }
    public let settings: MNISTSettings
    let limits: DecodingLimits
    let finder: DigitFinder
    /// What each output stands for: a digit (all ten, or the subset the model was trained on),
    /// or "not a digit".
    public let digits: DigitClasses

    /// Loads and checks the model: the input must hold one 28x28 image ((28,28,1), (28,28) or
    /// (784,), all 784 floats in the same row-major order) and the output one score per class:
    /// ten digits, or eleven with "not a digit" last, or the classes the file records
    /// (`class_names`) or `digits` names.
    public init(path: String, limits: DecodingLimits = .default, settings: MNISTSettings = MNISTSettings(), digits option: [Int]? = nil) throws {
        let keras: KerasModel
        let classes: DigitClasses
        do {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MNISTModelError(message: "cannot read the file")
            }
            let bytes = [UInt8](data)
            keras = try KerasModel.load(bytes: bytes)
            classes = try DigitClasses.of(modelBytes: bytes, outputs: keras.outputSize, option: option)
        } catch {
            throw MNISTModelError(message: "cannot load the Keras model '\(path)': \(error)")
        }
        try self.init(keras: keras, limits: limits, settings: settings, classes: classes)
    }

    public init(keras: KerasModel, limits: DecodingLimits = .default, settings: MNISTSettings = MNISTSettings(), classes: DigitClasses? = nil) throws {
        let acceptedInputs: [[Int]] = [[28, 28, 1], [28, 28], [784]]
        guard acceptedInputs.contains(keras.inputShape) else {
            throw MNISTModelError(message: "the model's input shape is \(keras.inputShape); an MNIST model takes (28, 28, 1), (28, 28) or (784,)")
        }
        guard let classes = classes ?? (try? DigitClasses.unnamed(outputs: keras.outputSize)), keras.outputSize == classes.outputs else {
            throw MNISTModelError(message: "the model's output shape is \(keras.outputShape); an MNIST model gives one score per class: "
                + (classes.map { "\($0.outputs) here (\($0.names.joined(separator: ", ")))" } ?? "the digits 0-9, and 'not a digit' last if it has that class"))
        }
        self.keras = keras
        self.settings = settings
        self.limits = limits
        self.finder = DigitFinder(options: settings.finder)
        self.digits = classes
    }

    public var metadata: ModelMetadata {
        ModelMetadata(id: "max-mnist-swift", name: "MNIST Digit Classifier",
                      description: digits.digits == Array(0...9) ? "Reads every handwritten or typed digit (0-9) in an image and refuses what is not a digit; trained on MNIST"
                          : "Reads the handwritten digits \(digits.digits.map(String.init).joined(separator: ", ")) in an image, trained on those digits of MNIST",
                      type: "Keras model", source: "https://github.com/IBM/MAX-MNIST", license: "Apache-2.0")
    }

    public var input: ModelInputSpec {
        ModelInputSpec(
            files: ImageInput.fileSpec(description: "A picture of any size with one or more digits (PNG, JPEG, BMP, GIF, TIFF or PNM); 28x28 grayscale is fed to the model as is"),
            json: PixelRows.inputSpec,
            queryParameters: [
                QueryParameter(name: "top_k", type: .integer.range(1, Double(digits.count)),
                               description: "How many of the most probable digits to return for each digit found (1-\(digits.count))",
                               defaultValue: .int(1)),
                QueryParameter(name: "digits", type: .oneOf(strings: ["all", "one"]),
                               description: "'all' reads every digit in the picture; 'one' reads the whole picture as one digit (MAX-MNIST's behaviour)",
                               defaultValue: .string("all")),
                QueryParameter(name: "threshold", type: .number.range(0, 1),
                               description: "Digit score below which a mark is refused as not a digit (0 refuses nothing)",
                               defaultValue: .number(Double(threshold))),
            ])
    }

    /// The digits the model answers, as MAX's classifiers list their labels.
    public var labels: [ModelLabel]? { digits.labels }

    public var output: ModelOutputSchema {
        ModelOutputSchema(properties: [
            SchemaProperty("prediction", .integer, "The predicted digit", example: .int(8)),
            SchemaProperty("probability", .number, "Its probability among the ten digits, 0-1", example: .number(0.9995)),
            SchemaProperty("digit_score", .number, "How sure the model is that this is a digit at all, 0-1", example: .number(0.998)),
            SchemaProperty("box", .array(of: .integer, count: 4...4),
                           "[x, y, width, height] of the digit in the input's pixels (absent when the whole picture is read as one digit)",
                           example: .array([.int(12), .int(40), .int(18), .int(27)]), required: false),
        ])
    }

    public func preProcess(_ input: ModelInput) throws -> Request {
        // Pixel rows are MNIST's own layout already: one digit each, fed as is.
        if let document = input.json {
            let field = try PixelRows.pixels(from: document)
            return Request(found: FoundDigits(candidates: [DigitCandidate(readings: [[DigitRegion(box: PixelRect(x: 0, y: 0, width: 28, height: 28), field: field)]])],
                                              omitted: 0, blank: false),
                           wholePicture: true, topK: try MNISTModel.topK(input.queryValue("top_k"), classes: digits.count),
                           threshold: try MNISTModel.threshold(input.queryValue("threshold")) ?? threshold)
        }
        return try prepare(try ImageInput.decode(input, limits: limits), query: input.queryValue)
    }

    /// Reads a decoded picture with the query parameters `query` gives: what routes that need
    /// the picture itself (annotations) call.
    public func read(_ image: Image, query: (String) -> String?) throws -> Answer {
        try predict(try prepare(image, query: query))
    }

    /// The upload's pixels, with the configured limits (400 unreadable, 413 too many pixels).
    public func decode(_ input: ModelInput) throws -> Image {
        try ImageInput.decode(input, limits: limits)
    }

    func prepare(_ image: Image, query: (String) -> String?) throws -> Request {
        let topK = try MNISTModel.topK(query("top_k"), classes: digits.count)
        let threshold = try MNISTModel.threshold(query("threshold")) ?? self.threshold
        let whole = try MNISTModel.readsWholePicture(query("digits"))
        // MAX-MNIST semantics: an MNIST-shaped upload is one digit, fed as is.
        if whole || (image.width == DigitPreprocessor.side && image.height == DigitPreprocessor.side && image.layout == .gray) {
            let found: FoundDigits
            do {
                let field = try DigitPreprocessor.pixels(image)
                found = FoundDigits(candidates: [DigitCandidate(readings: [[DigitRegion(box: PixelRect(x: 0, y: 0, width: image.width, height: image.height), field: field)]])],
                                    omitted: 0, blank: false)
            } catch DigitPreprocessingError.noDigitFound {
                found = FoundDigits(candidates: [], omitted: 0, blank: true)
            }
            return Request(found: found, wholePicture: true, topK: topK, threshold: threshold)
        }
        return Request(found: finder.find(in: image), wholePicture: false, topK: topK, threshold: threshold)
    }

    public func predict(_ request: Request) throws -> Answer {
        try predictBatch([request])[0]
    }

    /// Every field of every upload in one batch through the network.
    public func predictBatch(_ batch: [Request]) throws -> [Answer] {
        let fields: [Float]
        if batch.count == 1 {
            fields = batch[0].found.fields
        } else {
            var all: [Float] = []
            all.reserveCapacity(batch.reduce(0) { $0 + $1.found.fieldCount } * 784)
            for request in batch { request.found.appendFields(to: &all) }
            fields = all
        }
        let outputs = try classify(fields)
        var next = 0
        return batch.map { request in
            let count = request.found.fieldCount
            let own = batch.count == 1 ? outputs : Array(outputs[next..<(next + count)])
            next += count
            var read = DigitReader.read(request.found, outputs: own, classes: digits, threshold: request.threshold)
            if request.wholePicture { for index in read.indices { read[index].box = nil } }
            return Answer(request: request, digits: read)
        }
    }

    /// The model's probabilities (one per output) for fields of 784 values, one batch.
    public func classify(_ fields: [Float]) throws -> [[Float]] {
        let count = fields.count / 784
        guard count > 0 else { return [] }
        let scores = try keras.predict(fields, batchSize: count)
        let width = keras.outputSize
        if count == 1 { return [MNISTModel.probabilities(scores)] }
        return (0..<count).map { MNISTModel.probabilities(Array(scores[($0 * width)..<(($0 + 1) * width)])) }
    }

    /// Dynamic batching may gather this many uploads into one call.
    public var maxBatchSize: Int { 64 }

    public func postProcess(_ answer: Answer, for input: ModelInput) throws -> [Digit] {
        let topK = answer.request.topK
        let accepted = answer.accepted
        var predictions: [Digit] = []
        predictions.reserveCapacity(accepted.count * topK)
        for digit in accepted {
            let box = digit.box.map { [$0.x, $0.y, $0.width, $0.height] }
            // Only the model's own digits are candidates (a subset model gives the others 0).
            // Ranked by probability, ties to the smaller digit; top_k 1 (the usual) needs no sort.
            func ranksAbove(_ a: Int, _ b: Int) -> Bool {
                let pa = digit.probabilities[a], pb = digit.probabilities[b]
                return pa != pb ? pa > pb : a < b
            }
            let ranked: [Int]
            if topK == 1, var best = digits.digits.first {
                for candidate in digits.digits where ranksAbove(candidate, best) { best = candidate }
                ranked = [best]
            } else {
                ranked = Array(digits.digits.sorted(by: ranksAbove).prefix(topK))
            }
            for candidate in ranked {
                predictions.append(Digit(prediction: candidate, probability: Double(digit.probabilities[candidate]),
                                         digitScore: Double(digit.digitScore), box: box))
            }
        }
        return predictions
    }

    /// A `message` when no digit is reported (saying why), and `omitted` when the picture held
    /// more candidates than `max_digits`.
    public func responseFields(_ answer: Answer, for input: ModelInput) throws -> [(key: String, value: JSONValue)] {
        var fields: [(key: String, value: JSONValue)] = []
        let found = answer.request.found
        if answer.accepted.isEmpty {
            let reason: String
            if found.blank || answer.digits.isEmpty {
                reason = "no digit found: the picture is blank or holds no mark large enough to be a digit"
            } else {
                let best = answer.digits.map(\.digitScore).max() ?? 0
                reason = "no digit found: \(answer.digits.count) mark\(answer.digits.count == 1 ? "" : "s") seen, none like a digit "
                    + "(best digit score \(String(format: "%.3f", best)), threshold \(String(format: "%.3f", answer.request.threshold)))"
            }
            fields.append((key: "message", value: .string(reason)))
        }
        if found.omitted > 0 {
            if answer.accepted.isEmpty == false {
                fields.append((key: "message", value: .string(
                    "the picture holds more than \(settings.finder.maxDigits) digit candidates; the \(settings.finder.maxDigits) with most ink were read")))
            }
            fields.append((key: "omitted", value: .int(found.omitted)))
        }
        return fields
    }

    /// `top_k` from the query: absent means 1; anything but 1-`classes` is the client's mistake.
    static func topK(_ value: String?, classes: Int) throws -> Int {
        guard let value else { return 1 }
        guard let k = Int(value.trimmingCharacters(in: .whitespaces)), (1...classes).contains(k) else {
            throw ModelError.badRequest("top_k must be an integer from 1 to \(classes), got '\(value)'")
        }
        return k
    }

    /// `threshold` from the query: absent means the configured one; else a number from 0 to 1.
    static func threshold(_ value: String?) throws -> Float? {
        guard let value else { return nil }
        guard let number = Float(value.trimmingCharacters(in: .whitespaces)), number.isFinite, (0...1).contains(number) else {
            throw ModelError.badRequest("threshold must be a number from 0 to 1, got '\(value)'")
        }
        return number
    }

    /// `digits` from the query: `all` (default) or `one`.
    static func readsWholePicture(_ value: String?) throws -> Bool {
        switch value?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "all": return false
        case "one": return true
        case let other?: throw ModelError.badRequest("digits must be 'all' or 'one', got '\(other)'")
        }
    }

    /// The scores as probabilities (softmax applied to logits).
    static func probabilities(_ scores: [Float]) -> [Float] { ClassScores.probabilities(scores) }
}

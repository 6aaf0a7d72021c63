import MAXFramework

/// The MNIST plugin's `model.options` in config.json:
/// `{"max_digits": 100, "min_digit_height": 7, "threshold": 0.5}`.
public struct MNISTSettings: Sendable, Equatable {
    public var finder: DigitFinderOptions
    /// The digit score below which a mark is refused; nil: the scoring's default.
    public var threshold: Float?

    public init(finder: DigitFinderOptions = DigitFinderOptions(), threshold: Float? = nil) {
        self.finder = finder
        self.threshold = threshold
    }

    /// The options as the plugin declares them (types and defaults for the documents and the
    /// framework's checks; ranges are checked by `init(_:)`).
    public static let declared: [PluginOption] = [
        PluginOption("max_digits", .integer.range(1, 10_000),
                     "At most this many digits are read in one picture; the answer counts the rest in 'omitted'", default: .int(100)),
        PluginOption("min_digit_height", .integer.range(2, 1000),
                     "Marks shorter than this many pixels are specks, not digits", default: .int(7)),
        PluginOption("threshold", .number.range(0, 1),
                     "Digit score below which a mark is refused as not a digit (?threshold= overrides it per request)"),
    ]

    /// Reads the options; a value out of range is a start-up error naming it (unknown keys are
    /// the framework's to warn about).
    public init(_ options: JSONValue) throws {
        self.init()
        guard let members = options.objectMembers else {
            throw MNISTModelError(message: "model.options must be an object")
        }
        for (key, value) in members {
            switch key {
            case "max_digits":
                guard let number = value.intValue, (1...10_000).contains(number) else {
                    throw MNISTModelError(message: "model.options.max_digits must be a whole number from 1 to 10000, got \(value.serialized)")
                }
                finder.maxDigits = number
            case "min_digit_height":
                guard let number = value.intValue, (2...1000).contains(number) else {
                    throw MNISTModelError(message: "model.options.min_digit_height must be a whole number from 2 to 1000, got \(value.serialized)")
                }
                finder.minimumHeight = number
            case "threshold":
                guard let number = value.doubleValue, (0...1).contains(number) else {
                    throw MNISTModelError(message: "model.options.threshold must be a number from 0 to 1, got \(value.serialized)")
                }
                threshold = Float(number)
            default:
                continue
            }
        }
    }
}

extension DigitScoring {
    /// The threshold used when none is configured. With a reject class, a mark is refused when
    /// the model is at least 95 % sure it is not a digit: refusing a real digit costs more than
    /// answering a doubtful mark with its digit score, and on sheets a refused digit is a missed
    /// one (the default model's sweep, assets/MODEL_CARD.md: at 0.05 it meets every issue-10
    /// target; with the finder of 25828f2, at 0.15 sheets fell from 97.3 % to 96.7 %). For the
    /// softmax maximum, a probability below one half.
    public var defaultThreshold: Float {
        switch self {
        case .rejectClass: return 0.05
        case .softmaxMaximum: return 0.5
        }
    }
}

import Keras
import MAXFramework

/// What each output of an MNIST model stands for. A model trained on all of MNIST has ten
/// outputs, the digits 0-9 in order; one trained on a subset (`max-server train --numbers
/// 0,1,7`) has one output per digit and records which in its file (`ModelClassNames`), so the
/// plugin answers those digits and nothing else, and its labels say so. A model may also have
/// one "not a digit" output (a reject class, trained on generated non-digits): it gives each
/// mark its digit score and is never answered as a prediction.
public struct DigitClasses: Sendable, Equatable {
    /// The name of the reject class in a model's `class_names`
    /// (`dataset_args.class_names` of `max-server train`).
    public static let rejectName = "not a digit"

    /// The digits the model answers, in output order (outputs other than the reject class).
    public let digits: [Int]
    /// Which output is "not a digit", if the model has one.
    public let rejectOutput: Int?

    public static let all = DigitClasses(uncheckedDigits: Array(0...9), rejectOutput: nil)
    /// Ten digits and "not a digit" last: the default model's layout.
    public static let allWithReject = DigitClasses(uncheckedDigits: Array(0...9), rejectOutput: 10)

    private init(uncheckedDigits digits: [Int], rejectOutput: Int?) {
        self.digits = digits
        self.rejectOutput = rejectOutput
    }

    /// From class names (a model file's `class_names` or the plugin's `digits` option): distinct
    /// digits "0"-"9" and at most one "not a digit", one per output.
    public init(classNames: [String], outputs: Int, source: String) throws {
        var digits: [Int] = []
        var reject: Int?
        for (output, name) in classNames.enumerated() {
            if name == DigitClasses.rejectName {
                guard reject == nil else { throw MNISTModelError(message: "\(source) names the class '\(name)' twice") }
                reject = output
                continue
            }
            guard let digit = Int(name), (0...9).contains(digit), String(digit) == name else {
                throw MNISTModelError(message: "\(source) names the class '\(name)', which is not a digit 0-9 nor '\(DigitClasses.rejectName)' (the mnist plugin serves digit classifiers; keras-classifier serves others)")
            }
            guard !digits.contains(digit) else { throw MNISTModelError(message: "\(source) names the digit \(digit) twice") }
            digits.append(digit)
        }
        guard !digits.isEmpty else { throw MNISTModelError(message: "\(source) names no digit") }
        guard classNames.count == outputs else {
            throw MNISTModelError(message: "\(source) names \(digits.count) digits\(reject == nil ? "" : " and '\(DigitClasses.rejectName)'") (\(classNames.joined(separator: ", "))), the model has \(outputs) outputs")
        }
        self.digits = digits
        self.rejectOutput = reject
    }

    /// The classes of a model: the plugin's `digits` option when given (one digit per output),
    /// else the class names the file records, else `unnamed(outputs:)`.
    public static func of(modelBytes: [UInt8], outputs: Int, option: [Int]? = nil) throws -> DigitClasses {
        if let option {
            return try DigitClasses(classNames: option.map(String.init), outputs: outputs, source: "the digits option")
        }
        let recorded: [String]?
        do {
            recorded = try ModelClassNames.read(bytes: modelBytes)
        } catch {
            throw MNISTModelError(message: "the model's class names are unreadable: \(error)")
        }
        if let recorded { return try DigitClasses(classNames: recorded, outputs: outputs, source: "the model file's class_names") }
        return try unnamed(outputs: outputs)
    }

    /// A model that does not name its classes: 10 outputs are the digits 0-9 (the upstream
    /// MAX-MNIST model), 11 the digits and "not a digit" last.
    public static func unnamed(outputs: Int) throws -> DigitClasses {
        switch outputs {
        case 10: return .all
        case 11: return .allWithReject
        default:
            throw MNISTModelError(message: "the model gives \(outputs) class scores but does not say which digits they are: an MNIST model gives 10 (or 11, 'not a digit' last), or records its classes (class_names, as max-server train writes), or the plugin's digits option names them")
        }
    }

    /// The number of digits the model answers.
    public var count: Int { digits.count }
    /// The number of outputs: the digits and the reject class.
    public var outputs: Int { digits.count + (rejectOutput == nil ? 0 : 1) }

    /// The class names in output order, as a file records them.
    public var names: [String] {
        var names = digits.map(String.init)
        if let rejectOutput { names.insert(DigitClasses.rejectName, at: rejectOutput) }
        return names
    }

    /// How the outputs give a digit score.
    public var scoring: DigitScoring { rejectOutput == nil ? .softmaxMaximum : .rejectClass }

    /// MAX's labels: each digit, in output order, its id the digit a prediction reports ("not a
    /// digit" is never a prediction, so it is no label).
    public var labels: [ModelLabel] { digits.map { ModelLabel(id: String($0), name: String($0)) } }
}

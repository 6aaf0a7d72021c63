import Keras
import MAXFramework

/// Which digit each output of an MNIST model stands for. A model trained on all of MNIST has
/// ten outputs, the digits 0-9 in order; one trained on a subset (`max-server train --numbers
/// 0,1,7`) has one output per digit and records which in its file (`ModelClassNames`), so the
/// plugin answers those digits and nothing else, and its labels say so.
public struct DigitClasses: Sendable, Equatable {
    /// `digits[output]` is the digit that output stands for.
    public let digits: [Int]

    public static let all = DigitClasses(uncheckedDigits: Array(0...9))

    private init(uncheckedDigits digits: [Int]) { self.digits = digits }

    /// From class names (a model file's `class_names` or the plugin's `digits` option): distinct
    /// digits "0"-"9", one per output.
    public init(classNames: [String], outputs: Int, source: String) throws {
        var digits: [Int] = []
        for name in classNames {
            guard let digit = Int(name), (0...9).contains(digit), String(digit) == name else {
                throw MNISTModelError(message: "\(source) names the class '\(name)', which is not a digit 0-9 (the mnist plugin serves digit classifiers; keras-classifier serves others)")
            }
            guard !digits.contains(digit) else { throw MNISTModelError(message: "\(source) names the digit \(digit) twice") }
            digits.append(digit)
        }
        guard digits.count == outputs else {
            throw MNISTModelError(message: "\(source) names \(digits.count) digits (\(classNames.joined(separator: ", "))), the model has \(outputs) outputs")
        }
        self.digits = digits
    }

    /// The digits of a model: the plugin's `digits` option when given, else the class names the
    /// file records, else 0-9 for a model of ten outputs.
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
        guard outputs == 10 else {
            throw MNISTModelError(message: "the model gives \(outputs) class scores but does not say which digits they are: an MNIST model gives 10, or records its digits (class_names, as max-server train --numbers writes), or the plugin's digits option names them")
        }
        return .all
    }

    public var count: Int { digits.count }

    /// MAX's labels: each digit, in output order, its id the digit a prediction reports.
    public var labels: [ModelLabel] { digits.map { ModelLabel(id: String($0), name: String($0)) } }
}

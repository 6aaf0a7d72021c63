import MAXFramework

/// The MNIST model on tensors, for the Open Inference Protocol: `pixels` is the network's own
/// input (raw 0-255 grayscale, ink high, in the model's input shape), `image` an encoded picture
/// that goes through the same digit pre-processing as an upload; `probabilities` are the digit
/// probabilities the MAX routes report (one per digit of the model, in label order: a reject
/// class is not among them) and `digit_score` how sure the model is that the item is a digit.
extension MNISTModel: TensorModel {
    public var tensorInput: TensorSpec {
        TensorSpec(name: "pixels", datatype: .fp32, shape: keras.inputShape)
    }

    public var encodedInput: TensorSpec? {
        TensorSpec(name: "image", datatype: .bytes, shape: [1])
    }

    public var tensorOutputs: [TensorSpec] {
        [TensorSpec(name: "probabilities", datatype: .fp32, shape: [digits.count]),
         TensorSpec(name: "digit_score", datatype: .fp32, shape: [1])]
    }

    public func inferTensors(_ items: [Float], count: Int) throws -> [[Float]] {
        var probabilities: [Float] = [], digitScores: [Float] = []
        probabilities.reserveCapacity(count * digits.count)
        digitScores.reserveCapacity(count)
        for output in try classify(items) {
            let reading = DigitReading(box: nil, output: output, classes: digits)
            probabilities += digits.digits.map { reading.probabilities[$0] }
            digitScores.append(reading.digitScore)
        }
        return [probabilities, digitScores]
    }

    /// One tensor is one digit: pixel rows as they are, a picture read whole (as `?digits=one`).
    public func tensorItem(from input: ModelInput) throws -> [Float] {
        if let document = input.json { return try PixelRows.pixels(from: document) }
        do {
            return try DigitPreprocessor.pixels(try decode(input))
        } catch let error as DigitPreprocessingError {
            throw ModelError.badRequest(error.description)
        }
    }
}

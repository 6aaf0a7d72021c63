import MAXFramework

/// The MNIST model on tensors, for the Open Inference Protocol: `pixels` is the network's own
/// input (raw 0-255 grayscale, ink high, in the model's input shape), `image` an encoded picture
/// that goes through the same digit pre-processing as an upload, and `probabilities` the class
/// probabilities the MAX routes report.
extension MNISTModel: TensorModel {
    public var tensorInput: TensorSpec {
        TensorSpec(name: "pixels", datatype: .fp32, shape: keras.inputShape)
    }

    public var encodedInput: TensorSpec? {
        TensorSpec(name: "image", datatype: .bytes, shape: [1])
    }

    public var tensorOutputs: [TensorSpec] {
        [TensorSpec(name: "probabilities", datatype: .fp32, shape: [keras.outputSize])]
    }

    public func inferTensors(_ items: [Float], count: Int) throws -> [[Float]] {
        let scores = try keras.predict(items, batchSize: count)
        let classes = keras.outputSize
        var probabilities: [Float] = []
        probabilities.reserveCapacity(scores.count)
        for item in 0..<count {
            probabilities += MNISTModel.probabilities(Array(scores[(item * classes)..<((item + 1) * classes)]))
        }
        return [probabilities]
    }

    public func tensorItem(from input: ModelInput) throws -> [Float] {
        try preProcess(input)
    }
}

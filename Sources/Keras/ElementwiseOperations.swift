/// Activation, ReLU, LeakyReLU, ELU layers and Softmax over the last axis: copy, then apply in place.
final class ActivationOperation: Operation {
    var activation: Activation
    let sampleSize: Int
    let lastAxis: Int

    init(activation: Activation, sampleSize: Int, lastAxis: Int) {
        self.activation = activation
        self.sampleSize = sampleSize
        self.lastAxis = lastAxis
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let count = batch &* sampleSize
        output.update(from: inputs[0], count: count)
        activation.apply(output, count: count, rowLength: lastAxis)
    }
}

/// Softmax over any axis: `axisLength` values `inner` apart.
final class SoftmaxOperation: Operation {
    let sampleSize: Int
    let axisLength: Int
    let inner: Int

    init(sampleSize: Int, axisLength: Int, inner: Int) {
        self.sampleSize = sampleSize
        self.axisLength = axisLength
        self.inner = inner
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let count = batch &* sampleSize
        output.update(from: inputs[0], count: count)
        applySoftmax(output, count: count, axisLength: axisLength, inner: inner)
    }
}

/// A per-channel map on the last axis: BatchNormalization (when it cannot be folded), Rescaling
/// and Normalization. Two forms, each matching Keras's own arithmetic.
final class ChannelAffineOperation: Operation {
    enum Form {
        /// x * scale[c] + shift[c] (BatchNormalization as TensorFlow computes it, Rescaling).
        case scaleShift(scale: [Float], shift: [Float])
        /// (x - mean[c]) / divisor[c] (Normalization).
        case subtractDivide(mean: [Float], divisor: [Float])
    }
    let form: Form
    let channels: Int
    let sampleSize: Int
    /// True for BatchNormalization, which may fold into the layer before it.
    let foldable: Bool

    init(form: Form, channels: Int, sampleSize: Int, foldable: Bool) {
        self.form = form
        self.channels = channels
        self.sampleSize = sampleSize
        self.foldable = foldable
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let source = inputs[0]
        let rows = batch &* (sampleSize / max(channels, 1))
        let channels = self.channels
        switch form {
        case let .scaleShift(scale, shift):
            scale.withUnsafeBufferPointer { scale in
                shift.withUnsafeBufferPointer { shift in
                    for row in 0..<rows {
                        let base = row &* channels
                        for c in 0..<channels { output[base &+ c] = source[base &+ c] * scale[c] + shift[c] }
                    }
                }
            }
        case let .subtractDivide(mean, divisor):
            mean.withUnsafeBufferPointer { mean in
                divisor.withUnsafeBufferPointer { divisor in
                    for row in 0..<rows {
                        let base = row &* channels
                        for c in 0..<channels { output[base &+ c] = (source[base &+ c] - mean[c]) / divisor[c] }
                    }
                }
            }
        }
    }
}

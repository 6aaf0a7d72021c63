import Datasets
import Keras

/// Dropout: while training, each value is zeroed with probability `rate` and the rest scaled by
/// 1 / (1 - rate), as Keras does; the mask of every sample is drawn from a generator keyed by
/// (seed, step, layer, sample), so it is the same whichever thread runs the sample.
final class DropoutLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    var outputShape: [Int] { inputShape }
    let rate: Float
    /// Distinguishes this layer's masks from other dropout layers'.
    let salt: UInt64
    private var mask = FloatBuffer(count: 0)

    var className: String { "Dropout" }

    init(name: String, inputShape: [Int], rate: Float, salt: UInt64) {
        self.name = name
        self.inputShape = inputShape
        self.rate = rate
        self.salt = salt
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "rate": Double(rate), "noise_shape": jsonNull, "seed": jsonNull]
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) {
        if mode.training && mask.count < batch * inputSampleSize { mask = FloatBuffer(count: batch * inputSampleSize) }
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        let size = inputSampleSize
        guard mode.training, rate > 0 else {
            output.update(from: input, count: slice.count * size)
            return
        }
        let keep = 1 / (1 - rate)
        let threshold = UInt64(Double(rate) * 0x1p32)
        for sample in 0..<slice.count {
            var random = SeededRandom(seed: mode.seed, stream: [UInt64(mode.step), salt, UInt64(slice.start + sample)])
            let m = mask.pointer + (slice.start + sample) * size
            let x = input + sample * size, y = output + sample * size
            var index = 0
            while index < size {
                var bits = random.next()
                for _ in 0..<2 where index < size {
                    m[index] = (bits & 0xFFFF_FFFF) < threshold ? 0 : keep
                    y[index] = x[index] * m[index]
                    bits >>= 32
                    index += 1
                }
            }
        }
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard let inputGradient else { return }
        let count = slice.count * inputSampleSize
        guard rate > 0 else {
            inputGradient.update(from: outputGradient, count: count)
            return
        }
        let m = mask.pointer + slice.start * inputSampleSize
        for index in 0..<count { inputGradient[index] = outputGradient[index] * m[index] }
    }
}

/// Layers that only change the shape (Flatten, Reshape): values pass through unchanged.
final class ReshapeLayer: TrainableLayer {
    let name: String
    let className: String
    let inputShape: [Int]
    let outputShape: [Int]

    init(name: String, className: String, inputShape: [Int], outputShape: [Int]) {
        self.name = name
        self.className = className
        self.inputShape = inputShape
        self.outputShape = outputShape
    }

    var kerasConfig: [String: Any] {
        var config: [String: Any] = ["name": name, "trainable": true, "dtype": "float32"]
        if className == "Flatten" { config["data_format"] = "channels_last" } else { config["target_shape"] = outputShape }
        return config
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        output.update(from: input, count: slice.count * inputSampleSize)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        inputGradient?.update(from: outputGradient, count: slice.count * inputSampleSize)
    }
}

/// Rescaling: y = x · scale + offset (the default model divides raw 0-255 pixels by 255).
final class RescalingLayer: TrainableLayer {
    let name: String
    let inputShape: [Int]
    var outputShape: [Int] { inputShape }
    let scale: Float
    let offset: Float

    var className: String { "Rescaling" }

    init(name: String, inputShape: [Int], scale: Float, offset: Float) {
        self.name = name
        self.inputShape = inputShape
        self.scale = scale
        self.offset = offset
    }

    var kerasConfig: [String: Any] {
        ["name": name, "trainable": true, "dtype": "float32", "scale": Double(scale), "offset": Double(offset)]
    }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        for index in 0..<(slice.count * inputSampleSize) { output[index] = input[index] * scale + offset }
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        guard let inputGradient else { return }
        for index in 0..<(slice.count * inputSampleSize) { inputGradient[index] = outputGradient[index] * scale }
    }
}

/// Activation (and Softmax over the last axis): y = f(x).
final class ActivationLayer: TrainableLayer {
    let name: String
    let className: String
    let inputShape: [Int]
    var outputShape: [Int] { inputShape }
    let stage: ActivationStage
    var activationStage: ActivationStage? { stage }

    init(name: String, className: String, inputShape: [Int], activation: Activation) {
        self.name = name
        self.className = className
        self.inputShape = inputShape
        stage = ActivationStage(activation, sampleSize: inputShape.reduce(1, *), rowLength: inputShape.last ?? 1)
    }

    var kerasConfig: [String: Any] {
        var config: [String: Any] = ["name": name, "trainable": true, "dtype": "float32"]
        if className == "Softmax" { config["axis"] = -1 } else { config["activation"] = stage.kerasName }
        return config
    }

    func prepare(batch: Int, pieces: Int, mode: PassMode) { stage.prepare(batch: batch) }

    func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, slice: BatchSlice, mode: PassMode) {
        output.update(from: input, count: slice.count * inputSampleSize)
        stage.forward(output, start: slice.start, count: slice.count, training: mode.training)
    }

    func backward(_ input: UnsafePointer<Float>, _ output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, slice: BatchSlice, mode: PassMode) {
        stage.backward(outputGradient, output: output, start: slice.start, count: slice.count)
        inputGradient?.update(from: outputGradient, count: slice.count * inputSampleSize)
    }
}

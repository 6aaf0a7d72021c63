import Keras
import Kernels

/// Layers keep weights, gradients and caches in the kernels' aligned buffers (zeroed, freed
/// with their owner) so the kernels can take raw pointers.
typealias FloatBuffer = AlignedBuffer

extension AlignedBuffer {
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    func zero() { pointer.update(repeating: 0, count: count) }
}

/// One weight of a layer, as Keras has it: a name (`kernel`, `bias`, `gamma`, `moving_mean`...),
/// a shape, its values and, when trainable, the gradient of the loss for the current batch.
/// BatchNormalization's moving statistics are not trainable: the layer updates them itself.
final class Parameter {
    let name: String
    let shape: [Int]
    let trainable: Bool
    let value: FloatBuffer
    let gradient: FloatBuffer
    var count: Int { value.count }

    init(name: String, shape: [Int], trainable: Bool = true, values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "parameter \(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.trainable = trainable
        value = FloatBuffer(values)
        gradient = FloatBuffer(count: trainable ? values.count : 0)
    }

    var values: [Float] { value.array }
    var tensor: WeightTensor { WeightTensor(shape: shape, values: values) }

    func assign(_ values: [Float]) {
        precondition(values.count == count)
        values.withUnsafeBufferPointer { value.pointer.update(from: $0.baseAddress!, count: count) }
    }
}

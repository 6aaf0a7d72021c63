import Keras

/// Floats at a fixed, 64-byte-aligned address, zeroed, freed with the owner. Layers keep their
/// weights, gradients and caches in these so the kernels can take raw pointers.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = max(count, 0)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(self.count, 16) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(self.count, 16))
        pointer.initialize(repeating: 0, count: max(self.count, 16))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: values.count) } }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

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

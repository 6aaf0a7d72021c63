/// Add, Subtract, Multiply, Average, Maximum: element-wise over inputs of one shape.
final class MergeOperation: Operation {
    enum Kind { case add, subtract, multiply, average, maximum }
    let kind: Kind
    let sampleSize: Int

    init(kind: Kind, sampleSize: Int) {
        self.kind = kind
        self.sampleSize = sampleSize
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        let count = batch &* sampleSize
        output.update(from: inputs[0], count: count)
        for index in 1..<max(inputs.count, 1) {
            let other = inputs[index]
            switch kind {
            case .add, .average: for i in 0..<count { output[i] += other[i] }
            case .subtract: for i in 0..<count { output[i] -= other[i] }
            case .multiply: for i in 0..<count { output[i] *= other[i] }
            case .maximum: for i in 0..<count { output[i] = max(output[i], other[i]) }
            }
        }
        if kind == .average {
            let divisor = Float(inputs.count)
            for i in 0..<count { output[i] /= divisor }
        }
    }
}

/// Concatenate along an axis: for each position before the axis, each input's block in turn.
final class ConcatenateOperation: Operation {
    /// Product of the dimensions before the axis (per sample).
    let outer: Int
    /// Each input's block: its axis length times the dimensions after the axis.
    let blocks: [Int]
    let sampleSize: Int

    init(outer: Int, blocks: [Int]) {
        self.outer = outer
        self.blocks = blocks
        sampleSize = outer * blocks.reduce(0, +)
    }

    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>) {
        var destination = output
        for sample in 0..<batch {
            for position in 0..<outer {
                for (index, block) in blocks.enumerated() {
                    let source = inputs[index] + (sample &* outer &+ position) &* block
                    destination.update(from: source, count: block)
                    destination += block
                }
            }
        }
    }
}

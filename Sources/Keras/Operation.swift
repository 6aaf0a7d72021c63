import Kernels

/// The input buffers of one operation during a run: a table of every node's buffer, and which
/// nodes feed this one. Both are set up before the run, so reading them allocates nothing.
struct OperationInputs {
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let nodes: [Int]

    @inline(__always)
    subscript(index: Int) -> UnsafePointer<Float> { UnsafePointer(table[nodes[index]]) }
    var count: Int { nodes.count }
}

/// One step of a planned graph. Shapes are fixed when the operation is built; after `prepare(kernels:)`
/// it is immutable, so one instance serves every thread. `run` processes `batch` samples stored
/// one after another, in both the inputs and the output.
protocol Operation: AnyObject {
    /// Scratch floats `run` needs for a batch (im2col tiles and such); 0 for most operations.
    func scratchCount(batch: Int) -> Int
    /// Last step before the first run: take the CPU kernels to run with and pack weights into
    /// their layouts.
    func prepare(kernels: any KernelSet.Type)
    func run(_ inputs: OperationInputs, output: UnsafeMutablePointer<Float>, batch: Int,
             scratch: UnsafeMutablePointer<Float>)
}

extension Operation {
    func scratchCount(batch: Int) -> Int { 0 }
    func prepare(kernels: any KernelSet.Type) {}
}

/// An operation whose output is an affine map per output channel followed by an activation
/// (Conv2D, DepthwiseConv2D, Dense). A following BatchNormalization folds into its weights and a
/// following Activation layer into its activation, saving a pass over memory.
protocol ChannelAffineFoldable: Operation {
    var activation: Activation { get set }
    var outputChannels: Int { get }
    /// Replaces output y[c] by y[c] * scale[c] + shift[c] (only while the activation is linear).
    func fold(scale: [Float], shift: [Float])
    /// Replaces the output y[c] (after the activation) by y[c] * scale[c] + shift[c], computed as
    /// the results are stored: a BatchNormalization after a ReLU. False when the operation cannot
    /// (its activation is not fused into the kernels' stores, or it has such a map already).
    func foldAfterActivation(scale: [Float], shift: [Float]) -> Bool
}

extension ChannelAffineFoldable {
    func foldAfterActivation(scale: [Float], shift: [Float]) -> Bool { false }
}

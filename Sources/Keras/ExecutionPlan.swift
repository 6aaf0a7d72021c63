/// The graph with memory laid out: samples run in chunks of up to `chunk`, and each node that
/// owns a buffer gets a fixed offset in the workspace. Buffers are reused once their last reader
/// has run, so the arena holds only what is live at once.
final class ExecutionPlan {
    let graph: ExecutionGraph
    let chunk: Int
    /// Offset of each node's buffer in the arena (for aliases, their owner's).
    private(set) var bufferOffsets: [Int] = []
    private(set) var arenaFloats = 0
    private(set) var scratchFloats = 0
    let inputSize: Int
    let outputSize: Int

    init(graph: ExecutionGraph, chunk: Int) {
        self.graph = graph
        self.chunk = chunk
        inputSize = graph.nodes[0].sampleSize
        outputSize = graph.nodes[graph.outputNode].sampleSize
        layOutMemory()
    }

    /// Greedy first-fit allocation in execution order, freeing a buffer after its last reader.
    private func layOutMemory() {
        let nodes = graph.nodes
        var lastReader = [Int](repeating: -1, count: nodes.count)
        for (index, node) in nodes.enumerated() where node.aliasOf == nil {
            for input in node.inputs { lastReader[graph.owner(of: input)] = index }
        }
        lastReader[graph.owner(of: graph.outputNode)] = Int.max
        var offsets = [Int](repeating: 0, count: nodes.count)
        var live: [(offset: Int, size: Int, owner: Int)] = []
        var end = 0
        for (index, node) in nodes.enumerated() where index > 0 && node.aliasOf == nil {
            let size = node.sampleSize * chunk
            // Lowest gap between live buffers that fits (live is kept sorted by offset).
            var candidate = 0
            for block in live {
                if block.offset - candidate >= size { break }
                candidate = max(candidate, block.offset + block.size)
            }
            offsets[index] = candidate
            live.append((candidate, size, index))
            live.sort { $0.offset < $1.offset }
            end = max(end, candidate + size)
            scratchFloats = max(scratchFloats, node.operation?.scratchCount(batch: chunk) ?? 0)
            live.removeAll { lastReader[$0.owner] <= index && $0.owner != index }
        }
        for index in nodes.indices { offsets[index] = offsets[graph.owner(of: index)] }
        bufferOffsets = offsets
        arenaFloats = end
    }

    /// Runs `batch` samples from `input` into `output` (both sample after sample).
    func run(input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let nodes = graph.nodes
        let outputOwner = graph.owner(of: graph.outputNode)
        var done = 0
        while done < batch {
            let count = min(chunk, batch &- done)
            let chunkInput = UnsafeMutablePointer(mutating: input + done &* inputSize)
            // The input node and its aliases read the caller's buffer directly.
            for index in nodes.indices where graph.owner(of: index) == 0 { workspace.table[index] = chunkInput }
            for index in nodes.indices {
                guard let operation = nodes[index].operation else { continue }
                operation.run(OperationInputs(table: workspace.table, nodes: nodes[index].inputs),
                              output: workspace.table[index], batch: count, scratch: workspace.scratch)
            }
            (output + done &* outputSize).update(from: workspace.table[outputOwner], count: count &* outputSize)
            done &+= count
        }
    }
}

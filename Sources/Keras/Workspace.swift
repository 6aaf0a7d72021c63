import Kernels
import Foundation

/// The memory one prediction runs in: a buffer for every node's output (for up to `chunk`
/// samples) plus scratch, and the table of node pointers the operations read. One workspace serves
/// one thread at a time; the model keeps a pool so that, after warm-up, predictions allocate nothing.
final class Workspace {
    let arena: AlignedBuffer
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let nodeCount: Int
    let scratch: UnsafeMutablePointer<Float>

    init(plan: ExecutionPlan) {
        nodeCount = plan.graph.nodes.count
        arena = AlignedBuffer(count: plan.arenaFloats + plan.scratchFloats)
        table = UnsafeMutablePointer.allocate(capacity: max(nodeCount, 1))
        table.initialize(repeating: arena.pointer, count: max(nodeCount, 1))
        for (node, offset) in plan.bufferOffsets.enumerated() { table[node] = arena.pointer + offset }
        scratch = arena.pointer + plan.arenaFloats
    }

    deinit { table.deallocate() }
}

/// Workspaces not in use. Taking one is a lock and an array pop; an empty pool makes a new one.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Workspace] = []
    /// Workspaces made so far: after warm-up, at most the number of concurrent callers.
    private(set) var created = 0

    init() { idle.reserveCapacity(16) }

    func take(_ make: () -> Workspace) -> Workspace {
        lock.lock()
        let workspace = idle.popLast()
        if workspace == nil { created += 1 }
        lock.unlock()
        return workspace ?? make()
    }

    func give(_ workspace: Workspace) {
        lock.lock()
        if idle.count < 64 { idle.append(workspace) }
        lock.unlock()
    }
}

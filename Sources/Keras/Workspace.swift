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
///
/// The pool is a stack, so steady traffic keeps reusing the few workspaces on top while those a
/// burst of concurrency left below go unused; a workspace idle for `idleLifetime` seconds is
/// dropped (its memory goes back to the system: large buffers are mapped on their own). Without
/// this the pool would hold the high-water mark of concurrent predictions for the life of the
/// process, which under a long mixed load reads as a slow leak of ~1 MiB per extra thread ever busy.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    /// Idle workspaces with the time each was given back, the most recently used last.
    private var idle: [(workspace: Workspace, since: Double)] = []
    private let idleLifetime: Double
    private let maximumIdle: Int
    private let clock: () -> Double
    /// Workspaces made so far: after warm-up, at most the number of concurrent callers.
    private(set) var created = 0
    /// Workspaces the pool dropped after going unused for `idleLifetime`.
    private(set) var expired = 0

    init(idleLifetime: Double = 10, maximumIdle: Int = 64, clock: @escaping () -> Double = WorkspacePool.monotonicSeconds) {
        self.idleLifetime = idleLifetime
        self.maximumIdle = maximumIdle
        self.clock = clock
        idle.reserveCapacity(16)
    }

    /// Workspaces waiting to be taken.
    var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.count
    }

    func take(_ make: () -> Workspace) -> Workspace {
        lock.lock()
        let workspace = idle.popLast()?.workspace
        if workspace == nil { created += 1 }
        let stale = dropStale(now: clock())
        lock.unlock()
        withExtendedLifetime(stale) {}  // freed here, outside the lock
        return workspace ?? make()
    }

    func give(_ workspace: Workspace) {
        lock.lock()
        let now = clock()
        if idle.count < maximumIdle { idle.append((workspace, now)) }
        let stale = dropStale(now: now)
        lock.unlock()
        withExtendedLifetime(stale) {}
    }

    /// Under the lock: removes the workspaces idle too long (they sit at the bottom of the
    /// stack) and returns them, so that the caller frees them after unlocking.
    private func dropStale(now: Double) -> [Workspace] {
        let cutoff = now - idleLifetime
        guard let first = idle.first, first.since < cutoff else { return [] }
        let count = idle.prefix { $0.since < cutoff }.count
        let stale = idle[..<count].map(\.workspace)
        idle.removeFirst(count)
        expired += count
        return stale
    }

    static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

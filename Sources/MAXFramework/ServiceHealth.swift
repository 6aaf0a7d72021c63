import Foundation

/// Whether the service should be sent traffic. Live means the process answers at all; ready
/// means every model is loaded and the service is not draining. It becomes ready once, after
/// start-up, and stops being ready at the first moment of a shutdown (SIGTERM), before the
/// listener closes, so a load balancer that polls readiness moves traffic away in time.
public final class ServiceHealth: @unchecked Sendable {
    public enum State: String, Sendable {
        /// Models loading; requests may not be answered yet.
        case starting
        case ready
        /// Shutting down: finishing what is in flight, taking nothing new from load balancers.
        case draining
    }

    private let lock = NSLock()
    private var current = State.starting
    private var listeners: [@Sendable (State) -> Void] = []

    public init() {}

    public var state: State {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    public var isReady: Bool { state == .ready }

    /// Start-up is over: assets verified, every model loaded, the listener open.
    public func markReady() { move(to: .ready, from: [.starting]) }

    /// A shutdown began; readiness never comes back.
    public func beginDraining() { move(to: .draining, from: [.starting, .ready]) }

    /// Called on every change of state (metrics export readiness as a gauge).
    public func onChange(_ listener: @escaping @Sendable (State) -> Void) {
        lock.lock()
        listeners.append(listener)
        let state = current
        lock.unlock()
        listener(state)
    }

    private func move(to state: State, from allowed: Set<State>) {
        lock.lock()
        guard allowed.contains(current) else { lock.unlock(); return }
        current = state
        let listeners = self.listeners
        lock.unlock()
        for listener in listeners { listener(state) }
    }
}

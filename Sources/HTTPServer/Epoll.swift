import Glibc

/// Linux epoll, reached through the C library's own symbols: Swift's Glibc module does not
/// import `<sys/epoll.h>`, so the three calls are looked up with `dlsym` and the event record
/// is laid out by hand (packed, 12 bytes, on x86-64; 16 bytes elsewhere).
final class Epoll {
    static let readable: UInt32 = 0x001        // EPOLLIN
    static let writable: UInt32 = 0x004        // EPOLLOUT
    static let error: UInt32 = 0x008           // EPOLLERR
    static let hangUp: UInt32 = 0x010          // EPOLLHUP
    static let peerShutdown: UInt32 = 0x2000   // EPOLLRDHUP
    static let exclusive: UInt32 = 1 << 28     // EPOLLEXCLUSIVE
    static let edgeTriggered: UInt32 = 1 << 31 // EPOLLET

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    private struct Functions {
        let create: CreateFunction
        let control: ControlFunction
        let wait: WaitFunction
    }

    private static let functions: Functions? = {
        let library = dlopen(nil, RTLD_NOW)
        guard let create = dlsym(library, "epoll_create1"), let control = dlsym(library, "epoll_ctl"),
              let wait = dlsym(library, "epoll_wait") else { return nil }
        return Functions(create: unsafeBitCast(create, to: CreateFunction.self),
                         control: unsafeBitCast(control, to: ControlFunction.self),
                         wait: unsafeBitCast(wait, to: WaitFunction.self))
    }()

    #if arch(x86_64) || arch(i386)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    private let functions: Functions
    let fd: Int32

    init() throws {
        guard let functions = Epoll.functions else {
            throw HTTPServerError(description: "epoll is not available from this system's C library")
        }
        let fd = functions.create(O_CLOEXEC)
        guard fd >= 0 else { throw HTTPServerError.system("cannot create an epoll instance", errno: errno) }
        self.functions = functions
        self.fd = fd
    }

    deinit { close(fd) }

    /// Watches `target` for `events`; `token` comes back with each of its events.
    func add(_ target: Int32, events: UInt32, token: UInt64) -> Bool {
        control(1, target, events: events, token: token)  // EPOLL_CTL_ADD
    }

    @discardableResult
    func remove(_ target: Int32) -> Bool {
        control(2, target, events: 0, token: 0)  // EPOLL_CTL_DEL
    }

    private func control(_ operation: Int32, _ target: Int32, events: UInt32, token: UInt64) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: Epoll.eventSize, alignment: 8) { record in
            record.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            record.storeBytes(of: token, toByteOffset: Epoll.dataOffset, as: UInt64.self)
            return functions.control(fd, operation, target, record.baseAddress) == 0
        }
    }

    /// Waits up to `timeoutMs` for events; returns how many were stored in `buffer` (-1 on error).
    func wait(into buffer: EventBuffer, timeoutMs: Int32) -> Int {
        Int(functions.wait(fd, buffer.storage, Int32(buffer.capacity), timeoutMs))
    }

    /// Room for the events one `wait` returns.
    final class EventBuffer {
        let capacity: Int
        fileprivate let storage: UnsafeMutableRawPointer

        init(capacity: Int) {
            self.capacity = capacity
            storage = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
            storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Epoll.eventSize)
        }

        deinit { storage.deallocate() }

        subscript(index: Int) -> (events: UInt32, token: UInt64) {
            precondition(index >= 0 && index < capacity)
            let offset = index * Epoll.eventSize
            return (storage.loadUnaligned(fromByteOffset: offset, as: UInt32.self),
                    storage.loadUnaligned(fromByteOffset: offset + Epoll.dataOffset, as: UInt64.self))
        }
    }
}

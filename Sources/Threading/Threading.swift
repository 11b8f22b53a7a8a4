import Glibc

/// Threads with a chosen stack size, straight on POSIX threads. (Locks and counters are the
/// standard library's `Mutex` and `Atomic`, from `Synchronization`.)
///
/// Why not Foundation's `Thread`: linking Foundation loads ICU and its
/// data tables into every kernel process, which costs several MiB of resident memory
/// and milliseconds of start-up before the kernel can bind its sockets (see
/// docs/ARCHITECTURE.md, "Start-up and memory"). The kernel needs only these few calls.
public enum Threads {
    /// Starts `body` on a new detached thread whose stack is `stackSize` bytes
    /// (0: the system default). `name` says which thread could not start, should one fail.
    /// Throws `ThreadError` when the system cannot create the thread.
    public static func detach(name: String, stackSize: Int = 0, _ body: @escaping @Sendable () -> Void) throws(ThreadError) {
        let thread = try start(name: name, stackSize: stackSize, body)
        pthread_detach(thread)
    }

    /// Runs `body` on a new thread whose stack is `stackSize` bytes and waits for it to end.
    /// Throws `ThreadError` (and `body` never runs) when the system cannot create the
    /// thread, e.g. when `ulimit -v` leaves no room for the stack.
    public static func runAndWait(name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) throws(ThreadError) {
        let thread = try start(name: name, stackSize: stackSize, body)
        pthread_join(thread, nil)
    }

    private final class Start {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private static func start(name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) throws(ThreadError) -> pthread_t {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if stackSize > 0 {
            let status = pthread_attr_setstacksize(&attributes, stackSize)
            guard status == 0 else { throw ThreadError(name: name, stackSize: stackSize, code: status) }
        }
        let context = Unmanaged.passRetained(Start(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Start>.fromOpaque(context).release()
            throw ThreadError(name: name, stackSize: stackSize, code: status)
        }
        return thread
    }
}

/// A thread the system would not create (`pthread_create`'s error: EAGAIN when memory or
/// the thread limit runs out, EINVAL for an impossible stack size).
public struct ThreadError: Error, CustomStringConvertible {
    public let name: String
    public let stackSize: Int
    public let code: Int32

    public var description: String {
        let reason = String(cString: strerror(code))
        let stack = stackSize > 0 ? " with a \(stackSize >> 20) MiB stack" : ""
        return "could not start thread \(name)\(stack): \(reason)"
    }
}

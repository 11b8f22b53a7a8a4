#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads with a chosen stack size, and locks, straight on POSIX threads.
///
/// Why not Foundation's `Thread` and `NSLock`: linking Foundation loads ICU and its
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
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let status = pthread_create(&thread, &attributes, { raw in
            #if canImport(Glibc)
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            #else
            let start = Unmanaged<Start>.fromOpaque(raw).takeRetainedValue()
            #endif
            start.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Start>.fromOpaque(context).release()
            throw ThreadError(name: name, stackSize: stackSize, code: status)
        }
        #if canImport(Glibc)
        return thread
        #else
        return thread!
        #endif
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

/// A mutual-exclusion lock (a `pthread_mutex_t` on the heap, where it may not move).
/// `recursive: true` lets the owning thread lock again, as `NSRecursiveLock` does.
///
/// `@unchecked Sendable`: the mutex itself is the synchronisation.
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(recursive: Bool = false) {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        defer { pthread_mutexattr_destroy(&attributes) }
        if recursive { pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE)) }
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, &attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}

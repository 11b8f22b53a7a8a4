import CZeroMQ
import FoundationEssentials

import Glibc

/// A libzmq context. Contexts are thread-safe, hence `Sendable`.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
        self.handle = handle
    }

    /// Waits for every socket to close and its linger to pass, then frees the context.
    public func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// The socket types the kernel and its tests use.
public enum ZMQSocketType: Int32, Sendable {
    case sub = 2, req = 3, rep = 4, dealer = 5, router = 6, xpub = 9
}

/// One libzmq socket.
///
/// ZMQ sockets are not thread-safe. `@unchecked Sendable` only so that a socket can be
/// created on one thread and handed to the thread that then owns it (the kernel's
/// channel threads); IOPub, written from several threads, is guarded by a lock in
/// `ZMQKernelTransport`.
public final class ZMQSocket: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?

    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError("zmq_socket") }
        self.handle = handle
    }

    deinit { close() }

    /// Closes the socket; later calls fail with ENOTSOCK.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    private func live(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation, code: ENOTSOCK) }
        return handle
    }

    /// Binds to `endpoint` and returns the endpoint actually bound (resolves `tcp://ip:*`).
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        let h = try live("zmq_bind")
        guard zmq_bind(h, endpoint) == 0 else { throw ZMQError("zmq_bind \(endpoint)") }
        return (try? lastEndpoint()) ?? endpoint
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        let h = try live("zmq_connect")
        guard zmq_connect(h, endpoint) == 0 else { throw ZMQError("zmq_connect \(endpoint)") }
    }

    /// Sets an `int` option (`ZMQ_LINGER`, `ZMQ_XPUB_VERBOSE`, …).
    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        let h = try live("zmq_setsockopt")
        guard zmq_setsockopt(h, option, &v, MemoryLayout<Int32>.size) == 0 else { throw ZMQError("zmq_setsockopt \(option)") }
    }

    /// Sets an `int64` option (`ZMQ_MAXMSGSIZE`).
    public func setOption(_ option: Int32, int64 value: Int64) throws(ZMQError) {
        var v = value
        let h = try live("zmq_setsockopt")
        guard zmq_setsockopt(h, option, &v, MemoryLayout<Int64>.size) == 0 else { throw ZMQError("zmq_setsockopt \(option)") }
    }

    /// Sets a binary option (`ZMQ_SUBSCRIBE`).
    public func setOption(_ option: Int32, _ value: Data) throws(ZMQError) {
        let h = try live("zmq_setsockopt")
        let rc = value.withUnsafeBytes { zmq_setsockopt(h, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError("zmq_setsockopt \(option)") }
    }

    /// The endpoint this socket last bound or connected to.
    public func lastEndpoint() throws(ZMQError) -> String {
        let h = try live("zmq_getsockopt")
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(h, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { throw ZMQError("zmq_getsockopt") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends `frames` as one multipart message (blocking unless the peer is gone).
    public func send(_ frames: [Data]) throws(ZMQError) {
        let h = try live("zmq_send")
        for (i, frame) in frames.enumerated() {
            let flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let code = zmq_errno()
                if code != EINTR { throw ZMQError("zmq_send", code: code) }
            }
        }
    }

    /// Receives one multipart message; with `wait: false`, nil when none is queued.
    public func receive(wait: Bool = true) throws(ZMQError) -> [Data]? {
        let h = try live("zmq_msg_recv")
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let flags: Int32 = wait || !frames.isEmpty ? 0 : ZMQ_DONTWAIT
            let rc = zmq_msg_recv(&message, h, flags)
            if rc < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError("zmq_msg_recv", code: code)
            }
            let size = zmq_msg_size(&message)
            if let bytes = zmq_msg_data(&message), size > 0 {
                frames.append(Data(bytes: bytes, count: size))
            } else {
                frames.append(Data())
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for a message; false on timeout
    /// or when a signal interrupted the wait.
    public func poll(timeout: Int) throws(ZMQError) -> Bool {
        let h = try live("zmq_poll")
        var item = zmq_pollitem_t(socket: h, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, timeout)
        if rc < 0 {
            let code = zmq_errno()
            if code == EINTR { return false }
            throw ZMQError("zmq_poll", code: code)
        }
        return item.revents & Int16(ZMQ_POLLIN) != 0
    }

    /// Like `poll(timeout:)`, also watching a file descriptor. Returns (socket readable, fd readable).
    public func poll(timeout: Int, alsoFD fd: Int32) throws(ZMQError) -> (socket: Bool, fd: Bool) {
        let h = try live("zmq_poll")
        var items = [
            zmq_pollitem_t(socket: h, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        let rc = zmq_poll(&items, 2, timeout)
        if rc < 0 {
            let code = zmq_errno()
            if code == EINTR { return (false, false) }
            throw ZMQError("zmq_poll", code: code)
        }
        return (items[0].revents & Int16(ZMQ_POLLIN) != 0, items[1].revents & Int16(ZMQ_POLLIN) != 0)
    }
}

import CZeroMQ

/// A libzmq failure: the call that failed, `errno` and `zmq_strerror`'s text.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    /// The error of the last failing zmq call on this thread.
    init(_ operation: String) {
        self.init(operation, code: zmq_errno())
    }

    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.message = zmq_strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }

    public var description: String { "\(operation): \(message)" }
}

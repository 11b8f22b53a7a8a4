import FoundationEssentials

import Glibc

/// SIGINT turned into a readable file descriptor (the self-pipe trick), so the control
/// thread's `zmq_poll` wakes on it and interrupts the cell instead of the process dying.
///
/// The handler only `write`s one byte (async-signal-safe). It is installed once per
/// process and stays installed: after `KernelServer` starts, SIGINT never kills the kernel.
enum InterruptSignal {
    /// The read end; -1 when the pipe could not be made (then SIGINT is just ignored).
    static let readFD: Int32 = install()

    /// Reads and discards pending bytes; true if there were any.
    static func consume() -> Bool {
        guard readFD >= 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        while read(readFD, &buffer, buffer.count) > 0 { any = true }
        return any
    }

    private static func install() -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            signal(SIGINT, SIG_IGN)
            return -1
        }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        signalPipeWriteFD = fds[1]
        signal(SIGINT) { _ in
            var byte: UInt8 = 1
            _ = write(signalPipeWriteFD, &byte, 1)
        }
        return fds[0]
    }
}

/// Written once before the handler is installed, then only read (by the handler).
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

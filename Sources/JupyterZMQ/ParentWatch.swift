import Glibc
import Threading

/// Ends the kernel when the process that started it is gone, as ipykernel's parent poller
/// does: a Jupyter server killed with `kill -9` (or crashed) never sends `shutdown_request`,
/// and a kernel that outlives it would run on, unreachable, maybe in an endless loop.
///
/// Which process is watched:
/// - `JPY_PARENT_PID` (jupyter_client sets it to the launching process): when it is this
///   process's parent, the parent pid changing is the signal; otherwise that process's
///   `/proc/PID/stat` disappearing, turning into a zombie, or showing another start time
///   (the pid reused by a new process);
/// - without it, the parent pid changing (a dead parent's children are re-parented to
///   init or a subreaper at once, so this sees the death even while the dead parent is an
///   unreaped zombie);
/// - nothing when the parent is already init (pid 1): a daemon has no parent to lose.
public struct ParentWatch: Sendable, Equatable {
    enum Target: Sendable, Equatable {
        /// The parent pid this process started with.
        case parent(pid_t)
        /// A process that is not the parent, with its start time (clock ticks after boot).
        case process(pid_t, startTime: UInt64)
    }

    let target: Target

    /// What to watch, given the environment and this process's parent pid; nil when there
    /// is nothing to watch (no parent but init, and no live `JPY_PARENT_PID`).
    static func target(environment: [String: String], parent: pid_t,
                       stat: (pid_t) -> ProcessStat? = ProcessStat.read) -> ParentWatch? {
        if let text = environment["JPY_PARENT_PID"], let pid = pid_t(text.trimmingWhitespace), pid > 1, pid != parent,
            let current = stat(pid), !current.isZombie
        {
            return ParentWatch(target: .process(pid, startTime: current.startTime))
        }
        return parent > 1 ? ParentWatch(target: .parent(parent)) : nil
    }

    /// The watch for this process (see the type's documentation).
    public static func current(environment: [String: String]) -> ParentWatch? {
        target(environment: environment, parent: getppid())
    }

    /// Whether the watched process is gone.
    func isGone(parent: pid_t = getppid(), stat: (pid_t) -> ProcessStat? = ProcessStat.read) -> Bool {
        switch target {
        case .parent(let pid): return parent != pid
        case .process(let pid, let startTime):
            guard let now = stat(pid) else { return true }
            return now.isZombie || now.startTime != startTime
        }
    }

    /// The pid being watched (for the log line).
    public var pid: pid_t {
        switch target {
        case .parent(let pid), .process(let pid, _): pid
        }
    }

    /// Checks every `interval` seconds on a thread of its own; once the watched process is
    /// gone, calls `onGone` (which should stop the kernel) and, should the process still be
    /// running `grace` seconds later (a cell that ignores interrupts), exits it with status 1.
    public func start(interval: Double = 0.5, grace: Double = 5, onGone: @escaping @Sendable () -> Void) throws(ThreadError) {
        let watch = self
        try Threads.detach(name: "parent-watch") {
            while !watch.isGone() { usleep(useconds_t(interval * 1_000_000)) }
            onGone()
            usleep(useconds_t(grace * 1_000_000))
            _exit(1)
        }
    }
}

/// The fields of `/proc/PID/stat` the watch needs.
struct ProcessStat: Sendable, Equatable {
    /// One letter: R, S, D, Z (zombie), T, …
    var state: Character
    /// Field 22: when the process started, in clock ticks after boot.
    var startTime: UInt64

    var isZombie: Bool { state == "Z" || state == "X" }

    /// Parses the text of `/proc/PID/stat`. The command name (field 2) is in parentheses and
    /// may itself hold spaces and parentheses, so fields are counted after the last ')'.
    static func parse(_ text: String) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return ProcessStat(state: state, startTime: start)
    }

    /// `/proc/PID/stat` of a live (or zombie) process; nil when there is no such process.
    static func read(_ pid: pid_t) -> ProcessStat? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var length = 0
        while length < buffer.count {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + length, $0.count - length) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            length += count
        }
        return parse(String(decoding: buffer[..<length], as: UTF8.self))
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        var text = self[...]
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

import Glibc
import JupyterProtocol
import Threading

/// When buffered stream text goes out. The defaults are ipykernel's behaviour.
struct StreamPolicy: Sendable {
    /// Text waits at most this long (seconds) before it is sent: ipykernel's
    /// `OutStream.flush_interval` is 0.2 s. A cell that prints and then computes for a
    /// minute shows its text within this interval, not at the end.
    var interval: Double = 0.2
    /// Buffered text of at least this many bytes is sent at once, so one message stays
    /// small enough for a front end to render while the cell goes on.
    var maxBytes: Int = 64 * 1024

    static let ipykernel = StreamPolicy()
}

/// Collects one cell's `print`/`warn` text into few `stream` messages, as ipykernel does.
///
/// Why: one IOPub message per `print` made `for i in 0..<30000 { print(i) }` send 30,000
/// messages; nbconvert then timed out waiting for IOPub, kept 21,962 separate outputs
/// and lost the rest, and nbgrader failed the whole submission (issue 16). Coalesced,
/// the same loop is a handful of messages.
///
/// Text is sent (in one `stream` message per run of the same stream name):
/// - when `policy.interval` has passed since the oldest buffered text (a flusher thread,
///   started with the cell's first text and ended with the cell, waits for that moment,
///   so output shows up while a long computation runs);
/// - when `policy.maxBytes` are buffered;
/// - when the other stream name is written (stdout then stderr stay in order);
/// - on `flush()`, which `JupyterHost` calls before every display, update, clear_output,
///   page and input request, and `finish()` at the end of the cell, before the result,
///   the error and the reply.
///
/// Thread-safety: the evaluation thread writes, the flusher thread flushes; both hold
/// `mutex` while they touch the buffer *and while they send*, so two sends never
/// interleave and nothing is sent after `finish()` (the dispatcher sends the reply then).
/// `ExecutionContext.stream` may be called from any thread (its publish goes through the
/// transport's IOPub lock).
final class StreamCoalescer: @unchecked Sendable {
    private let context: ExecutionContext
    let policy: StreamPolicy

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // Guarded by `mutex`.
    private var pendingName: StreamName = .stdout
    private var pending = ""
    private var pendingBytes = 0
    private var pendingSince = 0.0  // monotonic seconds of the oldest buffered text
    private var flusherStarted = false
    private var finished = false

    init(context: ExecutionContext, policy: StreamPolicy = .ipykernel) {
        self.context = context
        self.policy = policy
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        // The flusher's deadline is on the monotonic clock, immune to clock changes.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        wake.initialize(to: pthread_cond_t())
        pthread_cond_init(wake, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(wake)
        wake.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Buffers `text` for `name`; sends what the policy says is due.
    func write(_ name: StreamName, _ text: String) {
        guard !text.isEmpty else { return }
        locked {
            guard !finished else { return }
            if pendingBytes > 0 && name != pendingName { sendLocked() }
            let now = Self.now()
            if pendingBytes == 0 {
                pendingName = name
                pendingSince = now
                startFlusherLocked()
                pthread_cond_signal(wake)  // arm the flusher's timer
            }
            pending += text
            pendingBytes += text.utf8.count
            // The interval is also checked here, so output keeps flowing at the same pace
            // should the flusher thread be missing (the system refused to start it).
            if pendingBytes >= policy.maxBytes || now - pendingSince >= policy.interval { sendLocked() }
        }
    }

    /// Sends the buffered text now.
    func flush() { locked { sendLocked() } }

    /// Sends the buffered text and stops: later writes and flushes send nothing. The
    /// flusher thread wakes and ends.
    func finish() {
        locked {
            sendLocked()
            finished = true
            pthread_cond_signal(wake)
        }
    }

    // MARK: - Inside the lock

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    private func sendLocked() {
        guard pendingBytes > 0 else { return }
        let text = pending
        pending = ""
        pendingBytes = 0
        context.stream(pendingName, text)
    }

    private func startFlusherLocked() {
        guard !flusherStarted else { return }
        flusherStarted = true
        // Without the thread (the system refused one), `write` still sends on size, on
        // interval and at the end; only text followed by a long silent computation waits.
        try? Threads.detach(name: "attention-flush") { [self] in flusherLoop() }
    }

    /// The flusher thread: sleeps until the oldest buffered text is `interval` old, sends
    /// it, and ends when the cell finishes. It holds the coalescer until then.
    private func flusherLoop() {
        locked {
            while !finished {
                if pendingBytes == 0 {
                    pthread_cond_wait(wake, mutex)
                    continue
                }
                let deadline = pendingSince + policy.interval
                if Self.now() >= deadline {
                    sendLocked()
                    continue
                }
                var until = timespec(tv_sec: Int(deadline), tv_nsec: Int((deadline - deadline.rounded(.down)) * 1e9))
                _ = pthread_cond_timedwait(wake, mutex, &until)
            }
        }
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

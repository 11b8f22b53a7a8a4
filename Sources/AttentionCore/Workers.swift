import Dispatch
import Glibc
import Synchronization

/// AttentionCore's one setting, made once at start by the program that uses the library
/// (the kernel passes its `ATTN_THREADS`). The library itself reads no environment: every
/// setting of the kernel is read in one place (`Settings` in AttentionKernel).
public enum CoreConfiguration {
    /// 0 means "not configured": use every online core.
    static let configuredWorkers = Atomic<Int>(0)

    /// How many workers large products and attention split their rows over; nil (or
    /// anything below 1) means one per online core, 1 keeps everything on the calling thread.
    public static func configure(workers: Int?) {
        configuredWorkers.store(max(0, workers ?? 0), ordering: .relaxed)
    }

    /// The worker count in force.
    public static var workers: Int { Parallel.threads }
}

/// Work split across cores for large products and the softmax passes.
enum Parallel {
    /// Worker count: what `CoreConfiguration.configure(workers:)` set, else the online cores.
    static var threads: Int {
        let configured = CoreConfiguration.configuredWorkers.load(ordering: .relaxed)
        return configured > 0 ? configured : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Calls `body(w)` for w in 0..<workers, in parallel when workers > 1.
    static func onWorkers(_ workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
        }
    }

    /// Calls `body` on `blocks` contiguous, near-equal row ranges covering 0..<rows, in
    /// parallel when blocks > 1. Each range is handled by exactly one call.
    static func forEachBlock(rows: Int, blocks: Int, _ body: (Range<Int>) -> Void) {
        let blocks = max(1, min(blocks, rows))
        if blocks == 1 { body(0..<rows); return }
        // Every call returns before concurrentPerform does, and the ranges are disjoint:
        // callers write only their own rows.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: blocks) { b in
                body((rows * b / blocks)..<(rows * (b + 1) / blocks))
            }
        }
    }
}

/// Hands out task indices 0..<count to whichever worker asks first.
final class TaskQueue: Sendable {
    private let taken = Atomic<Int>(0)
    private let count: Int

    init(count: Int) { self.count = count }

    func next() -> Int? {
        let index = taken.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }
}

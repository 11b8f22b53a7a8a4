import Glibc
import Synchronization
import Testing
import Threading

@Suite struct ThreadingTests {
    /// 20,000 nested calls each holding 1 KiB on the stack need ~20 MiB, more than a
    /// default 8 MiB thread has; 64 MiB holds them. (Few frames on purpose: ThreadSanitizer
    /// tracks at most 65,536 nested calls per thread, docs/ROBUSTNESS.md.)
    @Test func runAndWaitRunsTheBodyOnAThreadWithTheStackAskedFor() throws {
        final class Box: @unchecked Sendable { var depth = 0 }
        let box = Box()
        try Threads.runAndWait(name: "deep", stackSize: 64 << 20) {
            func recurse(_ n: Int) -> Int {
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { frame in
                    frame.initialize(repeating: n)
                    return n > 0 ? recurse(n - 1) + (frame[127] == n ? 1 : 0) : 0
                }
            }
            box.depth = recurse(20_000)
        }
        #expect(box.depth == 20_000)
    }

    @Test func aStackNoSystemCanGiveIsAThrownError() {
        #expect(throws: ThreadError.self) {
            try Threads.runAndWait(name: "impossible", stackSize: 1 << 50) { Issue.record("the body ran") }
        }
        do {
            try Threads.runAndWait(name: "impossible", stackSize: 1 << 50) {}
        } catch {
            #expect(error.description.hasPrefix("could not start thread impossible with a 1073741824 MiB stack: "))
        }
    }

    @Test func detachedThreadsRunAndTheirUpdatesUnderAMutexAllLand() throws {
        final class Counter: Sendable {
            let state = Mutex<(value: Int, finished: Int)>((0, 0))
        }
        let counter = Counter()
        let threads = 4, increments = 10_000
        for _ in 0..<threads {
            try Threads.detach(name: "adder") {
                for _ in 0..<increments { counter.state.withLock { $0.value += 1 } }
                counter.state.withLock { $0.finished += 1 }
            }
        }
        for _ in 0..<10_000 where counter.state.withLock({ $0.finished }) < threads { usleep(1_000) }
        #expect(counter.state.withLock { ($0.finished, $0.value) } == (threads, threads * increments))
    }
}

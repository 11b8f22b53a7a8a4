@testable import AttentionLanguage
import Foundation
import Synchronization

/// Runs `code` in `session` while another thread presses stop `delay` seconds in. Gives the
/// cell's result and how long it ran on after the request (nil when it ended before one).
func runInterruptedOnce(_ session: Session, _ code: String, after delay: TimeInterval = 0.2) -> (result: CellResult, latency: Duration?) {
    let requested = Mutex<ContinuousClock.Instant?>(nil)
    Thread.detachNewThread {
        Thread.sleep(forTimeInterval: delay)
        requested.withLock { $0 = .now }
        session.interrupt()
    }
    let result = session.run(code, host: RecordingHost())
    let stopped = ContinuousClock.now
    return (result, requested.withLock { $0 }.map { stopped - $0 })
}

/// Measures how much of the current thread's stack is in use, so that deep recursion
/// (parser or evaluator) ends in a `LimitError` before it could overflow the stack,
/// whatever the configured limits and however large the frames of a debug build are.
struct StackGuard: Sendable {
    /// Address of a local variable where the guard was made (the base of the measured part).
    private let base: UInt
    /// Bytes of stack the guarded code may use below `base`.
    let budget: UInt

    init(budget: Int) {
        self.base = StackGuard.currentAddress()
        self.budget = UInt(max(budget, 0))
    }

    /// True when more than `budget` bytes of stack are in use since the guard was made.
    @inline(__always)
    var isExhausted: Bool {
        let here = StackGuard.currentAddress()
        let used = base > here ? base - here : here - base
        return used > budget
    }

    /// The address of a local of the calling frame (inlined: asked at every compound
    /// expression and call, and any frame's local measures the depth as well as its own).
    @inline(__always)
    private static func currentAddress() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }
}

import Synchronization

/// Where a running cell sends its outputs and reads input. The kernel implements it
/// over IOPub and stdin; the command line over the terminal; tests with `RecordingHost`.
///
/// Methods are called on the session's evaluation thread while `Session.run` blocks
/// the caller, one at a time.
public protocol CellHost: AnyObject {
    /// Publishes one output now (streaming: do not wait for the cell to end).
    func emit(_ output: Output)
    /// Reads a line for `input(prompt)`. Returns nil when the front end does not
    /// allow input; the cell then fails with a clear error.
    func readInput(prompt: String) -> String?
    /// Polled between statements, at every loop iteration and every call, in addition to
    /// `Session.interrupt()`. Defaults to false.
    var isInterruptRequested: Bool { get }
    /// Told each time a builtin runs, before it runs (tests prove with it that every entry
    /// of the builtin table has run). Defaults to nothing.
    func builtinCalled(_ name: String)
    /// The notebook's folder, where `save` and `load` read and write; nil (the default) is
    /// the process's working directory, which Jupyter and nbconvert set to the notebook's folder.
    var fileFolder: String? { get }
    /// Whether heatmaps should carry a PNG beside their HTML (defaults to true). False while
    /// an `interact` re-runs for a live page: the HTML table is what it draws.
    var wantsRasterImages: Bool { get }
}

extension CellHost {
    public var isInterruptRequested: Bool { false }
    public func builtinCalled(_ name: String) {}
    public var fileFolder: String? { nil }
    public var wantsRasterImages: Bool { true }
}

/// A `CellHost` that records outputs in memory and answers `input` from a queue: a test
/// double, also handy for running code without a front end.
public final class RecordingHost: CellHost, @unchecked Sendable {
    private let lock = Mutex<State>(State())
    private struct State: Sendable {
        var outputs: [Output] = []
        var inputs: [String] = []
        var prompts: [String] = []
        var allowInput = false
        var calledBuiltins: Set<String> = []
    }

    /// - Parameters:
    ///   - inputs: lines `input()` returns, in order.
    ///   - allowInput: when false, `input()` fails as in a front end without stdin.
    ///   - folder: the folder `save` and `load` use (nil: the working directory).
    public init(inputs: [String] = [], allowInput: Bool = true, folder: String? = nil) {
        self.fileFolder = folder
        lock.withLock {
            $0.inputs = inputs
            $0.allowInput = allowInput
        }
    }

    public let fileFolder: String?

    public func emit(_ output: Output) { lock.withLock { $0.outputs.append(output) } }

    public func builtinCalled(_ name: String) { _ = lock.withLock { $0.calledBuiltins.insert(name) } }

    /// The names of the builtins that have run.
    public var calledBuiltins: Set<String> { lock.withLock { $0.calledBuiltins } }

    public func readInput(prompt: String) -> String? {
        lock.withLock { state in
            state.prompts.append(prompt)
            guard state.allowInput, !state.inputs.isEmpty else { return nil }
            return state.inputs.removeFirst()
        }
    }

    /// Everything emitted so far, in order.
    public var outputs: [Output] { lock.withLock { $0.outputs } }
    /// The prompts `input()` was called with.
    public var prompts: [String] { lock.withLock { $0.prompts } }

    /// Stdout and stderr text and the text/plain of displays and pages, in order: what a
    /// terminal would show. Stderr text is prefixed by nothing; use `outputs` to tell apart.
    public var text: String {
        outputs.map { output in
            switch output {
            case .stdout(let s), .stderr(let s): s
            case .display(let bundle, _, _), .page(let bundle): bundle.plainText + "\n"
            case .clearOutput: ""
            case .widget(let w): w.plainText + "\n"
            }
        }.joined()
    }
}

/// A thread-safe interrupt flag, set from any thread and polled by the evaluator.
final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    func clear() { flag.store(false, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

import JSONValues

/// The language side of a kernel: it returns values and never touches a socket
/// (after xeus' `xinterpreter`).
///
/// Threads: `execute`, `complete`, `inspect`, `isComplete` and `evaluateUserExpression`
/// are called one at a time on the shell thread. `kernelInfo()` may also be called on the
/// control thread while `execute` runs (return constants). `interrupt()` is called from
/// the control thread or on SIGINT while `execute` runs, so it must only set a flag that
/// the evaluator polls (an atomic or a lock-guarded Bool); hence `Sendable`. Clear that
/// flag when `execute` starts: an interrupt that arrives between cells is dropped.
public protocol KernelInterpreter: AnyObject, Sendable {
    /// Static facts for `kernel_info_reply`.
    func kernelInfo() -> KernelInfo
    /// Runs one cell. Outputs go through `context` while it runs; an `execute_result`
    /// through `context.executeResult`. Errors are returned, never published: the
    /// dispatcher publishes exactly one IOPub `error` for `.error`.
    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecuteOutcome
    /// Completions at `cursorPos`, counted in Unicode scalars (`String.unicodeScalars`).
    func complete(code: String, cursorPos: Int) -> CompletionResult
    /// Help for the name at `cursorPos` (Unicode scalars); `detailLevel` 0 or 1.
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectResult
    /// Whether `code` is ready to run (the console's Enter key).
    func isComplete(code: String) -> IsCompleteResult
    /// Asks a running `execute` to stop soon. Called from another thread.
    func interrupt()
    /// Evaluates one of `execute_request.user_expressions` after the cell ran.
    /// The default answers with an error saying that expressions are not supported.
    func evaluateUserExpression(_ expression: String) -> UserExpressionResult
    /// Called once by the dispatcher with its comm manager, where the interpreter
    /// registers its comm targets and opens comms (after xeus' `register_comm_manager`).
    /// The default registers nothing, so every `comm_open` from a front end is closed.
    func attach(comms: CommManager)
}

extension KernelInterpreter {
    public func attach(comms: CommManager) {}

    public func evaluateUserExpression(_ expression: String) -> UserExpressionResult {
        .error(ExecutionError(ename: "NotImplemented", evalue: "user_expressions are not supported", traceback: []))
    }
}

/// One of `kernel_info_reply`'s `help_links`.
public struct HelpLink: Sendable, Equatable {
    public var text: String
    public var url: String

    public init(text: String, url: String) { (self.text, self.url) = (text, url) }
}

/// One of `execute_request`'s `user_expressions`: a name and the expression to evaluate.
public struct UserExpression: Sendable, Equatable {
    public var name: String
    public var expression: String

    public init(name: String, expression: String) { (self.name, self.expression) = (name, expression) }
}

/// The interpreter's part of `kernel_info_reply`.
public struct KernelInfo: Sendable, Equatable {
    public var implementation: String
    public var implementationVersion: String
    public var banner: String
    /// `[{"text": ..., "url": ...}]`.
    public var helpLinks: [HelpLink]
    /// `{name, version, mimetype, file_extension, pygments_lexer, codemirror_mode, nbconvert_exporter}`.
    public var languageInfo: JSONObject

    public init(
        implementation: String, implementationVersion: String, banner: String,
        helpLinks: [HelpLink] = [], languageInfo: JSONObject
    ) {
        self.implementation = implementation
        self.implementationVersion = implementationVersion
        self.banner = banner
        self.helpLinks = helpLinks
        self.languageInfo = languageInfo
    }
}

/// An `execute_request` as the interpreter sees it, after the dispatcher applied the
/// rules (`silent` forces `storeHistory` off).
public struct ExecuteRequest: Sendable, Equatable {
    public var code: String
    public var silent: Bool
    public var storeHistory: Bool
    /// In request order.
    public var userExpressions: [UserExpression]
    public var allowStdin: Bool
    public var stopOnError: Bool
    /// The count this cell is shown with (`In [n]`); grows only when `storeHistory`.
    public var executionCount: Int

    public init(
        code: String, silent: Bool = false, storeHistory: Bool = true,
        userExpressions: [UserExpression] = [], allowStdin: Bool = false,
        stopOnError: Bool = true, executionCount: Int = 1
    ) {
        self.code = code
        self.silent = silent
        self.storeHistory = storeHistory
        self.userExpressions = userExpressions
        self.allowStdin = allowStdin
        self.stopOnError = stopOnError
        self.executionCount = executionCount
    }
}

/// An error as Jupyter shows it: `ename`, `evalue` and the lines of `traceback`
/// (which may hold ANSI colour codes).
public struct ExecutionError: Error, Sendable, Equatable {
    public var ename: String
    public var evalue: String
    public var traceback: [String]

    public init(ename: String, evalue: String, traceback: [String]) {
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
    }

    var content: JSONValue {
        ["ename": .string(ename), "evalue": .string(evalue), "traceback": .array(traceback.map(JSONValue.string))]
    }
}

/// How a cell ended.
public enum ExecuteOutcome: Sendable, Equatable {
    /// Ran to the end; payloads added with `ExecutionContext.addPayload` go in the reply.
    case ok
    /// Failed: published once as IOPub `error` and returned in `execute_reply`.
    case error(ExecutionError)
}

/// The result of one user expression: a mimebundle, or an error.
public enum UserExpressionResult: Sendable, Equatable {
    case ok(data: JSONObject, metadata: JSONObject = [:])
    case error(ExecutionError)

    var json: JSONValue {
        switch self {
        case .ok(let data, let metadata):
            ["status": "ok", "data": .object(data), "metadata": .object(metadata)]
        case .error(let e):
            ["status": "error", "ename": .string(e.ename), "evalue": .string(e.evalue),
             "traceback": .array(e.traceback.map(JSONValue.string))]
        }
    }
}

/// `complete_reply` content. Cursor positions count Unicode scalars.
public struct CompletionResult: Sendable, Equatable {
    public var matches: [String]
    public var cursorStart: Int
    public var cursorEnd: Int
    public var metadata: JSONObject

    public init(matches: [String], cursorStart: Int, cursorEnd: Int, metadata: JSONObject = [:]) {
        self.matches = matches
        self.cursorStart = cursorStart
        self.cursorEnd = cursorEnd
        self.metadata = metadata
    }
}

/// `inspect_reply` content: a mimebundle when `found`.
public struct InspectResult: Sendable, Equatable {
    public var found: Bool
    public var data: JSONObject
    public var metadata: JSONObject

    public init(found: Bool, data: JSONObject = [:], metadata: JSONObject = [:]) {
        self.found = found
        self.data = data
        self.metadata = metadata
    }

    /// Nothing to show.
    public static let notFound = InspectResult(found: false)
}

/// `is_complete_reply` status.
public enum IsCompleteResult: Sendable, Equatable {
    case complete
    /// More input is needed; `indent` is what the next line should start with.
    case incomplete(indent: String)
    case invalid
    case unknown
}

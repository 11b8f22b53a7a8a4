import AttentionCore
import AttentionLanguage

/// Every setting of the kernel, read once at start from the `ATTN_*` environment variables
/// (a kernelspec's `env` sets them) and passed down: the language's `Limits` to the
/// session, the output limits to the Jupyter host, the worker count to AttentionCore
/// (`apply()`). Nothing below reads the environment itself, so what a kernel runs under is
/// this one value, and docs/ROBUSTNESS.md's table is checked against `variables`.
public struct Settings: Sendable {
    /// `ATTN_MAX_ELEMENTS`, `ATTN_MAX_DEPTH`, `ATTN_MAX_NESTING`, `ATTN_MAX_WORK`.
    public var limits: Limits
    /// `ATTN_MAX_OUTPUT_BYTES`, `ATTN_MAX_DISPLAYS`.
    public var output: OutputLimit
    /// `ATTN_THREADS`: workers for large products and attention; nil means one per online core.
    public var workers: Int?
    /// `ATTN_LOG=debug`: the kernel logs its start-up (transport, encryption, parent watch,
    /// limits) and every message it receives and sends to stderr, i.e. the Jupyter server's
    /// log. Not a limit, so not in `variables`.
    public var debugLog = false
    /// The Jupyter server's base URL, where it serves kernelspec files (the language
    /// reference of `help_links`): `JUPYTERHUB_SERVICE_PREFIX` (JupyterHub sets it for each
    /// user's server, e.g. `/user/ann/`, and the kernel inherits it), else `/`. Always
    /// begins and ends with `/`. Not a limit, so not in `variables`.
    public var serverBaseURL = "/"

    public init(limits: Limits = Limits(), output: OutputLimit = Settings.defaultOutput, workers: Int? = nil) {
        self.limits = limits
        self.output = output
        self.workers = workers
    }

    public static let defaultOutput = OutputLimit(maxBytes: 1_000_000, maxDisplays: 200)

    /// The defaults, overridden by each variable that holds a number ≥ 1 (anything else
    /// is ignored, so a typo falls back to the default, never to 0). The language's four
    /// limits are read by `Limits(environment:)`, which owns their caps.
    public init(environment: [String: String]) {
        self.init(limits: Limits(environment: environment))
        func read(_ name: String) -> Int? { Limits.positiveSetting(name, in: environment).map { Int(min($0, 1e15)) } }
        if let bytes = read("ATTN_MAX_OUTPUT_BYTES") { output.maxBytes = bytes }
        if let displays = read("ATTN_MAX_DISPLAYS") { output.maxDisplays = displays }
        workers = read("ATTN_THREADS")
        debugLog = environment["ATTN_LOG"]?.lowercased() == "debug"
        if let prefix = environment["JUPYTERHUB_SERVICE_PREFIX"], !prefix.isEmpty {
            serverBaseURL = (prefix.hasPrefix("/") ? "" : "/") + prefix + (prefix.hasSuffix("/") ? "" : "/")
        }
    }

    /// Hands the process-wide settings to the libraries that keep them (AttentionCore's
    /// worker count). Called once at start, before the first cell.
    public func apply() { CoreConfiguration.configure(workers: workers) }

    /// One environment variable and the value it sets (nil: no number, e.g. "the online cores").
    public struct Variable: Sendable {
        public let name: String
        public let value: @Sendable (Settings) -> Double?
    }

    /// Every variable `init(environment:)` reads, in docs/ROBUSTNESS.md's order.
    public static let variables: [Variable] = [
        Variable(name: "ATTN_MAX_ELEMENTS") { Double($0.limits.maxElements) },
        Variable(name: "ATTN_MAX_WORK") { $0.limits.maxWork },
        Variable(name: "ATTN_MAX_DEPTH") { Double($0.limits.maxCallDepth) },
        Variable(name: "ATTN_MAX_NESTING") { Double($0.limits.maxNestingDepth) },
        Variable(name: "ATTN_MAX_OUTPUT_BYTES") { Double($0.output.maxBytes) },
        Variable(name: "ATTN_MAX_DISPLAYS") { Double($0.output.maxDisplays) },
        Variable(name: "ATTN_THREADS") { $0.workers.map(Double.init) },
    ]

}

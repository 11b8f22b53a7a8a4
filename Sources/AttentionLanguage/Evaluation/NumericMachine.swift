/// The register machine that runs `NumericProgram`s (see `NumericExit` for what the numeric
/// tier runs and its guards).

/// The machine's stacks, kept by the evaluator between runs: the frames of `Double`s and the
/// activations of the calls in progress. Only one run is ever in progress (numeric code calls
/// only numeric code), and it always starts at the bottom of both.
struct NumericStacks {
    private(set) var numbers = UnsafeMutablePointer<Double>.allocate(capacity: 0)
    private(set) var numberCapacity = 0
    private(set) var activations = UnsafeMutablePointer<NumericActivation>.allocate(capacity: 0)
    private(set) var activationCapacity = 0

    /// Room for `count` numbers; the frames may move (the machine addresses them by offset).
    mutating func reserveNumbers(_ count: Int) {
        guard count > numberCapacity else { return }
        let capacity = max(count, numberCapacity * 2, 1024)
        let grown = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        grown.initialize(repeating: 0, count: capacity)
        grown.update(from: numbers, count: numberCapacity)
        numbers.deallocate()
        numbers = grown
        numberCapacity = capacity
    }

    mutating func reserveActivations(_ count: Int) {
        guard count > activationCapacity else { return }
        let capacity = max(count, activationCapacity * 2, 64)
        let grown = UnsafeMutablePointer<NumericActivation>.allocate(capacity: capacity)
        grown.moveInitialize(from: activations, count: activationCapacity)
        activations.deallocate()
        activations = grown
        activationCapacity = capacity
    }

    func deallocate() {
        numbers.deallocate()
        activations.deallocate()
    }
}

/// A numeric call in progress, as its caller left it: the caller's program and where it
/// goes on, its frame, the slot the value goes to and the call site it called through.
struct NumericActivation {
    let program: Unmanaged<NumericProgram>
    let code: UnsafeMutablePointer<NumericInstruction>
    let sites: UnsafeMutablePointer<NumericCallSite>
    let frameSize: Int
    let resume: Int
    let base: Int
    let destination: Int
    let site: Int
}

extension Evaluator {
    /// Nested numeric calls the machine holds at most. Deeper recursion (only possible with
    /// a call-depth limit raised far past its maximum setting, as tests do) bails, and the
    /// general path's stack guard decides.
    static let maxNumericActivations = 100_000

    /// Runs `entry` on the frame at the bottom of the numeric stacks (its arguments already
    /// there): its value, `.bail`, or `.raised` with the error waiting in the evaluator,
    /// decorated with every numeric call it left (the entry's own call is the caller's to
    /// decorate, as for any call).
    func runMachine(_ entry: NumericProgram) throws(NumericExit) -> Double {
        let stacks = numericStacks
        let entryDepth = callDepth, maxDepth = limits.maxCallDepth
        var program = Unmanaged.passUnretained(entry)
        var code = entry.code, sites = entry.sites, frameSize = entry.frameSize
        var base = 0, pc = 0, depth = 0
        var f = stacks.pointee.numbers

        /// Leaves the run: decorates a raised error with the calls it passes through.
        func exit(_ reason: NumericExit) -> NumericExit {
            if case .raised = reason {
                var callee = program
                for d in stride(from: depth - 1, through: 0, by: -1) {
                    let activation = stacks.pointee.activations[d]
                    callee._withUnsafeGuaranteedRef { decorateHeldError($0.declaration, caller: activation.sites[activation.site].calleeRange.start) }
                    callee = activation.program
                }
            }
            return reason
        }

        while true {
            let i = code[pc]
            pc += 1
            switch i.op {
            case .addSS: f[Int(i.c)] = f[Int(i.a)] + f[Int(i.b)]
            case .addSK: f[Int(i.c)] = f[Int(i.a)] + i.k
            case .addKS: f[Int(i.c)] = i.k + f[Int(i.b)]
            case .subtractSS: f[Int(i.c)] = f[Int(i.a)] - f[Int(i.b)]
            case .subtractSK: f[Int(i.c)] = f[Int(i.a)] - i.k
            case .subtractKS: f[Int(i.c)] = i.k - f[Int(i.b)]
            case .multiplySS: f[Int(i.c)] = f[Int(i.a)] * f[Int(i.b)]
            case .multiplySK: f[Int(i.c)] = f[Int(i.a)] * i.k
            case .multiplyKS: f[Int(i.c)] = i.k * f[Int(i.b)]
            case .divideSS: f[Int(i.c)] = f[Int(i.a)] / f[Int(i.b)]
            case .divideSK: f[Int(i.c)] = f[Int(i.a)] / i.k
            case .divideKS: f[Int(i.c)] = i.k / f[Int(i.b)]
            case .moduloSS: f[Int(i.c)] = f[Int(i.a)].flooredModulo(f[Int(i.b)])
            case .moduloSK: f[Int(i.c)] = f[Int(i.a)].flooredModulo(i.k)
            case .moduloKS: f[Int(i.c)] = i.k.flooredModulo(f[Int(i.b)])
            case .negate: f[Int(i.c)] = -f[Int(i.a)]
            case .move: f[Int(i.c)] = f[Int(i.a)]
            case .constant: f[Int(i.c)] = i.k
            case .global:
                guard let d = globalNumber(id: Int(i.a)) else { throw exit(.bail) }
                f[Int(i.c)] = d
            case .jumpIfSS: if i.test.holds(f[Int(i.a)], f[Int(i.b)]) { pc = Int(i.c) }
            case .jumpIfSK: if i.test.holds(f[Int(i.a)], i.k) { pc = Int(i.c) }
            case .jumpUnlessSS: if !i.test.holds(f[Int(i.a)], f[Int(i.b)]) { pc = Int(i.c) }
            case .jumpUnlessSK: if !i.test.holds(f[Int(i.a)], i.k) { pc = Int(i.c) }
            case .jump: pc = Int(i.c)
            case .call:
                let site = sites + Int(i.a)
                if site.pointee.cache.version != functionVersion { refill(site) }
                guard let callee = site.pointee.program else { throw exit(.bail) }
                let (calleeCode, calleeSites, calleeFrameSize) = callee._withUnsafeGuaranteedRef { ($0.code, $0.sites, $0.frameSize) }
                let calleeBase = base + frameSize
                if calleeBase + calleeFrameSize > stacks.pointee.numberCapacity {
                    stacks.pointee.reserveNumbers(calleeBase + calleeFrameSize)
                    f = stacks.pointee.numbers + base
                }
                let arguments = f + Int(i.b), frame = f + frameSize
                for k in 0..<site.pointee.arity { frame[k] = arguments[k] }
                do { try checkInterrupt(at: site.pointee.range) } catch { throw exit(raise(error)) }
                guard entryDepth + depth < maxDepth else {
                    let name = callee._withUnsafeGuaranteedRef { $0.declaration.name }
                    throw exit(raise(LangError(.callsTooDeep(limit: maxDepth, function: name), at: site.pointee.calleeRange)))
                }
                guard depth < Self.maxNumericActivations else { throw exit(.bail) }
                if depth == stacks.pointee.activationCapacity { stacks.pointee.reserveActivations(depth + 1) }
                (stacks.pointee.activations + depth).initialize(
                    to: NumericActivation(program: program, code: code, sites: sites, frameSize: frameSize, resume: pc, base: base, destination: Int(i.c), site: Int(i.a)))
                depth += 1
                program = callee
                code = calleeCode
                sites = calleeSites
                frameSize = calleeFrameSize
                base = calleeBase
                f = frame
                pc = 0
            case .returnSlot, .returnConstant:
                let value = i.op == .returnSlot ? f[Int(i.a)] : i.k
                if depth == 0 { return value }
                depth -= 1
                let caller = (stacks.pointee.activations + depth).move()
                program = caller.program
                code = caller.code
                sites = caller.sites
                frameSize = caller.frameSize
                base = caller.base
                pc = caller.resume
                f = stacks.pointee.numbers + base
                f[caller.destination] = value
            case .poll:
                do { try checkInterrupt(at: program._withUnsafeGuaranteedRef { $0.ranges[Int(i.a)] }) } catch { throw exit(raise(error)) }
            case .forStart:
                // `Evaluator.rangeBound`'s rule; a bound it refuses is the general path's error.
                guard let low = Convert.exactInt(f[Int(i.a)]), let high = Convert.exactInt(f[Int(i.b)]) else { throw exit(.bail) }
                // Whole numbers within ±2⁵³: exact as Doubles, and so is counting up to the end.
                f[Int(i.c)] = Double(low)
                f[Int(i.c) + 1] = Double(high)
            case .forNext:
                let counter = f[Int(i.c)]
                if counter < f[Int(i.c) + 1] { f[Int(i.a)] = counter } else { pc = Int(i.b) }
            case .forStep:
                f[Int(i.c)] += 1
                pc = Int(i.b)
            case .bail:
                throw exit(.bail)
            }
        }
    }

    /// Fills a call site's cache for the current function bindings, and notes the callee's
    /// numeric program (nil when it has none or it bailed before).
    @inline(never)
    private func refill(_ site: UnsafeMutablePointer<NumericCallSite>) {
        let target = site.pointee.target, arity = site.pointee.arity
        let cache = (UnsafeMutableRawPointer(site) + MemoryLayout<NumericCallSite>.offset(of: \.cache)!).assumingMemoryBound(to: CalleeCache.self)
        let function = cachedCallee(target, arity: arity, cache)
        site.pointee.program = function?._withUnsafeGuaranteedRef { f in f.isNumericEnabled ? f.numericBody.map(Unmanaged.passUnretained) : nil }
    }
}

import AttentionCore

/// Why a cell failed: one case per reason, carrying what its message needs.
///
/// Code decides by case (`is_complete` asks whether the reason is `.cellEndsEarly`),
/// never by the wording; `message` is the one place the student's text is written, and
/// the golden transcripts pin it.
enum Reason: Sendable, Equatable {
    // MARK: Reading the source (decoding, lexer and parser)
    case invalidUTF8(byte: UInt8, offset: Int)
    case unexpectedCharacter(String)
    case loneOperator(String)
    case doubleDot
    case unclosedString
    case unknownEscape(String)
    case exponentNeedsDigits(String)
    case numberRunsIntoName(String, next: String)
    case notANumber(String)
    case unexpectedToken(String)
    case unmatchedClosingBrace
    case expectedPunctuation(String, context: String, found: String)
    case expected(String, found: String)
    case expectedExpression(found: String)
    case expectedEndOfStatement(found: String)
    case expectedCommaOrBracket(found: String)
    case expectedIn(variable: String, found: String)
    case keywordAsExpression(String)
    case reservedWord(String)
    case notAssignable
    case assignmentInCondition(context: String)
    case unclosedBrace
    case unclosedBracket
    case unclosedParenthesis(openedAt: SourceLocation, found: String)
    /// The cell stops where more must come: `is_complete` answers "incomplete" for this
    /// reason alone.
    case cellEndsEarly
    case returnOutsideFunction
    case outsideLoop(keyword: String)
    case misplacedElse
    case duplicateParameter(String)
    case duplicateLabel(String)
    case positionalAfterLabelled
    case emptyIndex
    case tooManyIndices
    case nestedTooDeep(limit: Int)
    case chainTooLong(limit: Int)

    // MARK: Calls to builtins
    /// `value` is not what `builtin` takes for `parameter` (`expected` reads "a matrix", ...).
    case argumentType(builtin: String, parameter: String, expected: String, got: String)
    /// An item inside a list argument is not what the list should hold.
    case argumentItemType(builtin: String, parameter: String, expected: String, found: String)
    case argumentNotWhole(builtin: String, parameter: String, value: Double)
    case negativeSizeArgument(builtin: String, parameter: String, value: Int)
    case notPositive(builtin: String, parameter: String, value: Int)
    case sizeOverLimit(builtin: String, parameter: String, value: Double, limit: Int)
    case negativeSeed(Int)
    case argumentOutOfRange(builtin: String, parameter: String, range: String)
    case tokenIDNotWhole(Double)
    case badAxis(Int)
    case unknownLabel(builtin: String, label: String, suggestion: String?, allowed: [String], usage: String)
    case tooManyPositional(builtin: String, count: Int, labelled: [String], usage: String)
    case missingArgument(builtin: String, parameter: String, labelled: Bool, usage: String)
    /// A builtin's implementation read a parameter its signature does not declare: a bug in
    /// the kernel, reported instead of silently reading nil.
    case undeclaredParameter(builtin: String, parameter: String, signature: String)

    // MARK: Builtins' own rules
    case labelCount(builtin: String, matrixHas: Int, axis: String, given: Int)
    case titleCount(matrices: Int, titles: Int)
    case curveLabelCount(curves: Int, labels: Int)
    // MARK: Widgets
    /// A slider whose `min` is not below its `max`.
    case widgetRange(builtin: String, min: Double, max: Double)
    /// A dropdown's `value:` that is none of its options.
    case notAnOption(value: String, options: [String])
    case noOptions
    /// `interact(f, x: 3)`: every labelled argument must be a widget.
    case notAWidget(label: String, got: String)
    /// `interact`'s widget names and `f`'s parameters differ.
    case interactParameters(signature: String, missing: [String], extra: [String])
    case needsAMatrix(builtin: String)
    case needsMatrixList(builtin: String)
    case updateWithoutDisplayID
    case noSuchBuiltin(name: String, suggestion: String?)
    case emptyReduction(builtin: String, shape: String)
    case nonPositiveTemperature(Double)
    case negativeTolerance(Double)
    case expectShapeArity(Int)
    case comparesNumbers(builtin: String, parameter: String, found: String)
    case missingField(builtin: String, parameter: String, field: String)
    case fieldNotMatrix(builtin: String, parameter: String, field: String, got: String)
    case fieldNotWhole(builtin: String, parameter: String, field: String)
    case blocksNotList(builtin: String, parameter: String)
    case notABlock(builtin: String, parameter: String, got: String)
    case notAModel(builtin: String, parameter: String, got: String)
    case paramCountType(got: String)
    case lenType(got: String)
    case badNorm(String)
    case inputUnavailable
    case tooManyParametersToCount
    case dModelTooLarge(Int)
    case tooManyAttentionWeights
    case joinedMatrixTooLarge

    // MARK: Grading
    case assertion(String)
    case shapeExpectation(expected: String, got: String)
    case expectedShape(rows: Int, cols: Int, got: String)
    /// `row`/`col` are nil when both sides are single numbers.
    case valuesDiffer(difference: Double, row: Int?, col: Int?, got: Double, expected: Double, tolerance: Double)

    // MARK: Limits
    case negativeMatrixSize(rows: Int, cols: Int)
    case matrixTooLarge(rows: Int, cols: Int, limit: Int)
    case tooMany(count: Int, what: String, limit: Int)
    case tooMuchWork(what: String, work: Double, limit: Double)
    case listTooDeep(limit: Int)
    case listTooLarge(limit: Int)
    case stringTooLong(bytes: Int, limit: Int)

    // MARK: The library
    /// An error AttentionCore reported, worded by the core.
    case core(CoreError)

    // MARK: Running
    case interrupted
    case noEvaluationStack(reason: String)
    case expectedOneExpression
    /// `suggestion`: a close name in scope; else, at the top level, a hint to run the defining cell.
    case notDefined(name: String, suggestion: String?, atTopLevel: Bool)
    case conditionNotBool(keyword: String, got: String)
    case loopOverNumber(variable: String)
    case notIterable(got: String)
    case computationTooDeep
    case callsTooDeep(limit: Int, function: String)
    case notCallable(what: String, got: String)
    case noSuchParameter(signature: String, label: String)
    case argumentGivenTwice(signature: String, label: String)
    case wrongArgumentCount(signature: String, expected: Int, got: Int)
    case missingParameter(signature: String, parameter: String)

    // MARK: Operators
    case logicNeedsBool(op: String, side: String, got: String)
    case cannotNegate(got: String)
    case notNeedsBool(got: String)
    case matmulOfNumbers
    case matmulWithNumber(side: String)
    case operandTypes(op: String, left: String, right: String)
    case broadcastMismatch(verb: String, left: String, right: String, rows: Int, cols: Int)
    /// `suggestion` is the right operand as it probably should have been written (`B.T`).
    case matmulShape(left: String, right: String, leftCols: Int, rightRows: Int, suggestion: String?)
    case comparisonTypes(op: String, left: String, right: String, leftIsMatrix: Bool)
    case appendTarget(got: String)
    case listPlusItem(got: String)
    case appendToRow(got: String)
    case matrixNumberEquality(op: String, shape: String, use: String)
    case rangeTooLong(from: Int, to: Int)
    case rangeBoundType(got: String)
    case rangeBoundNotWhole(Double)

    // MARK: Differentiation
    /// A builtin without a gradient rule got a matrix that `grad` follows.
    case notDifferentiable(builtin: String)
    /// `grad`'s function returned something other than a number or a 1×1 matrix.
    case gradNeedsNumber(got: String)
    case gradInsideGrad
    case gradNeedsFunction(got: String)
    case notDifferentiableParameter(path: String, got: String)
    /// Arithmetic between records whose fields do not match.
    case recordFieldsDiffer(op: String, missing: String)

    // MARK: Indexing, fields, literals and element assignment
    case indexListItemType(found: String)
    case indexType(got: String)
    case sliceBoundType(got: String)
    case sliceBoundNotWhole(Double)
    case indexNotWhole(Double)
    case indexOutOfRange(index: Double, count: Int, axis: String)
    case listTakesOneIndex
    case stringTakesOneIndex
    case notIndexable(got: String)
    case noMatrixField(name: String, suggestion: String?, method: String? = nil)
    case pythonName(name: String, hint: String)
    case pythonWord(word: String, hint: String)
    case noRecordField(name: String, suggestion: String?, fields: [String])
    case noWidgetField(name: String, widget: String, fields: [String])
    case noField(name: String, got: String, isList: Bool, method: String? = nil)
    case raggedRows(row: Int, count: Int, expected: Int)
    case severalRowsNotNumbers
    case assignShapeMismatch(value: String, rows: Int, cols: Int, name: String)
    case matrixElementType(got: String)
    case listAssignOneItem
    case notElementAssignable(name: String, kind: String)

    // MARK: Records, models, data and files
    case fieldNotBool(builtin: String, parameter: String, field: String, got: String)
    case blockMLPMismatch(builtin: String, parameter: String, layer: Int, mlp: Bool)
    case unknownTask(name: String, suggestion: String?)
    case badTokenLevel(String)
    case notSavable(path: String, got: String)
    case badFilePath(path: String, problem: FilePathProblem)
    case fileNotFound(path: String)
    case fileSystem(path: String, action: String, error: String)
    case badSafetensors(path: String, problem: SafetensorsProblem)

    /// The kind students see before the colon.
    var kind: DiagnosticKind {
        switch self {
        case .invalidUTF8, .unexpectedCharacter, .loneOperator, .doubleDot, .unclosedString, .unknownEscape, .exponentNeedsDigits,
            .numberRunsIntoName, .notANumber, .unexpectedToken, .unmatchedClosingBrace, .expectedPunctuation, .expected,
            .expectedExpression, .expectedEndOfStatement, .expectedCommaOrBracket, .expectedIn, .keywordAsExpression,
            .reservedWord, .notAssignable, .assignmentInCondition, .unclosedBrace, .unclosedBracket, .unclosedParenthesis,
            .cellEndsEarly, .returnOutsideFunction, .outsideLoop, .misplacedElse, .duplicateParameter, .duplicateLabel,
            .positionalAfterLabelled, .emptyIndex, .expectedOneExpression, .pythonWord:
            .syntaxError
        case .tooManyIndices, .sliceBoundNotWhole, .indexNotWhole, .indexOutOfRange, .listTakesOneIndex, .stringTakesOneIndex,
            .listAssignOneItem:
            .indexError
        case .conditionNotBool, .loopOverNumber, .notIterable, .notCallable, .noSuchParameter, .argumentGivenTwice,
            .wrongArgumentCount, .missingParameter, .logicNeedsBool, .cannotNegate, .notNeedsBool, .matmulOfNumbers,
            .matmulWithNumber, .operandTypes, .comparisonTypes, .appendTarget, .appendToRow, .listPlusItem, .matrixNumberEquality, .rangeBoundType, .indexListItemType, .indexType, .sliceBoundType,
            .notIndexable, .noField, .severalRowsNotNumbers, .matrixElementType, .notElementAssignable:
            .typeError
        case .broadcastMismatch, .matmulShape, .raggedRows, .assignShapeMismatch:
            .shapeError
        case .rangeBoundNotWhole:
            .valueError
        case .notDefined, .noMatrixField, .noRecordField, .noWidgetField, .pythonName:
            .nameError
        case .noEvaluationStack, .computationTooDeep, .callsTooDeep, .rangeTooLong:
            .limitError
        case .nestedTooDeep, .chainTooLong:
            .limitError
        case .argumentType, .argumentItemType, .unknownLabel, .tooManyPositional, .missingArgument, .comparesNumbers,
            .missingField, .fieldNotMatrix, .fieldNotWhole, .blocksNotList, .notABlock, .notAModel, .paramCountType, .lenType:
            .typeError
        case .argumentNotWhole, .argumentOutOfRange, .negativeSizeArgument, .notPositive, .negativeSeed, .tokenIDNotWhole, .badAxis, .labelCount,
            .titleCount, .curveLabelCount, .widgetRange, .notAnOption, .noOptions, .needsAMatrix, .needsMatrixList, .updateWithoutDisplayID, .emptyReduction, .nonPositiveTemperature,
            .negativeTolerance, .expectShapeArity, .badNorm, .inputUnavailable, .negativeMatrixSize:
            .valueError
        case .sizeOverLimit, .tooManyParametersToCount, .dModelTooLarge, .tooManyAttentionWeights, .joinedMatrixTooLarge,
            .matrixTooLarge, .tooMany, .tooMuchWork, .listTooDeep, .listTooLarge, .stringTooLong:
            .limitError
        case .noSuchBuiltin:
            .nameError
        case .undeclaredParameter:
            .internalError
        case .assertion, .shapeExpectation, .expectedShape, .valuesDiffer:
            .assertionError
        case .core(let error):
            switch error {
            case .shapeMismatch: .shapeError
            case .invalidArgument: .valueError
            case .tooLarge: .limitError
            }
        case .interrupted:
            .interrupted
        case .notDifferentiable, .gradNeedsNumber, .gradNeedsFunction, .notDifferentiableParameter, .recordFieldsDiffer:
            .typeError
        case .gradInsideGrad:
            .valueError
        case .fieldNotBool, .notSavable, .notAWidget, .interactParameters:
            .typeError
        case .blockMLPMismatch, .unknownTask, .badTokenLevel, .badFilePath, .fileNotFound, .fileSystem, .badSafetensors:
            .valueError
        }
    }

    /// The student's text: one or two sentences, without the kind.
    var message: String {
        let f = Renderer.formatNumber
        return switch self {
        case .invalidUTF8(let byte, let offset): "the file is not valid UTF-8: byte 0x\(Self.twoHexDigits(byte)) at byte offset \(offset) cannot start or continue a character; save the file as UTF-8"
        case .unexpectedCharacter(let c): "unexpected character '\(c)'"
        case .notDifferentiable(let builtin):
            "\(builtin) is not differentiable: grad cannot follow a matrix through it (help(\"differentiable\") lists the builtins that are)"
        case .gradNeedsNumber(let got):
            "grad needs a function whose value is a number (or a 1×1 matrix), and this one gave a \(got); reduce it first, e.g. with sum(...) or mean(...)"
        case .gradInsideGrad: "grad cannot run inside another grad's function"
        case .gradNeedsFunction(let got): "grad needs a function as its first argument, got a \(got)"
        case .notDifferentiableParameter(let path, let got):
            "grad differentiates with respect to matrices (in a list or record), but \(path) is a \(got)"
        case .recordFieldsDiffer(let op, let missing):
            "cannot use \(op) with two records of different fields: \(missing)"
        case .loneOperator(let c): "'\(c)' alone is not an operator: use '\(c)\(c)'"
        case .doubleDot: "'..' is not an operator: ranges are written 0..<n"
        case .unclosedString: "this string is not closed: add a \" before the end of the line"
        case .unknownEscape(let c): "unknown escape '\\\(c)' in a string: use \\\", \\\\, \\n or \\t"
        case .exponentNeedsDigits(let text): "the exponent of '\(text)e' needs digits, as in 1e-5"
        case .numberRunsIntoName(let text, let next): "a number cannot run into a name: put an operator or a space between '\(text)' and '\(next)'"
        case .notANumber(let text): "'\(text)' is not a number"
        case .unexpectedToken(let token): "unexpected \(token)"
        case .unmatchedClosingBrace: "this '}' has no matching '{'"
        case .expectedPunctuation(let p, let context, let found): "expected '\(p)' \(context), found \(found)"
        case .expected(let what, let found): "expected \(what), found \(found)"
        case .expectedExpression(let found): "expected an expression, found \(found)"
        case .expectedEndOfStatement(let found): "expected the end of the statement (a new line or ';'), found \(found)"
        case .expectedCommaOrBracket(let found): "expected ',' or ']' in the brackets, found \(found)"
        case .expectedIn(let variable, let found): "expected 'in' after 'for \(variable)', found \(found)"
        case .keywordAsExpression(let k): "expected an expression, found the keyword '\(k)'"
        case .reservedWord(let k): "'\(k)' is a reserved word and cannot be used as a name"
        case .notAssignable: "only a name or an element like A[i, j] can be assigned to"
        case .assignmentInCondition(let context): "expected '{' \(context), found '='; to compare, use =="
        case .unclosedBrace: "this '{' is never closed: add a '}'"
        case .unclosedBracket: "this '[' is never closed: add a ']'"
        case .unclosedParenthesis(let openedAt, let found): "expected ')' to close the '(' at \(openedAt), found \(found)"
        case .cellEndsEarly: "the cell ends in the middle of an expression"
        case .returnOutsideFunction: "'return' can only be used inside a function"
        case .outsideLoop(let keyword): "'\(keyword)' can only be used inside a loop"
        case .misplacedElse: "'else' must follow the '}' of an 'if' on the same line"
        case .duplicateParameter(let name): "the parameter '\(name)' appears twice"
        case .duplicateLabel(let label): "the argument '\(label):' is given twice"
        case .positionalAfterLabelled: "positional arguments must come before labelled ones like 'seed: 1'"
        case .emptyIndex: "an index needs a value, as in A[0]"
        case .tooManyIndices: "a matrix has two dimensions: use at most two indices, as in A[i, j]"
        case .nestedTooDeep(let limit): "this code is nested more than \(limit) levels deep; split it into smaller steps (or raise ATTN_MAX_NESTING)"
        case .chainTooLong(let limit): "this expression chains more than \(limit) calls, indices or fields; split it into smaller steps (or raise ATTN_MAX_NESTING)"
        case .argumentType(let b, let p, let expected, let got): "\(b) expects \(expected) for '\(p)', got a \(got)"
        case .argumentItemType(let b, let p, let expected, let found): "\(b) expects \(expected) for '\(p)', found a \(found)"
        case .argumentNotWhole(let b, let p, let v): "\(b) expects a whole number for '\(p)', got \(f(v))"
        case .negativeSizeArgument(let b, let p, let v): "\(b) expects a size ≥ 0 for '\(p)', got \(v)"
        case .notPositive(let b, let p, let v): "\(b) expects \(p) ≥ 1, got \(v)"
        case .sizeOverLimit(let b, let p, let v, let limit): "\(b): \(p) = \(f(v)) is more than the \(limit) elements allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .argumentOutOfRange(let b, let p, let range): "\(b) expects '\(p)' in \(range)"
        case .negativeSeed(let v): "a seed must be a whole number ≥ 0, got \(v)"
        case .tokenIDNotWhole(let v): "token ids must be whole numbers, got \(f(v))"
        case .badAxis(let v): "axis must be 0 (down the columns) or 1 (along the rows), or -1 for the last, got \(v)"
        case .unknownLabel(let b, let label, let suggestion, let allowed, let usage): "\(b) has no argument '\(label):'"
            + (suggestion.map { "; did you mean \($0):?" } ?? "")
            + (allowed.isEmpty ? " It takes no labelled arguments." : " Its labelled arguments are \(Self.labels(allowed)).") + " Usage: \(usage)"
        case .tooManyPositional(let b, let count, let labelled, let usage): "\(b) takes \(count) positional argument\(count == 1 ? "" : "s")"
            + (labelled.isEmpty ? "" : "; pass the others by label (\(Self.labels(labelled)))") + ". Usage: \(usage)"
        case .missingArgument(let b, let p, let labelled, let usage): "\(b) needs the argument \(labelled ? "\(p):" : "'\(p)'"). Usage: \(usage)"
        case .undeclaredParameter(let b, let p, let signature): "the builtin \(b) read an argument '\(p)' that its signature \(signature) does not declare; this is a bug in the kernel, please report it"
        case .labelCount(let b, let has, let axis, let given): "\(b): W has \(has) \(axis == "row" ? "rows" : "columns") but \(given) \(axis) labels were given"
        case .titleCount(let matrices, let titles): "heads: \(matrices) matrices but \(titles) titles"
        case .curveLabelCount(let curves, let labels): "plot: \(curves) curve\(curves == 1 ? "" : "s") but \(labels) label\(labels == 1 ? "" : "s") (one label per curve)"
        case .widgetRange(let b, let lo, let hi): "\(b): min (\(f(lo))) must be below max (\(f(hi)))"
        case .notAnOption(let v, let options): "dropdown: the value \(v) is not one of the options (\(options.joined(separator: ", ")))"
        case .noOptions: "dropdown needs at least one option"
        case .notAWidget(let label, let got): "interact: '\(label):' must be a widget (slider, int_slider, dropdown, text or checkbox), got a \(got)"
        case .interactParameters(let signature, let missing, let extra):
            "interact: the widgets must be named as the parameters of \(signature)"
                + (missing.isEmpty ? "" : "; no widget for \(missing.joined(separator: ", "))")
                + (extra.isEmpty ? "" : "; no parameter for \(extra.map { $0 + ":" }.joined(separator: ", "))")
        case .needsAMatrix(let b): "\(b) needs at least one matrix"
        case .needsMatrixList(let b): "\(b) needs a non-empty list of matrices"
        case .updateWithoutDisplayID: "update: true needs a display_id: to say which display to replace"
        case .noSuchBuiltin(let name, let suggestion): "there is no builtin called '\(name)'" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .emptyReduction(let b, let shape): "\(b) of an empty \(shape) matrix has no value"
        case .nonPositiveTemperature(let t): "temperature must be positive, got \(f(t))"
        case .negativeTolerance(let t): "tol must be ≥ 0, got \(f(t))"
        case .expectShapeArity(let count): "expect_shape needs the shape as [rows, cols], got \(count) numbers"
        case .comparesNumbers(let b, let p, let found): "\(b) compares numbers and matrices; '\(p)' holds a \(found)"
        case .missingField(let b, let p, let field): "\(b) expects '\(p)' to be a record with the field '\(field)'"
        case .fieldNotMatrix(let b, let p, let field, let got): "\(b): the field '\(field)' of '\(p)' must be a matrix, got a \(got)"
        case .fieldNotWhole(let b, let p, let field): "\(b): the field '\(field)' of '\(p)' must be a whole number"
        case .blocksNotList(let b, let p): "\(b): the field 'blocks' of '\(p)' must be a list of blocks"
        case .notABlock(let b, let p, let got): "\(b) expects the block weights from init_block for '\(p)', got a \(got)"
        case .notAModel(let b, let p, let got): "\(b) expects a model from gpt(...) for '\(p)', got a \(got)"
        case .paramCountType(let got): "param_count expects a model, a block, a matrix or a list of them, got a \(got)"
        case .lenType(let got): "len expects a list, a string, a matrix or a record, got a \(got)"
        case .badNorm(let text): "norm must be \"pre\" or \"post\", got \"\(text)\""
        case .inputUnavailable: "input() cannot read here: this front end does not accept typed input (stdin is not allowed)"
        case .tooManyParametersToCount: "this model would have too many parameters to count"
        case .dModelTooLarge(let d): "d_model = \(d) is too large"
        case .tooManyAttentionWeights: "too many attention weights"
        case .joinedMatrixTooLarge: "the joined matrix would be too large"
        case .assertion(let message): message
        case .shapeExpectation(let expected, let got): "expected a \(expected) matrix, got a \(got) matrix"
        case .expectedShape(let rows, let cols, let got): "expected shape \(rows)×\(cols), got \(got)"
        case .valuesDiffer(let difference, let row, let col, let got, let expected, let tolerance): "the values differ by \(f(difference))\(row.flatMap { r in col.map { " at [\(r), \($0)]" } } ?? "") (got \(f(got)), expected \(f(expected))), more than tol \(f(tolerance)) allows"
        case .negativeMatrixSize(let rows, let cols): "a matrix cannot have a negative size (\(rows)×\(cols))"
        case .matrixTooLarge(let rows, let cols, let limit): "a \(rows)×\(cols) matrix would have more than the \(limit) elements allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .tooMany(let count, let what, let limit): "\(count) \(what) are more than the \(limit) allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .tooMuchWork(let what, let work, let limit): "\(what) needs about \(f(work.rounded())) multiply-adds, more than the \(f(limit)) allowed in one step (raise ATTN_MAX_WORK to allow more)"
        case .listTooDeep(let limit): "lists nested more than \(limit) levels deep are not allowed (raise ATTN_MAX_NESTING to allow more)"
        case .listTooLarge(let limit): "this list would hold more than the \(limit) values allowed, counting the items of the lists inside it (raise ATTN_MAX_ELEMENTS to allow more)"
        case .stringTooLong(let bytes, let limit): "this string would be \(bytes) bytes long, more than the \(limit) allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .core(let error): error.message
        case .interrupted: "the cell was interrupted; bindings made before this point are kept"
        case .noEvaluationStack(let reason): "\(reason); nothing in this cell ran and every binding is kept (free memory or raise the limit, then run it again)"
        case .expectedOneExpression: "expected one expression here, not statements (nothing may be bound)"
        case .notDefined(let name, let suggestion, let atTopLevel): "'\(name)' is not defined" + (suggestion.map { "; did you mean \($0)?" } ?? (atTopLevel ? "; run the cell that defines it first" : ""))
        case .conditionNotBool(let keyword, let got): "the condition of '\(keyword)' must be true or false, got a \(got)"
        case .loopOverNumber(let variable): "cannot loop over a number; to count, write for \(variable) in 0..<n"
        case .notIterable(let got): "cannot loop over a \(got); loop over a list, a matrix (its rows) or a range 0..<n"
        case .computationTooDeep: "this computation nests too deeply (calls inside calls inside calls); simplify it or lower the recursion"
        case .callsTooDeep(let limit, let function): "more than \(limit) nested function calls; does \(function) call itself without ever stopping? (raise ATTN_MAX_DEPTH to allow more)"
        case .notCallable(let what, let got): "\(what) is a \(got), not a function, so it cannot be called"
        case .noSuchParameter(let signature, let label): "\(signature) has no parameter '\(label)'"
        case .argumentGivenTwice(let signature, let label): "the argument '\(label)' of \(signature) is given twice"
        case .wrongArgumentCount(let signature, let expected, let got): "\(signature) takes \(expected) argument\(expected == 1 ? "" : "s"), got \(got)"
        case .missingParameter(let signature, let parameter): "\(signature) is missing the argument '\(parameter)'"
        case .logicNeedsBool(let op, let side, let got): "\(op) needs true or false on both sides; the \(side) side is a \(got)"
        case .cannotNegate(let got): "cannot negate a \(got); '-' works on numbers and matrices"
        case .notNeedsBool(let got): "'!' needs true or false, got a \(got)"
        case .matmulOfNumbers: "@ is the matrix product and needs two matrices; to multiply numbers use *"
        case .matmulWithNumber(let side): "@ needs two matrices, but the \(side) side is a number; to scale a matrix use *"
        case .operandTypes(let op, let left, let right): "cannot use \(op) with a \(left) and a \(right)"
        case .broadcastMismatch(let verb, let left, let right, let rows, let cols): "cannot \(verb) a \(left) matrix and a \(right) matrix: shapes must match, or one must be a number, a 1×\(cols) row or a \(rows)×1 column"
        case .matmulShape(let left, let right, let leftCols, let rightRows, let suggestion): "cannot multiply a \(left) matrix by a \(right) matrix with @: the left has \(leftCols) column\(leftCols == 1 ? "" : "s") but the right has \(rightRows) row\(rightRows == 1 ? "" : "s")" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .matrixNumberEquality(let op, let shape, let use): "\(op) compares whole values, so a matrix \(shape) and a number are never equal (this is always \(op == "==" ? "false" : "true")); for NumPy's element-wise \(op) (1 where it holds, 0 elsewhere) use \(use)"
        case .listPlusItem(let got): "+ joins two lists, and this is a list and a \(got) (a bracket of numbers such as [3] is a matrix); to add an item at the end write xs = append(xs, v)"
        case .appendTarget(let got): "append adds to a list or a 1×n row, not a \(got); to collect values start from xs = [], and join matrices with vcat or hcat"
        case .appendToRow(let got): "a 1×n row holds numbers, so append cannot add a \(got) to it; to collect matrices or strings start from a list: xs = []"
        case .comparisonTypes(let op, let left, let right, let leftIsMatrix): "\(op) compares two numbers (or two strings), not a \(left) and a \(right)" + (leftIsMatrix ? "; a matrix compares element by element with a number or a matrix" : "")
        case .rangeTooLong(let from, let to): "the range \(from)..<\(to) is too long"
        case .rangeBoundType(let got): "..< needs whole numbers on both sides, got a \(got)"
        case .rangeBoundNotWhole(let d): "..< needs whole numbers on both sides, got \(f(d))"
        case .indexListItemType(let found): "a list used as an index must hold whole numbers, found a \(found)"
        case .indexType(let got): "an index must be a whole number, a slice like 0:2, or a list of numbers; got a \(got)"
        case .sliceBoundType(let got): "a slice bound must be a whole number, got a \(got)"
        case .sliceBoundNotWhole(let d): "a slice bound must be a whole number, got \(f(d))"
        case .indexNotWhole(let d): "an index must be a whole number, got \(f(d))"
        case .indexOutOfRange(let index, let count, let axis): "index \(f(index)) is out of range for \(count) \(count == 1 ? axis : axis + "s") (\(count == 0 ? "there are none" : "use 0 to \(count - 1), or -\(count) to -1"))"
        case .listTakesOneIndex: "a list takes one index; for an item of an item write xs[i][j]"
        case .stringTakesOneIndex: "a string takes one index"
        case .notIndexable(let got): "a \(got) cannot be indexed; indexing works on matrices, lists and strings"
        case .noMatrixField(let name, let suggestion, let method): "a matrix has no field '\(name)'; its fields are .T, .shape, .rows and .cols" + (method.map { ". \($0)" } ?? suggestion.map { " (did you mean .\($0)?)" } ?? "")
        case .pythonName(let name, let hint): "'\(name)' is not defined; \(hint)"
        case .pythonWord(let word, let hint): "'\(word)' is Python; \(hint)"
        case .noWidgetField(let name, let widget, let fields): "a \(widget) has no field '\(name)'. Its fields are: \(fields.joined(separator: ", "))"
        case .noRecordField(let name, let suggestion, let fields): "this record has no field '\(name)'" + (suggestion.map { "; did you mean .\($0)?" } ?? "") + " Its fields are: \(fields.joined(separator: ", "))"
        case .noField(let name, let got, let isList, let method): "a \(got) has no field '\(name)'" + (method.map { "; \($0)" } ?? (isList ? "; for its length use len(...)" : ""))
        case .raggedRows(let row, let count, let expected): "row \(row) of this matrix has \(count) value\(count == 1 ? "" : "s") but row 0 has \(expected); every row needs the same length"
        case .severalRowsNotNumbers: "a matrix literal with several rows (';' or line breaks) holds numbers only; for a list, separate the items with commas"
        case .assignShapeMismatch(let value, let rows, let cols, let name): "cannot assign a \(value) matrix to a \(rows)×\(cols) part of \(name)"
        case .matrixElementType(let got): "only numbers and matrices can be stored in a matrix, got a \(got)"
        case .listAssignOneItem: "assign to one item of a list at a time, as in xs[0] = v"
        case .notElementAssignable(let name, let kind): "\(name) is a \(kind); only matrices and lists have elements to assign"
        case .fieldNotBool(let b, let p, let field, let got): "\(b): the field '\(field)' of '\(p)' must be true or false, got a \(got)"
        case .blockMLPMismatch(let b, let p, let layer, let mlp): "\(b): '\(p)' says mlp: \(mlp) but block \(layer) " + (mlp ? "has no FFN (W1 b1 W2 b2 ln2_gamma ln2_beta)" : "has FFN fields; an attention-only model's blocks have none")
        case .unknownTask(let name, let suggestion): "there is no task called \"\(name)\"" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? "") + " The tasks are: \(SequenceTask.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
        case .badTokenLevel(let text): "level must be \"char\" or \"word\", got \"\(text)\""
        case .notSavable(let path, let got): "save writes matrices, numbers, bools and strings inside lists and records; \(path.isEmpty ? "the value" : "'\(path)'") is a \(got)"
        case .badFilePath(let path, let problem): "cannot use the path \"\(path)\": \(problem.message)"
        case .fileNotFound(let path): "there is no file \"\(path)\" in the notebook's folder"
        case .fileSystem(let path, let action, let error): "cannot \(action) \"\(path)\": \(error)"
        case .badSafetensors(let path, let problem): "\"\(path)\" is not a safetensors file this kernel can read: \(problem.message)"
        }
    }

    /// `axis:, temperature:`: labels as a signature writes them.
    private static func labels(_ names: [String]) -> String { names.map { "\($0):" }.joined(separator: ", ") }

    private static func twoHexDigits(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return hex.count == 1 ? "0" + hex : hex
    }
}

import AttentionCore

extension BuiltinTable {
    /// Records made by hand, tokenisation, synthetic tasks, the toy language, and files.
    static let data: [Builtin] = [
        Builtin("record", .data, "record(name: value, ...)",
            "A new record with the given fields, in the order written: record(Wq: Wq, Wk: Wk).Wq is Wq. Records are immutable; with(...) makes changed copies.",
            example: "p = record(Wq: eye(2), Wk: ones(2, 2), heads: 1)\np.Wk") { a throws(LangError) in
            try DataBuiltins.settingExtraFields(of: a, in: Record())
        }.passingFollowed(),
        Builtin("with", .data, "with(r, name: value, ...)",
            "A copy of the record r with the named fields replaced (they keep their place) or added (at the end). r itself is unchanged.",
            example: "b = init_block(d_model: 4, heads: 2, seed: 0)\nb2 = with(b, bq: ones(1, 4), ln1_gamma: 2 * ones(1, 4))") { a throws(LangError) in
            let r = try a.record("r")
            return try DataBuiltins.settingExtraFields(of: a, in: r)
        }.passingFollowed(),
        Builtin("vocab", .data, "vocab(text, level: \"char\")",
            "The sorted unique tokens of text, as a list of strings: characters (level: \"char\") or words (level: \"word\": split at spaces, tabs and line breaks). A token's id is its index in the list.",
            example: "v = vocab(\"hello world\")  // [\" \", \"d\", \"e\", \"h\", \"l\", \"o\", \"r\", \"w\"]", numpy: "sorted(set(text))") { a throws(LangError) in
            let text = try a.string("text")
            let level = try DataBuiltins.level(a, default: .char)
            return .list(Vocabulary(text: text, level: level).tokens.map(Value.string))
        },
        Builtin("encode", .data, "encode(text, v, level: nil)",
            "The ids of text's tokens in the vocabulary v (a list of strings from vocab). level: \"char\" or \"word\"; nil reads it from v (word when some token is longer than one character). A token not in v is a ValueError naming it.",
            example: "v = vocab(\"hello\")\nencode(\"hole\", v)  // [1, 3, 2, 0]", numpy: "[stoi[c] for c in text]") { a throws(LangError) in
            let text = try a.string("text")
            let (vocabulary, level) = try DataBuiltins.vocabularyAndLevel(a)
            let ids = try a.core { () throws(CoreError) -> [Int] in try vocabulary.encode(text, level: level) }
            return .list(ids.map { .number(Double($0)) })
        },
        Builtin("decode", .data, "decode(ids, v, level: nil)",
            "The text of token ids (a list or a 1×n matrix) in the vocabulary v: characters joined with nothing, words with one space. level as for encode.",
            example: "v = vocab(\"hello\")\ndecode([1, 3, 2, 0], v)  // \"hole\"", numpy: "\"\".join(itos[i] for i in ids)") { a throws(LangError) in
            let ids = try a.ids("ids")
            let (vocabulary, level) = try DataBuiltins.vocabularyAndLevel(a)
            let text = try a.core { () throws(CoreError) -> String in try vocabulary.decode(ids, level: level) }
            try a.evaluator.checkStringLength(text.utf8.count, at: a.range)
            return .string(text)
        },
        Builtin("task", .data, "task(name, n:, length:, vocab:, seed: 0)",
            "n seeded sequences (lists of ids) of a synthetic task, with vocab tokens and length input tokens. \"induction\": length tokens from 0..<vocab, then the same again (2·length ids). The others use the token vocab−1 as the separator '=' and draw from 0..<vocab−1: \"copy\" x = x (2·length+1 ids), \"reverse\" x = reversed x, \"sort\" x = sorted x (ascending), \"modadd\" a₁ … a_length = (a₁+…+a_length) mod (vocab−1) (length+2 ids). \"periodic\": p distinct tokens repeated to length ids, the period p drawn per sequence from 2…min(vocab, length/2): induction that only content can solve. \"recall\": length key-value pairs k v (distinct keys from the lower half of the vocabulary, values from the upper), then the same pairs in a shuffled order (4·length ids; vocab ≥ 2·length): each repeated value follows its key's earlier occurrence wherever it is. Each token is ⌊u·k⌋ for the next uniform u of the seeded generator (k choices).",
            example: "task(\"induction\", n: 2, length: 3, vocab: 5, seed: 0)\ntask(\"modadd\", n: 1, length: 2, vocab: 8)  // a b = (a+b) mod 7") { a throws(LangError) in
            let name = try a.string("name")
            guard let kind = SequenceTask(rawValue: name) else {
                throw LangError(.unknownTask(name: name, suggestion: Suggestions.closest(to: name, among: SequenceTask.allCases.map(\.rawValue))),
                                at: try a.range(of: "name"))
            }
            let n = try a.size("n"), length = try a.size("length"), vocab = try a.size("vocab")
            let seed = try a.seed()
            let (total, overflow) = n.multipliedReportingOverflow(by: kind.sequenceLength(min(length, Int.max / 4)))
            try a.evaluator.checkCount(overflow ? Int.max : total, at: a.range, what: "token ids")
            let sequences = try a.core { () throws(CoreError) -> [[Int]] in try kind.sequences(n: n, length: length, vocab: vocab, seed: seed) }
            return .list(sequences.map { .list($0.map { .number(Double($0)) }) })
        },
        Builtin("toy_language", .data, "toy_language(n:, seed: 0)",
            "n sentences of a small generated language whose pronouns have known referents. Returns a record: text (the sentences joined by spaces; words and \".\" are separated by spaces), sentences (list of strings), referents (per sentence [pronoun position, referent position], word positions within the sentence), positions (the same pairs as word positions in text), kinds (\"agreement\": he/she/it names one of two nouns of different kinds, known at the pronoun; \"meaning\": both nouns are \"it\" and the word after \"was\" decides, as in the cat sat on the mat because it was soft).",
            example: "t = toy_language(n: 3, seed: 0)\nt.sentences[0]\nt.referents[0]") { a throws(LangError) in
            let n = try a.size("n")
            let seed = try a.seed()
            try a.evaluator.checkCount(n.multipliedReportingOverflow(by: 16).overflow ? Int.max : n * 16, at: a.range, what: "words")
            let sentences = try a.core { () throws(CoreError) -> [ToyLanguage.Sentence] in try ToyLanguage.sentences(n: n, seed: seed) }
            var offset = 0
            var positions: [Value] = []
            for sentence in sentences {
                positions.append(.list([.number(Double(offset + sentence.pronoun)), .number(Double(offset + sentence.referent))]))
                offset += sentence.words.count
            }
            let texts = sentences.map { $0.words.joined(separator: " ") }
            return .record(Record([
                ("text", .string(texts.joined(separator: " "))),
                ("sentences", .list(texts.map(Value.string))),
                ("referents", .list(sentences.map { .list([.number(Double($0.pronoun)), .number(Double($0.referent))]) })),
                ("positions", .list(positions)),
                ("kinds", .list(sentences.map { .string($0.kind.rawValue) })),
            ]))
        },
        Builtin("save", .data, "save(value, path)",
            "Writes a matrix, or lists and records of matrices (a model from gpt, a block, your own record), to path in the safetensors format: float64 (F64) tensors named by field path (wte, blocks.0.Wq; a lone matrix is 'matrix'), and the value's numbers, bools, strings and shape in __metadata__ so load gives the same value back. path is relative to the notebook's folder, ends in .safetensors and stays inside the folder. Python reads it with safetensors.numpy.load_file(path).",
            example: "save(m, \"model.safetensors\")", numpy: "safetensors.numpy.save_file({name: array}, path)") { a throws(LangError) in
            let value = try a.value("value")
            let path = try a.string("path")
            let files = try NotebookFiles(folder: a.evaluator.host.fileFolder)
            let target: String
            do throws(FilePathProblem) { target = try files.resolve(path, forWriting: true) } catch { throw LangError(.badFilePath(path: path, problem: error), at: try a.range(of: "path")) }
            let flat: (tensors: [(name: String, matrix: Matrix)], metadata: [(String, String)])
            do throws(SavedValues.Failure) { flat = try SavedValues.flatten(value) } catch {
                switch error {
                case .notSavable(let at, let got): throw LangError(.notSavable(path: at, got: got), at: try a.range(of: "value"))
                case .problem(let p): throw LangError(.badSafetensors(path: path, problem: p), at: try a.range(of: "value"))
                }
            }
            let bytes = Safetensors.encode(tensors: flat.tensors, metadata: flat.metadata)
            do throws(NotebookFileError) { try NotebookFiles.write(bytes, to: target) } catch {
                throw LangError(.fileSystem(path: path, action: "write", error: DataBuiltins.describe(error)), at: try a.range(of: "path"))
            }
            return .nil
        },
        Builtin("load", .data, "load(path)",
            "Reads a safetensors file from the notebook's folder: a file save wrote gives back the saved value (a model loads as a model record that forward accepts); a file from elsewhere (F64 tensors only) gives records nested by the dots of the tensor names (lists where the names are 0, 1, ...), 1-D tensors as 1×n rows. A missing, truncated or damaged file is a ValueError that says what is wrong.",
            example: "m2 = load(\"model.safetensors\")", numpy: "safetensors.numpy.load_file(path)") { a throws(LangError) in
            let path = try a.string("path")
            let files = try NotebookFiles(folder: a.evaluator.host.fileFolder)
            let target: String
            do throws(FilePathProblem) { target = try files.resolve(path, forWriting: false) } catch {
                if error == .notAFile { throw LangError(.fileNotFound(path: path), at: try a.range(of: "path")) }
                throw LangError(.badFilePath(path: path, problem: error), at: try a.range(of: "path"))
            }
            let maxElements = a.evaluator.limits.maxElements
            let (limit, overflow) = maxElements.multipliedReportingOverflow(by: 8)
            let byteLimit = overflow ? Int.max : limit + 100_000_000
            let bytes: [UInt8]
            do throws(NotebookFileError) { bytes = try NotebookFiles.read(target, limit: byteLimit) } catch {
                switch error {
                case .missing: throw LangError(.fileNotFound(path: path), at: try a.range(of: "path"))
                case .notRegular: throw LangError(.badFilePath(path: path, problem: .notAFile), at: try a.range(of: "path"))
                case .tooLarge(let size, let limit): throw LangError(.badSafetensors(path: path, problem: .fileTooLarge(bytes: size, limit: limit)), at: try a.range(of: "path"))
                case .system(let text): throw LangError(.fileSystem(path: path, action: "read", error: text), at: try a.range(of: "path"))
                }
            }
            let value: Value
            do {
                let decoded = try Safetensors.decode(bytes, maxElements: maxElements)
                value = try SavedValues.rebuild(tensors: decoded.tensors, metadata: decoded.metadata, maxDepth: a.evaluator.limits.maxNestingDepth)
            } catch let problem as SafetensorsProblem {
                throw LangError(.badSafetensors(path: path, problem: problem), at: try a.range(of: "path"))
            } catch let failure as SavedValues.Failure {
                switch failure {
                case .problem(let p): throw LangError(.badSafetensors(path: path, problem: p), at: try a.range(of: "path"))
                case .notSavable(let at, let got): throw LangError(.notSavable(path: at, got: got), at: try a.range(of: "path"))
                }
            } catch {
                throw LangError(.fileSystem(path: path, action: "read", error: "\(error)"), at: try a.range(of: "path"))
            }
            try a.evaluator.checkListDepth([value], at: a.range)
            return value
        },
    ]
}

/// Argument readers shared by the data builtins.
enum DataBuiltins {
    /// `record` with each of the call's extra labelled fields set in call order (an existing field
    /// keeps its place, a new one goes at the end), checked against the nesting limit as any value
    /// a builtin builds.
    static func settingExtraFields(of a: Arguments, in record: Record) throws(LangError) -> Value {
        var r = record
        for field in a.extraLabelled { r[field.label] = field.value }
        let value = Value.record(r)
        try a.evaluator.checkListDepth([value], at: a.range)
        return value
    }

    /// The `level` argument ("char" or "word"), or `fallback` when it is nil.
    static func level(_ a: Arguments, default fallback: TokenLevel) throws(LangError) -> TokenLevel {
        guard let text = try a.optionalString("level") else { return fallback }
        guard let level = TokenLevel(rawValue: text) else { throw LangError(.badTokenLevel(text), at: try a.range(of: "level")) }
        return level
    }

    /// The vocabulary `v`: a list of strings.
    static func vocabulary(_ a: Arguments) throws(LangError) -> Vocabulary {
        let v = try a.value("v")
        guard case .list(let items) = v else {
            throw LangError(.argumentType(builtin: a.info.name, parameter: "v", expected: "a vocabulary (a list of strings from vocab)", got: v.kindDescription), at: try a.range(of: "v"))
        }
        var tokens: [String] = []
        for item in items {
            guard case .string(let s) = item else {
                throw LangError(.argumentItemType(builtin: a.info.name, parameter: "v", expected: "a list of strings", found: item.kindDescription), at: try a.range(of: "v"))
            }
            tokens.append(s)
        }
        return Vocabulary(uncheckedTokens: tokens)
    }

    /// The vocabulary `v` of encode and decode, and their `level`: nil reads it from `v`.
    static func vocabularyAndLevel(_ a: Arguments) throws(LangError) -> (Vocabulary, TokenLevel) {
        let vocabulary = try vocabulary(a)
        return (vocabulary, try level(a, default: TokenLevel.inferred(from: vocabulary.tokens)))
    }

    static func describe(_ error: NotebookFileError) -> String {
        switch error {
        case .missing: "no such file or directory"
        case .notRegular: "not a regular file"
        case .tooLarge(let bytes, let limit): "\(bytes) bytes is more than \(limit)"
        case .system(let text): text
        }
    }
}

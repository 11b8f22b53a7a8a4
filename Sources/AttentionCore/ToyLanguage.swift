/// A small generated language whose pronouns have known referents, so a lesson can train
/// on it and measure whether a head attends from a pronoun to the noun it stands for.
///
/// The grammar and its words are this project's own. Two kinds of sentence, each ending
/// with the word ".":
///
/// - **agreement** (two sentences in three):
///   `the [adj] N₁ VERB the [adj] N₂ CONJ PRONOUN PREDICATE .`
///   N₁ and N₂ come from different pronoun classes (he: man boy king uncle; she: woman girl
///   queen aunt; it: cat dog bird fox horse), so the pronoun of the chosen referent (N₁ or
///   N₂, even odds) names it unambiguously, and it is known at the pronoun's position.
/// - **meaning** (one in three): `the [adj] ANIMAL RESTED on the [adj] THING because it was QUALITY .`
///   Both nouns are "it"; the quality decides: tired, hungry, sleepy, happy belong to the
///   animal, soft, warm, flat, clean to the thing. The referent is known, but only once the
///   quality is read (a causal model cannot know it at "it" itself).
///
/// Each noun phrase has an adjective (small big old young quiet) with probability 1/3.
/// Every choice is ⌊u·k⌋ for the next uniform u of `SeededGenerator(seed:)`.
public struct ToyLanguage: Sendable {
    public enum Kind: String, Sendable { case agreement, meaning }

    public struct Sentence: Sendable, Equatable {
        /// The words, "." last.
        public let words: [String]
        /// The position (word index in `words`) of the pronoun.
        public let pronoun: Int
        /// The position of the noun it refers to.
        public let referent: Int
        public let kind: Kind
    }

    static let he = ["man", "boy", "king", "uncle"]
    static let she = ["woman", "girl", "queen", "aunt"]
    static let animals = ["cat", "dog", "bird", "fox", "horse"]
    static let things = ["mat", "box", "chair", "rug", "bed", "blanket"]
    static let adjectives = ["small", "big", "old", "young", "quiet"]
    static let verbs = ["saw", "met", "followed", "helped", "watched", "called"]
    static let conjunctions = ["and", "because", "so", "but"]
    static let predicates = ["was tired", "was hungry", "was happy", "ran home", "fell asleep", "sang"]
    static let rests = ["sat", "slept", "lay", "waited"]
    static let animalQualities = ["tired", "hungry", "sleepy", "happy"]
    static let thingQualities = ["soft", "warm", "flat", "clean"]

    /// `n` sentences from `seed`.
    public static func sentences(n: Int, seed: UInt64) throws(CoreError) -> [Sentence] {
        guard n >= 0 else { throw .invalidArgument("n must not be negative, not \(n)") }
        var generator = SeededGenerator(seed: seed)
        func draw(_ k: Int) -> Int { min(Int(generator.nextUniform() * Double(k)), k - 1) }
        func pick(_ words: [String]) -> String { words[draw(words.count)] }
        /// "the [adj] noun": appends to `words` and returns the noun's position.
        func nounPhrase(_ noun: String, into words: inout [String]) -> Int {
            words.append("the")
            if draw(3) == 0 { words.append(pick(adjectives)) }
            words.append(noun)
            return words.count - 1
        }
        let classes: [(pronoun: String, nouns: [String])] = [("he", he), ("she", she), ("it", animals)]
        var out: [Sentence] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            var words: [String] = []
            if draw(3) < 2 {
                let first = draw(3)
                let second = (first + 1 + draw(2)) % 3
                let p1 = nounPhrase(pick(classes[first].nouns), into: &words)
                words.append(pick(verbs))
                let p2 = nounPhrase(pick(classes[second].nouns), into: &words)
                words.append(pick(conjunctions))
                let refersToFirst = draw(2) == 0
                words.append(classes[refersToFirst ? first : second].pronoun)
                let pronoun = words.count - 1
                words.append(contentsOf: pick(predicates).split(separator: " ").map(String.init))
                words.append(".")
                out.append(Sentence(words: words, pronoun: pronoun, referent: refersToFirst ? p1 : p2, kind: .agreement))
            } else {
                let animal = nounPhrase(pick(animals), into: &words)
                words.append(contentsOf: [pick(rests), "on"])
                let thing = nounPhrase(pick(things), into: &words)
                words.append(contentsOf: ["because", "it", "was"])
                let pronoun = words.count - 2
                let refersToAnimal = draw(2) == 0
                words.append(pick(refersToAnimal ? animalQualities : thingQualities))
                words.append(".")
                out.append(Sentence(words: words, pronoun: pronoun, referent: refersToAnimal ? animal : thing, kind: .meaning))
            }
        }
        return out
    }
}

// Compiled into every harness by scripts/fuzz.sh.

/// One parse of fuzzed input that the module may refuse: nil when `body` throws an `Expected`
/// error whose `message` is not empty (the module refusing bad input, as it should). Any other
/// error type, or a refusal that does not say what is wrong, is a finding: it stops the fuzzer.
func attempt<T, Expected: Error>(_ what: String, refusing _: Expected.Type, message: (Expected) -> String = { "\($0)" },
                                 _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch let refusal as Expected {
        if message(refusal).isEmpty { fatalError("\(what): a \(Expected.self) without a message") }
        return nil
    } catch {
        fatalError("\(what) threw \(type(of: error)), not \(Expected.self): \(error)")
    }
}

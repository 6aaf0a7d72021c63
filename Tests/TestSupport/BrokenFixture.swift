/// A reference a test relies on (a fixture file, a manifest, an expected-values table) is
/// missing or malformed. Thrown rather than skipped: a broken reference must fail the run, or
/// the check it feeds silently stops checking. Only an absent `../shared` is a skip.
public struct BrokenFixture: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

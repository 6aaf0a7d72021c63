// libFuzzer harness for the JSON reader that parses config.json: any input must give a value or
// a JSONParseError (any other error type is a finding), never a trap, and a value must survive
// writing and re-reading unchanged.
// fuzz-modules: Logging HTTPServer Metrics WebPages MAXFramework
// fuzz-seeds: profiles/max-mnist samples/models scripts/fuzz/seeds/JSONConfig
import MAXFramework

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes)
    } catch is JSONParseError {
        return 0
    } catch {
        fatalError("JSONValue.parse threw \(type(of: error)), not JSONParseError: \(error)")
    }
    guard let reread = try? JSONValue.parse(value.serialized), reread == value || containsNaN(value) else {
        fatalError("round trip changed the value of \(bytes.count) bytes")
    }
    return 0
}

/// NaN never equals itself; the reader cannot produce it, but stay exact about why a check is skipped.
private func containsNaN(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let number): return number.isNaN
    case .array(let items): return items.contains(where: containsNaN)
    case .object(let members): return members.contains { containsNaN($0.value) }
    default: return false
    }
}

// libFuzzer harness for the JSON reader that parses config.json: any input must give a value or
// a JSONParseError, never a trap, and a value must survive writing and re-reading unchanged.
// Needs only Sources/MAXFramework/JSONValue.swift:
//   swiftc -sanitize=fuzzer,address -parse-as-library scripts/fuzz/JSONConfig.swift \
//          Sources/MAXFramework/JSONValue.swift -o /tmp/fuzz-json && /tmp/fuzz-json -max_total_time=60
// (or scripts/fuzz.sh JSONConfig SECONDS once the runner knows this harness's sources).
@_cdecl("LLVMFuzzerTestOneInput")
public func jsonFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
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

// libFuzzer harness for the digit services' parsers behind real routes: Kaggle CSV on
// POST /model/predict (first byte even) and one Kaggle row on POST /predict (odd), answered by a
// model taking JSON rows. Any body must get a 200, 4xx or 503 answer, never a trap or a 500.
// fuzz-modules: Logging HTTPServer Metrics WebPages MAXFramework DigitServices
// fuzz-seeds: scripts/fuzz/seeds/digit-services
import DigitServices
import Logging
import MAXFramework

/// The sum of a row's numbers, mod 10: enough model for every path of the adapters.
struct FuzzRowModel: ModelWrapper {
    struct Digit: Encodable { let prediction: Int }
    var metadata: ModelMetadata { ModelMetadata(id: "rows", name: "Rows", description: "", type: "", source: "", license: "") }
    var input: ModelInputSpec {
        .json(JSONInputSpec(schema: .object([], additionalProperties: Schema.number.range(0, 255)), description: "a row", maxListItems: 4))
    }
    var output: ModelOutputSchema { ModelOutputSchema(properties: []) }
    func preProcess(_ input: ModelInput) throws -> Int {
        (input.json?.objectMembers ?? []).compactMap { $0.value.doubleValue }.reduce(0) { $0 + Int($1) }
    }
    func predict(_ sum: Int) throws -> Int { sum % 10 }
    func postProcess(_ digit: Int, for input: ModelInput) throws -> [Digit] { [Digit(prediction: digit)] }
}

private let application: MAXApplication = {
    let logger = Logger(label: "fuzz", level: .error, sink: { _ in })
    let registry = ModelRegistry([ServedModel(id: "rows", pluginName: "rows", model: AnyModel(FuzzRowModel()))])
    return try! MAXService.makeApplication(MAXConfiguration(), registry: registry, providers: [DigitServices.kaggle], logger: logger)
}()

/// Allocations of the one-time set-up above are held by a global LeakSanitizer cannot follow
/// through Swift's tagged pointers; a leak per input is still found.
private let suppressions: StaticString = "leak:DigitServicesFuzz11application\n"

@_cdecl("__lsan_default_suppressions")
public func leakSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func digitServicesFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let csv = selector % 2 == 0
    let path = csv ? "/model/predict" : "/predict"
    let request = HTTPRequest(method: "POST", target: path, path: path,
                              headers: ["Content-Type": csv ? "text/csv" : "application/json"], body: Array(bytes.dropFirst()))
    let status = application.handle(request).status.code
    guard status == 200 || (400..<500).contains(status) || status == 503 else {
        fatalError("status \(status) for a \(csv ? "CSV" : "JSON") body of \(bytes.count - 1) bytes")
    }
    return 0
}

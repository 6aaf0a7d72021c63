// libFuzzer harness for POST /v2/models/{name}/infer (the inference request parser, both the
// JSON and Triton's binary framing, and the tensor checks): any body must get an answer with a
// 2xx or 4xx status and, unless it is 200, an {"error": ...} body; never a trap or a 5xx.
// Input: two bytes little-endian, the Inference-Header-Content-Length (0xFFFF: none), then the body.
// fuzz-modules: Logging HTTPServer Metrics WebPages MAXFramework KServe
// fuzz-seeds: scripts/fuzz/seeds/kserve
import KServe
import Logging
import MAXFramework

/// A two-number tensor model, with an encoded-file input, so every path of the runner is reachable.
struct FuzzPairModel: ModelWrapper, TensorModel {
    struct Sum: Encodable { let sum: Double }
    var metadata: ModelMetadata { ModelMetadata(id: "pair", name: "Pair", description: "", type: "", source: "", license: "") }
    var input: ModelInputSpec { .files(FileInputSpec(description: "bytes")) }
    var output: ModelOutputSchema { ModelOutputSchema(properties: []) }
    func preProcess(_ input: ModelInput) throws -> [Float] {
        guard !input.bytes.isEmpty else { throw ModelError.badRequest("empty") }
        return [Float(input.bytes.count), Float(input.bytes[0])]
    }
    func predict(_ pair: [Float]) throws -> [Float] { [pair[0] + pair[1]] }
    func postProcess(_ output: [Float], for input: ModelInput) throws -> [Sum] { [Sum(sum: Double(output[0]))] }
    var tensorInput: TensorSpec { TensorSpec(name: "pair", datatype: .fp32, shape: [2]) }
    var encodedInput: TensorSpec? { TensorSpec(name: "file", datatype: .bytes, shape: [1]) }
    var tensorOutputs: [TensorSpec] { [TensorSpec(name: "sum", datatype: .fp32, shape: [1])] }
    func inferTensors(_ items: [Float], count: Int) throws -> [[Float]] {
        [(0..<count).map { items[2 * $0] + items[2 * $0 + 1] }]
    }
    func tensorItem(from input: ModelInput) throws -> [Float] { try preProcess(input) }
}

private let application: MAXApplication = {
    let logger = Logger(label: "fuzz", level: .error, sink: { _ in })
    let registry = ModelRegistry([ServedModel(id: "pair", pluginName: "pair", model: AnyModel(FuzzPairModel()))])
    var configuration = MAXConfiguration()
    configuration.modelPlugin = "pair"
    return try! MAXService.makeApplication(configuration, registry: registry, providers: [KServe.provider], logger: logger)
}()

/// The application is built once; LeakSanitizer cannot follow Swift's tagged enum payload
/// pointers from that global, so what its set-up allocates is reported as leaked at exit. Only
/// allocations made by that one-time set-up (the global's initializer) are suppressed: a leak
/// per input is still found.
private let suppressions: StaticString = "leak:KServeInferFuzz11application\n"

@_cdecl("__lsan_default_suppressions")
public func leakSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func kserveInferFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let length = Int(bytes[0]) | Int(bytes[1]) << 8
    var headers = HTTPHeaders()
    if length != 0xFFFF { headers.add("Inference-Header-Content-Length", String(length)) }
    let request = HTTPRequest(method: "POST", target: "/v2/models/pair/infer", path: "/v2/models/pair/infer",
                              headers: headers, body: Array(bytes[2...]))
    let response = application.handle(request)
    guard (200..<500).contains(response.status.code) else {
        fatalError("status \(response.status.code) for a request body of \(bytes.count - 2) bytes")
    }
    if response.status.code != 200 {
        guard let body = try? JSONValue.parse(response.body), body["error"]?.stringValue != nil else {
            fatalError("a \(response.status.code) without an {\"error\"} body")
        }
    }
    return 0
}

// libFuzzer harness for the Keras loaders: arbitrary bytes as a model file (format sniffed:
// .keras zip, HDF5, JSON) and as a model configuration JSON without weights. Whatever loads is
// run once on a zero input. Thrown KerasErrors are the expected outcome for damaged input; any
// other error type, a crash, trap, leak or sanitizer report is a finding.
// Run: scripts/fuzz.sh KerasConfig 600
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels HDF5 Keras
// fuzz-seeds: Tests/KerasTests/Fixtures
// fuzz-max-len: 131072
import Keras

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: KerasError.self, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func kerasFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let model = attempt("KerasModel.load(bytes:)", { try KerasModel.load(bytes: bytes) }) { exercise(model) }
    // Configurations whose layers need no weights (pooling, activations, merges, reshapes...)
    // build and run completely from the JSON alone.
    if let model = attempt("KerasModel(configurationJSON:)", { try KerasModel(configurationJSON: bytes, weights: [:]) }) { exercise(model) }
    return 0
}

/// One prediction on zeros, skipped for inputs too large to be worth a fuzzing iteration.
private func exercise(_ model: KerasModel) {
    _ = model.summary()
    guard model.inputSize <= 1 << 16, model.workspaceBytes <= 1 << 26 else { return }
    let output = attempt("predict") { try model.predict([Float](repeating: 0, count: model.inputSize), batchSize: 1) }
    precondition(output == nil || output?.count == model.outputSize, "output size differs from outputShape")
}

// Fuzzes the training configuration (the Imagia train body `max-server train` and POST
// /model/train take): arbitrary bytes through TrainingRequest.parse with the service's bounds;
// a request that parses builds its network under a small parameter budget and has its memory
// estimated, as the service does before queueing it. A thrown TrainingError is the expected
// outcome; a trap, crash, leak, an accepted value outside its bounds, or a network built past
// the budget is a bug. Run: scripts/fuzz.sh TrainingRequest 300
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels HDF5 Keras ImageCodecs Datasets Training
// fuzz-seeds: scripts/fuzz/seeds/training-request
// fuzz-max-len: 4096
import Training

private let limits = TrainingRequest.Limits(maxEpochs: 50, maxBatchSize: 1024)

@_cdecl("LLVMFuzzerTestOneInput")
public func trainingRequestFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    guard let request = try? TrainingRequest.parse(json: bytes, limits: limits) else { return 0 }
    let configuration = request.configuration
    precondition((1...50).contains(configuration.epochs) && (1...1024).contains(configuration.batchSize), "accepted bounds")
    precondition((0..<1).contains(request.validationSplit), "validation split in [0, 1)")
    precondition(!request.classNames.isEmpty && Set(request.classNames).count == request.classNames.count, "class names")
    guard case .catalog = request.network else { return 0 }   // files are not read here
    var run = TrainingRun(request: request)
    run.limits = TrainingLimits(maxParameters: 2_000_000, maxMemoryBytes: 256 << 20)
    if let network = try? run.makeNetwork(classes: request.classes?.count ?? request.classNames.count) {
        precondition(network.parameterCount <= 2_000_000, "a network past the budget was built")
        precondition(network.trainingMemoryEstimate(batch: configuration.batchSize, pieces: 2,
                                                    optimizerSlots: configuration.optimizer.slotCount) > 0, "an estimate")
    }
    return 0
}

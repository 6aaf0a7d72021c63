import Foundation
import Kernels
import TestSupport
import XCTest
@testable import Keras

/// Every file layout a user brings, loaded through its loader and checked against Keras's outputs:
/// the project's own fixtures, then the shared conformance corpus.
final class FileFormatTests: XCTestCase {
    private func load(_ files: [String], kernels: (any KernelSet.Type)? = nil, in directory: (String) -> URL) throws
        -> KerasModel {
        if files.count == 2 {
            return try KerasModel.load(architecturePath: directory(files[0]).path, weightsPath: directory(files[1]).path,
                                       kernels: kernels)
        }
        return try KerasModel.load(path: directory(files[0]).path, kernels: kernels)
    }

    private func checkFixture(_ name: String) throws {
        let fixture = try KerasFixture(name)
        XCTAssertFalse(fixture.fileSets.isEmpty)
        for files in fixture.fileSets {
            let model = try load(files) { fixture.url($0) }
            XCTAssertEqual(model.inputShape, fixture.inputShape, "\(files)")
            assertClose(try model.predict(fixture.inputs, batchSize: fixture.batch), fixture.outputs, "\(name) from \(files)")
        }
    }

    func testKeras2FullModelAndArchitecturePlusWeights() throws { try checkFixture("k2_activations") }
    func testKeras2FixedLengthStringsAndSplitWeightNames() throws { try checkFixture("k2_conv_stack") }
    func testKeras2Functional() throws { try checkFixture("k2_functional") }
    /// Keras 3 keys weights by class-derived names (activation_3...), not by layer names.
    func testKeras3ArchiveWithRenamedLayers() throws { try checkFixture("k3_activations") }
    func testKeras3ArchiveStoredDeflatedAndLegacyH5() throws { try checkFixture("k3_mix") }

    func testFormatIsDetectedFromContentNotName() throws {
        let bytes = Array(try Data(contentsOf: TestPaths.fixture("k3_mix.keras", target: "KerasTests")))
        XCTAssertEqual(ModelFileFormat.detect(bytes), .kerasArchive)
        let h5 = Array(try Data(contentsOf: TestPaths.fixture("k3_mix_legacy.h5", target: "KerasTests")))
        XCTAssertEqual(ModelFileFormat.detect(h5), .hdf5)
        XCTAssertEqual(ModelFileFormat.detect(Array(" {\"class_name\": 1}".utf8)), .architectureJSON)
        XCTAssertNoThrow(try KerasModel.load(bytes: bytes))
    }

    func testWrongOrDamagedFilesAreRefusedWithAReason() throws {
        func error(_ bytes: [UInt8]) -> KerasError? {
            do { _ = try KerasModel.load(bytes: bytes); return nil } catch { return error as? KerasError }
        }
        XCTAssertNotNil(error(Array("hello".utf8)))
        XCTAssertNotNil(error([]))
        let weightsOnly = Array(try Data(contentsOf: TestPaths.fixture("k2_activations_weights.h5", target: "KerasTests")))
        XCTAssert(error(weightsOnly)?.description.contains("weights only") == true)
        let architecture = Array(try Data(contentsOf: TestPaths.fixture("k2_activations_arch.json", target: "KerasTests")))
        XCTAssert(error(architecture)?.description.contains("without weights") == true)
        // Truncations of a real archive and a real HDF5 file: errors, never crashes.
        let archive = Array(try Data(contentsOf: TestPaths.fixture("k3_mix.keras", target: "KerasTests")))
        let h5 = Array(try Data(contentsOf: TestPaths.fixture("k2_functional.h5", target: "KerasTests")))
        for fraction in [0.1, 0.5, 0.9, 0.99] {
            XCTAssertNotNil(error(Array(archive.prefix(Int(Double(archive.count) * fraction)))), "archive cut at \(fraction)")
            XCTAssertNotNil(error(Array(h5.prefix(Int(Double(h5.count) * fraction)))), "h5 cut at \(fraction)")
        }
    }

    func testSnakeCaseMatchesKeras() {
        XCTAssertEqual(KerasArchive.snakeCase("Conv2D"), "conv2d")
        XCTAssertEqual(KerasArchive.snakeCase("BatchNormalization"), "batch_normalization")
        XCTAssertEqual(KerasArchive.snakeCase("ReLU"), "re_lu")
        XCTAssertEqual(KerasArchive.snakeCase("LeakyReLU"), "leaky_re_lu")
        XCTAssertEqual(KerasArchive.snakeCase("GlobalAveragePooling2D"), "global_average_pooling2d")
        XCTAssertEqual(KerasArchive.snakeCase("ELU"), "elu")
    }

    /// ../shared/conformance/keras: every model within 1e-5 of Keras, with each CPU class's
    /// kernels this machine runs.
    func testConformanceCorpus() throws {
        guard let directory = TestPaths.shared("conformance/keras") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("conformance/keras"))
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        XCTAssertGreaterThanOrEqual(reference.count, 8)
        for cpu in Kernels.runnable {
            let kernels = try XCTUnwrap(Kernels.set(for: cpu))
            for (name, entry) in reference.sorted(by: { $0.key < $1.key }) {
                let files = try XCTUnwrap(entry["files"] as? [String], name)
                let inputs = try XCTUnwrap(entry["inputs"] as? [Any], name)
                let model = try load(files, kernels: kernels) { directory.appendingPathComponent($0) }
                XCTAssertEqual(model.inputShape, (entry["input_shape"] as? [NSNumber])?.map(\.intValue), name)
                let outputs = try model.predict(flatten(inputs), batchSize: inputs.count)
                assertClose(outputs, flatten(entry["outputs"] ?? []), "\(name) (\(cpu))")
            }
        }
    }
}

import Foundation
import TestSupport
import MAXFramework
import XCTest

/// `model.file` (`--model`): a user's own model file replaces the configured asset and needs
/// no MD5 entry; the configured asset is then not checked at all.
final class ModelFileOverrideTests: XCTestCase {
    /// Remembers which model file the plugin was handed.
    final class SeenAsset: @unchecked Sendable { var url: URL?? = .none }

    func plugin(_ seen: SeenAsset) -> ModelPlugin {
        ModelPlugin(name: "byte-stats") { context in
            seen.url = .some(context.modelAsset)
            return ByteStatsModel()
        }
    }

    func configuration(_ folder: TemporaryFolder) throws -> MAXConfiguration {
        try folder.write("md5sums.txt", "00000000000000000000000000000000  assets/model.bin\n")
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.modelPlugin = "byte-stats"
        // Listed, missing and without a URL: start-up would fail if it were checked.
        configuration.assets = [AssetSpec(path: "assets/model.bin", url: nil)]
        configuration.modelAsset = "assets/model.bin"
        return configuration
    }

    func testExplicitModelFileIsHandedToThePluginWithoutAssetChecks() throws {
        let folder = try TemporaryFolder()
        let own = try folder.write("mine.h5", [1, 2, 3])
        var configuration = try configuration(folder)
        XCTAssertThrowsError(try MAXService.loadModel(configuration, plugins: [plugin(SeenAsset())],
                                                      logger: LogCapture().logger()),
                             "without model.file the missing asset fails start-up")
        configuration.modelFile = own.path
        let seen = SeenAsset()
        _ = try MAXService.loadModel(configuration, plugins: [plugin(seen)], logger: LogCapture().logger())
        XCTAssertEqual(seen.url??.path, own.path)
    }

    func testMissingModelFileNamesTheKey() throws {
        let folder = try TemporaryFolder()
        var configuration = try configuration(folder)
        configuration.modelFile = folder.url.appendingPathComponent("absent.h5").path
        XCTAssertThrowsError(try MAXService.loadModel(configuration, plugins: [plugin(SeenAsset())],
                                                      logger: LogCapture().logger())) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "model.file", "\(error)")
        }
    }
}

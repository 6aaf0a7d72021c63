import Compression
import Datasets
import Foundation
import TestSupport
import XCTest

/// `max-server dataset convert|info` and `max-server evaluate` as a user runs them: formats
/// converted and read back, subsets, splits, shards, and bad input in one line with exit 1.
final class DatasetCommandTests: XCTestCase {
    let folder = try! TemporaryFolder()
    let fixtures = MaxServer.root.appendingPathComponent("Tests/DatasetsTests/Fixtures")
    func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    func output(_ name: String) -> String { folder.url.appendingPathComponent(name).path }

    /// Exit 1 (a failure) or 2 (a usage error, the usage after it) with one line naming the
    /// command and the problem; never a crash.
    func assertRefused(_ result: MaxServer.Result, _ command: String, exit status: Int32, mentions needle: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        let first = result.messages.first ?? ""
        XCTAssertTrue(first.hasPrefix("max-server \(command): ") && first.contains(needle), "'\(first)' should name '\(needle)'", file: file, line: line)
        XCTAssertEqual(status == 1 ? result.messages.count : 1, 1, "one line: \(result.messages)", file: file, line: line)
        if status == 2 { XCTAssertTrue(result.stderr.contains("usage: max-server"), result.stderr, file: file, line: line) }
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr, file: file, line: line)
    }

    func testConvertBetweenFormatsWithSubsetSplitAndShards() throws {
        // mnist.npz's test part (0 2 7 7) holds none of 1, 5, 9: refused, rather than an empty file.
        let refused = try MaxServer.run(["dataset", "convert", fixture("mnist.npz"), output("digits.tfrecord"),
                                         "--numbers", "1", "--numbers", "5,9", "--split", "0.25", "--shards", "2"])
        assertRefused(refused, "dataset", exit: 1, mentions: "the test part: no image is of class 1, 5, 9: the subset is empty")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output("digits.tfrecord-00000-of-00002")))
        let kept = try MaxServer.run(["dataset", "convert", fixture("mnist.npz"), output("digits.tfrecord"), "--no-test",
                                      "--numbers", "1", "--numbers", "5,9", "--split", "0.25", "--shards", "2"])
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertTrue(kept.stdout.contains("kept digits 1, 5, 9: 6 images"), kept.stdout)
        XCTAssertTrue(kept.stdout.contains("wrote \(output("digits.tfrecord-00001-of-00002")): 2 images"), kept.stdout)
        XCTAssertTrue(kept.stdout.contains("wrote \(output("digits-validation.tfrecord-00000-of-00002")): 1 image"), kept.stdout)
        let info = try MaxServer.run(["dataset", "info", output("digits.tfrecord")])
        XCTAssertEqual(info.stdout, "\(output("digits.tfrecord")): 4 images: 1 x 2, 5 x 1, 9 x 1 (28x28x1 8-bit pixels)\n", info.stderr)

        // Relative paths stay relative, the test part beside OUT.
        let relative = try MaxServer.run(["dataset", "convert", fixture("mnist.npz"), "sub/rel.tfrecord"], directory: folder.url)
        XCTAssertTrue(relative.stdout.hasSuffix("wrote sub/rel.tfrecord: 12 images\nwrote sub/rel-test.tfrecord: 4 images\n"), relative.stdout)

        // npz -> IDX directory (train + t10k) -> CSV, each read back by the next.
        XCTAssertEqual(try MaxServer.run(["dataset", "convert", fixture("mnist.npz"), output("idx") + "/"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output("idx/t10k-labels-idx1-ubyte")))
        let csv = try MaxServer.run(["dataset", "convert", output("idx"), output("train.csv.gz")])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertTrue(csv.stdout.contains("wrote \(output("train-test.csv.gz")): 4 images"), csv.stdout)
        let back = try DatasetFile.load(path: output("train.csv.gz")).training
        XCTAssertEqual(back, try DatasetFile.load(path: fixture("mnist.npz")).training)
    }

    func testBadInputIsOneLineAndExitOne() throws {
        func npz(_ arrays: [(String, [UInt8])]) throws -> String {
            var zip = ZipWriter()
            for (name, bytes) in arrays { try zip.add(name + ".npy", bytes) }
            let path = output("bad-\(UUID().uuidString).npz")
            try Data(try zip.finish()).write(to: URL(fileURLWithPath: path))
            return path
        }
        let images = NumPyArray.encode(shape: [2, 28, 28], bytes: [UInt8](repeating: 0, count: 2 * 784))
        let cases: [([String], String)] = [
            (["dataset", "convert", try npz([("images", images), ("labels", NumPyArray.encode(shape: [2], integers: [1, 2]))]), output("a.csv")],
             "Keras's layout needs x_train and y_train"),
            (["dataset", "convert", try npz([("x_train", NumPyArray.encode(shape: [2, 784], bytes: [UInt8](repeating: 0, count: 2 * 784))),
                                              ("y_train", NumPyArray.encode(shape: [2], integers: [1, 2]))]), output("a.csv")],
             "x_train has shape [2, 784]; N x height x width (x channels) with N > 0 is expected"),
            (["dataset", "convert", try npz([("x_train", images), ("y_train", NumPyArray.encode(shape: [2], integers: [1, 12]))]), output("a.csv")],
             "y_train[1] is 12, outside 0-9"),
            (["dataset", "convert", fixture("small.csv"), output("a.tfrecord"), "--numbers", "0,7"],
             "no image is of class 0, 7: the subset is empty"),
            (["dataset", "convert", fixture("small.csv"), output("a.tfrecord"), "--numbers", "12"], "'12' is not a class of this data"),
            (["dataset", "info", fixture("tfrecord/claims_4gb.tfrecord")], "record 2 (at byte 1782): claims 4294967296 bytes of data"),
            (["dataset", "info", fixture("tfrecord/bad_data_crc.tfrecord")], "record 3 (at byte 2673): the data's checksum does not match"),
            (["dataset", "info", output("missing.tfrecord")], "no such file or directory"),
            (["evaluate", MaxServer.root.appendingPathComponent("assets/mnist_cnn.h5").path, "--data", fixture("small.csv"), "--numbers", "x"],
             "the model has no class 'x'"),
        ]
        for (arguments, message) in cases {
            assertRefused(try MaxServer.run(arguments), arguments[0], exit: 1, mentions: message)
        }
        for (arguments, message) in [
            (["dataset", "convert", fixture("small.csv"), output("a.bin")], "cannot tell the format"),
            (["dataset", "convert", fixture("small.csv"), output("a.csv"), "--split", "1.5"], "--split must be a fraction"),
            (["dataset", "info", fixture("small.csv"), "--shards", "2"], "--shards is an option of convert"),
            (["dataset", "shuffle", fixture("small.csv")], "unknown dataset command 'shuffle'"),
            (["dataset", "convert", fixture("small.csv"), output("a.csv"), "--image-format", "png"], "applies to TFRecord output only"),
        ] {
            assertRefused(try MaxServer.run(arguments), "dataset", exit: 2, mentions: message)
        }
    }

    func testEvaluateScoresTheDefaultModelInItsClassOrder() throws {
        let metrics = output("metrics.json")
        let result = try MaxServer.run(["evaluate", MaxServer.root.appendingPathComponent("assets/mnist_cnn.h5").path,
                                        "--data", fixture("tfrecord/tf_png.tfrecord"), "--numbers", "1,5", "--metrics", metrics])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9) from output order"), result.stdout)
        XCTAssertTrue(result.stdout.contains("data \(fixture("tfrecord/tf_png.tfrecord")): 5 images of those classes"), result.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as? [String: Any])
        XCTAssertEqual(json["images"] as? Int, 5)
        XCTAssertEqual(Set((json["classes"] as? [String: Any])?.keys.map { $0 } ?? []), Set((0...9).map(String.init)))
    }
}

import Compression
import Foundation
import ImageCodecs
import Logging
import MAXFramework
import MNIST
import TestSupport

/// Shared helpers: the digit test set, the samples, the real service on a loopback port.
enum MNISTFixtures {
    static let root = TestPaths.packageRoot
    static let testSetPath = "data/mnist_test.csv.gz"

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Labels and 784 raw pixels per digit from `../shared/data/mnist_test.csv.gz`.
    static func testSet(_ url: URL) throws -> [(label: Int, pixels: [Float])] {
        let text = String(decoding: try gunzip([UInt8](try Data(contentsOf: url))), as: UTF8.self)
        var digits: [(label: Int, pixels: [Float])] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard fields.count == 785 else { throw Failure(description: "a CSV row has \(fields.count) numbers, expected 785") }
            digits.append((fields[0], fields.dropFirst().map(Float.init)))
        }
        return digits
    }

    /// A gzip member: RFC 1952 header (optional extra, name, comment, header CRC), then deflate.
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count >= 18, bytes[0] == 0x1f, bytes[1] == 0x8b, bytes[2] == 8 else {
            throw Failure(description: "not a gzip file")
        }
        let flags = bytes[3]
        var offset = 10
        if flags & 4 != 0 {
            guard offset + 2 <= bytes.count else { throw Failure(description: "truncated gzip extra field") }
            offset += 2 + Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
        }
        for flag: UInt8 in [8, 16] where flags & flag != 0 {
            while offset < bytes.count, bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 2 != 0 { offset += 2 }
        guard offset < bytes.count else { throw Failure(description: "truncated gzip header") }
        return try bytes[offset...].withUnsafeBytes { try Inflate.rawPrefix(bytes: $0).output }
    }

    /// `samples/` files whose name starts with their digit.
    static func labelledSamples() throws -> [(label: Int, url: URL)] {
        let folder = root.appendingPathComponent("samples")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().compactMap { name in
            guard let first = name.first, let label = first.wholeNumberValue else { return nil }
            return (label, folder.appendingPathComponent(name))
        }
    }

    static func image(_ url: URL) throws -> Image {
        try ImageDecoder.decode([UInt8](try Data(contentsOf: url)))
    }

    /// The service as `max-server serve` runs it with the project's MNIST settings, on an ephemeral port.
    static func startService(logger: Logger, batching: BatchingSettings? = nil) throws -> RunningService {
        var configuration = MAXConfiguration(baseDirectory: root)
        if let batching { configuration.models[0].batching = batching }
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.apiTitle = "MAX MNIST"
        configuration.modelPlugin = "mnist"
        configuration.modelAsset = MNISTModel.defaultAsset
        configuration.assets = [AssetSpec(path: MNISTModel.defaultAsset)]
        return try MAXService.start(configuration, plugins: [MNISTModel.plugin], logger: logger)
    }
}

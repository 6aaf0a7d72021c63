import Compression
import Foundation

/// The formats a labelled set is written in (`max-server dataset convert`).
public enum DatasetOutputFormat: String, Sendable, CaseIterable {
    /// Kaggle's `label,pixel0,...` with a header.
    case csv
    /// A directory of MNIST's IDX files (`train-images-idx3-ubyte`, ...).
    case idx
    /// NumPy's .npz in Keras's mnist.npz layout (x_train, y_train, x_test, y_test).
    case npz
    /// TensorFlow's TFRecord of tf.train.Example.
    case tfrecord

    /// The format a path's name implies: `.csv`, `.npz`, `.tfrecord`/`.tfrecords`/`.tfrec`
    /// (each optionally `.gz`), or a directory (an existing one, or a name ending in `/`) for IDX.
    public static func implied(by path: String) -> DatasetOutputFormat? {
        var name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".npz") { return .npz }
        if [".tfrecord", ".tfrecords", ".tfrec"].contains(where: { name.hasSuffix($0) }) { return .tfrecord }
        var isDirectory: ObjCBool = false
        if path.hasSuffix("/") || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            return .idx
        }
        return nil
    }

    /// Whether one output holds a training and a test part (the others hold one part per file).
    public var holdsTestPart: Bool { self == .npz || self == .idx }
}

/// Writes labelled sets in every format the Datasets module reads, so each can be read back
/// (and by the tools that wrote the originals: NumPy, TensorFlow, Kaggle's readers).
public enum DatasetWriter {
    public struct Options: Sendable {
        public var format: DatasetOutputFormat
        /// gzip every file written (also implied by a path ending in `.gz`).
        public var gzip: Bool
        /// How TFRecord examples hold their image.
        public var imageEncoding: TFRecordImages.ImageEncoding
        /// Split a single-file format into this many files named `OUT-00000-of-0000N`.
        public var shards: Int

        public init(format: DatasetOutputFormat, gzip: Bool = false, imageEncoding: TFRecordImages.ImageEncoding = .raw, shards: Int = 1) {
            self.format = format
            self.gzip = gzip
            self.imageEncoding = imageEncoding
            self.shards = shards
        }
    }

    /// One file written and how many images it holds.
    public struct WrittenFile: Equatable, Sendable {
        public let path: String
        public let images: Int
    }

    /// Writes `splits.training` to `path`, and `splits.test` too when the format holds both
    /// (npz, IDX; other formats ignore it: write it to a path of its own). Each file is
    /// written whole and renamed into place, so a failure leaves no half-written file.
    @discardableResult
    public static func write(_ splits: DatasetSplits, to path: String, options: Options) throws -> [WrittenFile] {
        guard options.shards >= 1 else { throw DatasetError.invalid("the number of shards must be at least 1, got \(options.shards)") }
        let gzip = options.gzip || path.hasSuffix(".gz")
        switch options.format {
        case .idx:
            guard options.shards == 1 else { throw DatasetError.invalid("IDX output is one directory; it cannot be sharded") }
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            var written: [WrittenFile] = []
            for (prefix, images) in [("train", splits.training), ("t10k", splits.test)] {
                guard let images else { continue }
                let (imageFile, labelFile) = MNISTIDX.encode(try labelsAsStored(images))
                let suffix = gzip ? ".gz" : ""
                // Paths as the caller wrote them (relative stays relative in what is printed).
                let folder = path.hasSuffix("/") ? path : path + "/"
                let imagesPath = folder + "\(prefix)-images-idx\(images.shape.channels == 1 ? 3 : 4)-ubyte\(suffix)"
                try save(imageFile, to: imagesPath, gzip: gzip)
                try save(labelFile, to: folder + "\(prefix)-labels-idx1-ubyte\(suffix)", gzip: gzip)
                written.append(WrittenFile(path: imagesPath, images: images.count))
            }
            return written
        case .csv, .npz, .tfrecord:
            var written: [WrittenFile] = []
            let count = splits.training.count
            for shard in 0..<options.shards {
                let range = (shard * count / options.shards)..<((shard + 1) * count / options.shards)
                let shardPath = options.shards == 1 ? path : "\(path)-\(DatasetShards.shardName(shard, of: options.shards))"
                let training = range == 0..<count ? splits.training : splits.training.subset(Array(range))
                // A sharded npz keeps the test part in the first shard only.
                let test = shard == 0 ? splits.test : nil
                try save(try encode(training, test: test, format: options.format, imageEncoding: options.imageEncoding),
                         to: shardPath, gzip: gzip)
                written.append(WrittenFile(path: shardPath, images: training.count))
            }
            return written
        }
    }

    static func encode(_ images: LabelledImages, test: LabelledImages?, format: DatasetOutputFormat,
                       imageEncoding: TFRecordImages.ImageEncoding) throws -> [UInt8] {
        switch format {
        case .csv: return KaggleCSV.encode(try labelsAsStored(images))
        case .tfrecord: return try TFRecordImages.encode(images, encoding: imageEncoding)
        case .npz:
            var archive = ZipWriter()
            for (suffix, part) in [("train", images), ("test", test)] {
                guard let part else { continue }
                let shape = part.shape
                let imageShape = [part.count, shape.height, shape.width] + (shape.channels == 1 ? [] : [shape.channels])
                let pixels: [UInt8]
                switch part.pixels {
                case .bytes(let values): pixels = NumPyArray.encode(shape: imageShape, bytes: values)
                case .floats(let values): pixels = NumPyArray.encode(shape: imageShape, floats: values)
                }
                let labels = part.labels.map { Int(TFRecordImages.storedLabel($0, classNames: part.classNames)) }
                try archive.add("x_\(suffix).npy", pixels, method: .deflated(level: 6))
                try archive.add("y_\(suffix).npy", NumPyArray.encode(shape: [part.count], integers: labels), method: .deflated(level: 6))
            }
            return try archive.finish()
        case .idx:
            preconditionFailure("IDX is written as a directory")
        }
    }

    /// The images with each label replaced by the number the file stores for it (the class
    /// name when it is a number): CSV and IDX hold labels as bare numbers.
    static func labelsAsStored(_ images: LabelledImages) throws -> LabelledImages {
        let stored = images.labels.map { Int(TFRecordImages.storedLabel($0, classNames: images.classNames)) }
        if stored == images.labels { return images }
        guard let largest = stored.max(), largest <= 255 else {
            throw DatasetError.invalid("labels above 255 cannot be stored in IDX")
        }
        return LabelledImages(unchecked: images.shape, pixels: images.pixels, labels: stored,
                              classNames: LabelledImages.digitClassNames(max(largest + 1, images.classNames.count)))
    }

    static func save(_ bytes: [UInt8], to path: String, gzip: Bool) throws {
        let contents = gzip ? Gzip.compress(bytes) : bytes
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents).write(to: url, options: .atomic)
        } catch {
            throw DatasetError(.io, "\(path): cannot write the file (\(error.localizedDescription))")
        }
    }
}

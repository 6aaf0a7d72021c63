import Foundation
import Logging

/// An asset that cannot be made ready: missing with nowhere to fetch it, wrong digest, failed download.
public struct AssetError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "asset \(path): \(message)" }
}

/// How one asset was made ready.
public struct AssetStatus: Sendable, Equatable {
    public enum Action: String, Sendable { case verified, downloaded }
    public let path: String
    public let file: URL
    public let md5: String
    public let action: Action
}

/// Start-up asset check, as MAX's Dockerfile did with `md5sum -c md5sums.txt`: each configured
/// asset is verified against its listed MD5; a missing or mismatched file with a URL is
/// downloaded into a temporary file beside it, verified, and renamed into place atomically,
/// so the asset folder never holds a partial file under the asset's name.
public enum AssetStore {
    /// Makes every asset ready, or throws on the first that cannot be.
    /// - Parameter allowDownload: false only verifies (a missing or wrong file is an error).
    public static func prepare(_ configuration: MAXConfiguration, logger: Logger,
                               allowDownload: Bool = true) throws -> [AssetStatus] {
        guard !configuration.assets.isEmpty else { return [] }
        let checksums = try ChecksumFile.load(from: configuration.resolve(configuration.checksumFile))
        return try configuration.assets.map { asset in
            try prepare(asset, configuration: configuration, checksums: checksums, logger: logger,
                        allowDownload: allowDownload)
        }
    }

    static func prepare(_ asset: AssetSpec, configuration: MAXConfiguration, checksums: ChecksumFile,
                        logger: Logger, allowDownload: Bool) throws -> AssetStatus {
        guard let expected = checksums.digest(for: asset.path) else {
            throw AssetError(path: asset.path,
                             message: "no MD5 listed in \(configuration.checksumFile); add it with `md5sum \(asset.path) >> \(configuration.checksumFile)`")
        }
        let file = configuration.resolve(asset.path)
        if FileManager.default.fileExists(atPath: file.path) {
            let actual: String
            do {
                actual = try MD5.hex(ofFileAt: file)
            } catch {
                throw AssetError(path: asset.path, message: "cannot read \(file.path) (\(error.localizedDescription))")
            }
            if actual == expected {
                logger.info("asset \(asset.path): MD5 \(actual) OK")
                return AssetStatus(path: asset.path, file: file, md5: actual, action: .verified)
            }
            guard let url = asset.url, allowDownload else {
                throw AssetError(path: asset.path,
                                 message: "MD5 mismatch: expected \(expected), actual \(actual)" + (asset.url == nil ? " (no url configured to fetch a good copy)" : ""))
            }
            logger.warning("asset \(asset.path): MD5 mismatch (expected \(expected), actual \(actual)); downloading \(url.absoluteString)")
        } else {
            guard let url = asset.url else {
                throw AssetError(path: asset.path, message: "file \(file.path) is missing and no url is configured to download it")
            }
            guard allowDownload else {
                throw AssetError(path: asset.path, message: "file \(file.path) is missing")
            }
            logger.info("asset \(asset.path): missing; downloading \(url.absoluteString)")
        }
        guard let url = asset.url else { throw AssetError(path: asset.path, message: "no url configured") }
        let md5 = try download(url, to: file, expected: expected, path: asset.path,
                               limits: DownloadLimits(configuration), logger: logger)
        return AssetStatus(path: asset.path, file: file, md5: md5, action: .downloaded)
    }

    /// Downloads into `.<name>.part-<random>` beside `file`, checks the digest and renames it over
    /// `file`. The temporary file is removed on every failure, a termination signal included
    /// (`DownloadInterruption`: the download stops, the file goes, then the start-up fails).
    static func download(_ url: URL, to file: URL, expected: String, path: String, limits: DownloadLimits,
                         logger: Logger) throws -> String {
        let folder = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw AssetError(path: path, message: "cannot create folder \(folder.path) (\(error.localizedDescription))")
        }
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).part-\(UInt32.random(in: 0...UInt32.max))")
        return try DownloadInterruption.run { interruption in
            var published = false
            defer {
                if !published {
                    try? FileManager.default.removeItem(at: temporary)
                    if let name = interruption.signalName {
                        logger.warning("asset \(path): download interrupted by \(name); removed the partial download \(temporary.lastPathComponent)")
                    }
                }
            }
            let md5 = try downloadAndPublish(url, through: temporary, to: file, expected: expected, path: path,
                                             limits: limits, interruption: interruption, logger: logger)
            published = true
            if let name = interruption.signalName {
                throw AssetError(path: path, message: "interrupted by \(name) after the download was complete and verified")
            }
            return md5
        }
    }

    private static func downloadAndPublish(_ url: URL, through temporary: URL, to file: URL, expected: String, path: String,
                                           limits: DownloadLimits, interruption: DownloadInterruption,
                                           logger: Logger) throws -> String {
        let result: DownloadResult
        do {
            result = try AssetDownloader.download(url, to: temporary, limits: limits, interruption: interruption, logger: logger)
        } catch {
            if let name = interruption.signalName {
                throw AssetError(path: path, message: "download interrupted by \(name); the partial file was removed")
            }
            throw AssetError(path: path, message: "\(error)")
        }
        guard result.md5 == expected else {
            logger.error("asset \(path): downloaded MD5 mismatch: expected \(expected), actual \(result.md5); file discarded")
            throw AssetError(path: path, message: "downloaded file has MD5 \(result.md5), expected \(expected) (from \(url.absoluteString)); discarded")
        }
        guard rename(temporary.path, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw AssetError(path: path, message: "cannot move the download into place (\(reason))")
        }
        logger.info("asset \(path): MD5 \(result.md5) OK (downloaded \(result.byteCount) bytes)")
        return result.md5
    }
}

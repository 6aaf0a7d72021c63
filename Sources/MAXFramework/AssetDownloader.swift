import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// A download that did not deliver the whole file.
public struct AssetDownloadError: Error, CustomStringConvertible {
    public let url: URL
    public let message: String
    public var description: String { "download of \(url.absoluteString) failed: \(message)" }
}

/// What a finished transfer wrote.
struct DownloadResult {
    var byteCount: Int
    var md5: String
}

/// Streams a URL into a file, hashing the bytes as they are written. http and https go through
/// URLSession; file URLs are copied. The caller owns `destination` and deletes it on failure.
enum AssetDownloader {
    static func download(_ url: URL, to destination: URL, timeout: Double, logger: Logger) throws -> DownloadResult {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw AssetDownloadError(url: url, message: "cannot create \(destination.path)")
        }
        let writer = try HashingFileWriter(destination, url: url, logger: logger)
        defer { writer.close() }
        switch url.scheme?.lowercased() {
        case "file": try copyFile(url, into: writer)
        case "http", "https": try fetch(url, into: writer, timeout: timeout)
        default: throw AssetDownloadError(url: url, message: "unsupported URL scheme (use http, https or file)")
        }
        try writer.finish()
        return DownloadResult(byteCount: writer.byteCount, md5: writer.hasher.hexDigest())
    }

    private static func copyFile(_ url: URL, into writer: HashingFileWriter) throws {
        let source: FileHandle
        do {
            source = try FileHandle(forReadingFrom: url)
        } catch {
            throw AssetDownloadError(url: url, message: "cannot open \(url.path) (\(error.localizedDescription))")
        }
        defer { try? source.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        writer.expectedBytes = size
        while true {
            let chunk: Data
            do {
                guard let read = try source.read(upToCount: 1 << 20), !read.isEmpty else { break }
                chunk = read
            } catch {
                throw AssetDownloadError(url: url, message: "reading failed (\(error.localizedDescription))")
            }
            try writer.write(chunk)
        }
    }

    private static func fetch(_ url: URL, into writer: HashingFileWriter, timeout: Double) throws {
        let transfer = TransferDelegate(writer: writer)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        session.dataTask(with: url).resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        if let failure = transfer.failure { throw AssetDownloadError(url: url, message: failure) }
        if let expected = writer.expectedBytes, expected != writer.byteCount {
            throw AssetDownloadError(url: url, message: "transfer cut short: received \(writer.byteCount) of \(expected) bytes")
        }
    }
}

/// Receives URLSession's callbacks on one serial queue and writes each chunk as it arrives.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let writer: HashingFileWriter
    let finished = DispatchSemaphore(value: 0)
    /// Set before `finished` is signalled; read only after.
    var failure: String?

    init(writer: HashingFileWriter) { self.writer = writer }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            failure = "the server answered HTTP \(http.statusCode)"
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength >= 0 { writer.expectedBytes = Int(response.expectedContentLength) }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try writer.write(data)
        } catch {
            failure = "\(error)"
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            failure = error.localizedDescription
        }
        finished.signal()
    }
}

/// Appends to a file while hashing, and logs progress about every 10 % (or every 8 MiB when
/// the size is unknown).
final class HashingFileWriter: @unchecked Sendable {
    let handle: FileHandle
    let url: URL
    let logger: Logger
    var hasher = MD5()
    var byteCount = 0
    var expectedBytes: Int?
    private var nextReport = 0
    private var closed = false

    init(_ destination: URL, url: URL, logger: Logger) throws {
        do {
            handle = try FileHandle(forWritingTo: destination)
        } catch {
            throw AssetDownloadError(url: url, message: "cannot write \(destination.path) (\(error.localizedDescription))")
        }
        self.url = url
        self.logger = logger
    }

    func write(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw AssetDownloadError(url: url, message: "writing failed (\(error.localizedDescription))")
        }
        hasher.update(data)
        byteCount += data.count
        if byteCount >= nextReport {
            report()
        }
    }

    private func report() {
        if let expectedBytes, expectedBytes > 0 {
            let percent = min(100, byteCount * 100 / expectedBytes)
            logger.info("downloading \(url.lastPathComponent): \(byteCount) of \(expectedBytes) bytes (\(percent)%)")
            nextReport = byteCount + max(expectedBytes / 10, 1)
        } else {
            logger.info("downloading \(url.lastPathComponent): \(byteCount) bytes")
            nextReport = byteCount + 8 << 20
        }
    }

    /// Flushes to disk so the rename that follows publishes complete bytes.
    func finish() throws {
        do {
            try handle.synchronize()
        } catch {
            throw AssetDownloadError(url: url, message: "flushing failed (\(error.localizedDescription))")
        }
        logger.info("downloaded \(url.lastPathComponent): \(byteCount) bytes")
    }

    func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
    }
}

import Dispatch
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

/// How long and how large one download may be (assets.download_timeout,
/// assets.download_total_timeout, assets.max_download_bytes).
struct DownloadLimits {
    /// Seconds allowed for every `progressQuantum` bytes: a link that drips a byte at a time is
    /// as stuck as a silent one.
    var progressTimeout: Double
    /// Seconds for the whole transfer.
    var totalTimeout: Double
    /// Largest file accepted: refused from its announced length, or cut when it grows past it.
    var maxBytes: Int

    static let progressQuantum = 64 * 1024

    init(_ configuration: MAXConfiguration) {
        progressTimeout = configuration.downloadTimeout
        totalTimeout = configuration.downloadTotalTimeout
        maxBytes = configuration.maxDownloadBytes
    }
}

/// Streams a URL into a file, hashing the bytes as they are written. http and https go through
/// URLSession; file URLs are copied. A watchdog enforces `DownloadLimits`; `interruption` ends
/// the transfer when a termination signal arrives. The caller owns `destination` and deletes it
/// on failure.
enum AssetDownloader {
    static func download(_ url: URL, to destination: URL, limits: DownloadLimits, interruption: DownloadInterruption,
                         logger: Logger) throws -> DownloadResult {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw AssetDownloadError(url: url, message: "cannot create \(destination.path)")
        }
        let writer = try HashingFileWriter(destination, url: url, logger: logger)
        defer { writer.close() }
        let transfer = Transfer(url: url, writer: writer, limits: limits, interruption: interruption)
        switch url.scheme?.lowercased() {
        case "file": try copyFile(url, transfer: transfer)
        case "http", "https": try fetch(url, transfer: transfer)
        default: throw AssetDownloadError(url: url, message: "unsupported URL scheme (use http, https or file)")
        }
        try writer.finish()
        return DownloadResult(byteCount: writer.byteCount, md5: writer.hasher.hexDigest())
    }

    private static func copyFile(_ url: URL, transfer: Transfer) throws {
        let source: FileHandle
        do {
            source = try FileHandle(forReadingFrom: url)
        } catch {
            throw AssetDownloadError(url: url, message: "cannot open \(url.path) (\(error.localizedDescription))")
        }
        defer { try? source.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        if let size { transfer.announce(size) }
        while transfer.failure == nil {
            let chunk: Data
            do {
                guard let read = try source.read(upToCount: 1 << 20), !read.isEmpty else { break }
                chunk = read
            } catch {
                throw AssetDownloadError(url: url, message: "reading failed (\(error.localizedDescription))")
            }
            transfer.receive(chunk)
            transfer.checkTime()
        }
        if let failure = transfer.failure { throw AssetDownloadError(url: url, message: failure) }
    }

    private static func fetch(_ url: URL, transfer: Transfer) throws {
        let configuration = URLSessionConfiguration.ephemeral
        // The watchdog measures progress and the total; URLSession's own timers only back it up.
        configuration.timeoutIntervalForRequest = transfer.limits.progressTimeout + 1
        configuration.timeoutIntervalForResource = transfer.limits.totalTimeout + 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let delegate = TransferDelegate(transfer: transfer)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        let task = session.dataTask(with: url)
        transfer.onFailure { task.cancel() }
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        let tick = max(0.02, min(0.25, transfer.limits.progressTimeout / 4))
        watchdog.schedule(deadline: .now() + tick, repeating: tick)
        watchdog.setEventHandler { transfer.checkTime() }
        watchdog.resume()
        task.resume()
        delegate.finished.wait()
        watchdog.cancel()
        session.finishTasksAndInvalidate()
        if let failure = transfer.failure { throw AssetDownloadError(url: url, message: failure) }
        if let expected = transfer.writer.expectedBytes, expected != transfer.writer.byteCount {
            throw AssetDownloadError(url: url, message: "transfer cut short: received \(transfer.writer.byteCount) of \(expected) bytes")
        }
    }

    /// Seconds as a person writes them: 1, 2.5, 0.25.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// One transfer's progress against its limits. URLSession's callbacks, the watchdog timer and a
/// signal handler all touch it, so every field is guarded by `lock`; the first failure wins.
private final class Transfer: @unchecked Sendable {
    let url: URL
    let writer: HashingFileWriter
    let limits: DownloadLimits
    let interruption: DownloadInterruption
    private let lock = NSLock()
    private let started = Date()
    private var progressMarkBytes = 0
    private var progressMarkTime = Date()
    private var receivedBytes = 0
    private var announcedBytes: Int?
    private var failureMessage: String?
    private var cancel: (() -> Void)?

    init(url: URL, writer: HashingFileWriter, limits: DownloadLimits, interruption: DownloadInterruption) {
        self.url = url
        self.writer = writer
        self.limits = limits
        self.interruption = interruption
    }

    var failure: String? { lock.lock(); defer { lock.unlock() }; return failureMessage }

    /// Called once the transfer can be stopped (the URLSession task exists).
    func onFailure(_ cancel: @escaping () -> Void) {
        lock.lock()
        let alreadyFailed = failureMessage != nil
        self.cancel = cancel
        lock.unlock()
        if alreadyFailed { cancel() }
    }

    func fail(_ message: String) {
        lock.lock()
        guard failureMessage == nil else { lock.unlock(); return }
        failureMessage = message
        let cancel = self.cancel
        lock.unlock()
        cancel?()
    }

    /// The size the source announces: refused at once when over the cap.
    func announce(_ bytes: Int) {
        writer.expectedBytes = bytes
        lock.lock(); announcedBytes = bytes; lock.unlock()
        if bytes > limits.maxBytes {
            fail("the server announces \(bytes) bytes, more than assets.max_download_bytes (\(limits.maxBytes))")
        }
    }

    func receive(_ data: Data) {
        guard failure == nil else { return }
        guard writer.byteCount + data.count <= limits.maxBytes else {
            fail("the download grew to more than \(limits.maxBytes) bytes (assets.max_download_bytes); stopped there")
            return
        }
        do {
            try writer.write(data)
        } catch {
            fail("\(error)")
            return
        }
        lock.lock()
        receivedBytes = writer.byteCount
        if receivedBytes - progressMarkBytes >= DownloadLimits.progressQuantum {
            progressMarkBytes = receivedBytes
            progressMarkTime = Date()
        }
        lock.unlock()
    }

    /// "N of M bytes received", for messages.
    private var receivedText: String {
        lock.lock(); defer { lock.unlock() }
        return "\(receivedBytes) of \(announcedBytes.map(String.init) ?? "?") bytes received"
    }

    /// Fails the transfer when a termination signal arrived, or it ran out of time in total or
    /// for its latest 64 KiB.
    func checkTime() {
        if let name = interruption.signalName {
            fail("interrupted by \(name)")
            return
        }
        lock.lock()
        let now = Date()
        let total = now.timeIntervalSince(started)
        let sinceProgress = now.timeIntervalSince(progressMarkTime)
        lock.unlock()
        let received = receivedText
        if total > limits.totalTimeout {
            fail("timed out after \(AssetDownloader.seconds(limits.totalTimeout)) s in total (\(received); assets.download_total_timeout)")
        } else if sinceProgress > limits.progressTimeout {
            fail("timed out after \(AssetDownloader.seconds(limits.progressTimeout)) s: less than 64 KiB arrived in that time (\(received); assets.download_timeout)")
        }
    }

    /// URLSession's own error, in words.
    func failFromSession(_ error: Error) {
        let code = (error as? URLError)?.code
        switch code {
        case .timedOut?:
            fail("timed out after \(AssetDownloader.seconds(limits.progressTimeout)) s without receiving data (\(receivedText); assets.download_timeout)")
        case .cannotConnectToHost?:
            fail("cannot connect to \(url.host ?? "the host")\(url.port.map { ":\($0)" } ?? ""): connection refused")
        case .cannotFindHost?, .dnsLookupFailed?:
            fail("cannot resolve the host name \(url.host ?? "")")
        case .networkConnectionLost?:
            fail("the connection was lost (\(receivedText))")
        case .cancelled?:
            fail("the transfer was cancelled")
        default:
            fail(error.localizedDescription)
        }
    }
}

/// Receives URLSession's callbacks on one serial queue and writes each chunk as it arrives.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let transfer: Transfer
    let finished = DispatchSemaphore(value: 0)

    init(transfer: Transfer) { self.transfer = transfer }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            transfer.fail("the server answered HTTP \(http.statusCode)")
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength >= 0 { transfer.announce(Int(response.expectedContentLength)) }
        completionHandler(transfer.failure == nil ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        transfer.receive(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error { transfer.failFromSession(error) }
        finished.signal()
    }
}

/// Termination signals (SIGTERM, SIGINT) during start-up downloads: instead of ending the
/// process with a partial file left in the asset folder, the signal is noted, the download in
/// progress stops at its next check (the watchdog's tick, a quarter second at most), its
/// temporary file is removed, and the start-up fails with "interrupted by SIGTERM". The signals
/// are caught by `TerminationSignals` (HTTPServer), the process's one handler for them.
struct DownloadInterruption: Sendable {
    let mark: TerminationSignals.Mark

    /// The signal that arrived during `run`, if one did.
    var signalName: String? { TerminationSignals.caught(since: mark) }

    /// Runs `body` with SIGTERM and SIGINT noted instead of ending the process.
    static func run<T>(_ body: (DownloadInterruption) throws -> T) rethrows -> T {
        try TerminationSignals.whileCaught { mark in try body(DownloadInterruption(mark: mark)) }
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

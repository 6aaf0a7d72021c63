import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MAXFramework

/// POSTs a JSON body and waits for the answer's status: the engine's callbacks and announcements.
/// URLSession, so http and https both work.
struct JSONPoster: Sendable {
    var timeout: Double = 10

    /// The answer's status code, or throws with the reason the request failed.
    func post(_ body: JSONValue, to url: URL) throws -> Int {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.serialized.utf8)
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            outcome.set(status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw PostFailure(description: "no answer from \(url.absoluteString) within \(Int(timeout)) s")
        }
        let (status, error) = outcome.value
        if let error { throw PostFailure(description: "\(url.absoluteString): \(error.localizedDescription)") }
        guard let status else { throw PostFailure(description: "\(url.absoluteString) gave no HTTP answer") }
        return status
    }

    struct PostFailure: Error, CustomStringConvertible { let description: String }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        private var error: Error?
        func set(status: Int?, error: Error?) { lock.lock(); self.status = status; self.error = error; lock.unlock() }
        var value: (Int?, Error?) { lock.lock(); defer { lock.unlock() }; return (status, error) }
    }
}

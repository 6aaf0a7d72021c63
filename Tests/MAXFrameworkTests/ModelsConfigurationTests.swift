import Foundation
import Logging
import MAXFramework
import TestSupport
import XCTest

/// `models: [...]`, the single `model` section, model files beside the config, plugin options.
final class ModelsConfigurationTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }

    func load(_ json: String, environment: [String: String] = [:], overrides: [String: String] = [:],
              workingDirectory: URL? = nil) throws -> LoadedConfiguration {
        let file = try folder.write("conf/config.json", json)
        return try MAXConfiguration.load(file: file, environment: environment, overrides: overrides,
                                         workingDirectory: workingDirectory ?? folder.url)
    }

    func testAListOfModelsIsReadInOrder() throws {
        let loaded = try load("""
            {"models": [
              {"id": "digits", "plugin": "mnist", "metadata": {"name": "Digits"}},
              {"plugin": "keras-classifier", "file": "fashion.h5", "options": {"labels": ["a", "b"]}, "colour": "red"}
            ]}
            """)
        let models = loaded.configuration.models
        XCTAssertEqual(models.map(\.resolvedID), ["digits", "keras-classifier"])
        XCTAssertEqual(models[0].metadata, ["name": "Digits"])
        XCTAssertEqual(models[1].file, "fashion.h5")
        XCTAssertEqual(models[1].options["labels"], .array([.string("a"), .string("b")]))
        XCTAssertEqual(loaded.warnings.count, 1)
        XCTAssertTrue(loaded.warnings[0].contains("models[1].colour"), loaded.warnings[0])
    }

    func testModelAndModelsTogetherAreRefused() {
        XCTAssertThrowsError(try load(#"{"model": {"plugin": "mnist"}, "models": [{"plugin": "mnist"}]}"#)) { error in
            XCTAssertTrue("\(error)".contains("both \"model\" and \"models\""), "\(error)")
        }
    }

    func testModelEntriesAreChecked() {
        let cases: [(String, String)] = [
            (#"{"models": []}"#, "config.json: models: expected a non-empty array"),
            (#"{"models": [{"id": "x"}]}"#, "config.json: models[0].plugin: every model names the plugin"),
            (#"{"models": [{"plugin": "mnist"}, {"plugin": "mnist"}]}"#, "config.json: models[1].id: two models are called 'mnist'"),
            (#"{"models": [{"plugin": "mnist", "id": "a/b"}]}"#, "models[0].id: 'a/b' cannot be part of a URL path"),
            (#"{"models": [{"plugin": "mnist", "options": 3}]}"#, "models[0].options: expected an object"),
            (#"{"models": [{"plugin": "mnist", "asset": "m.h5"}]}"#, "models[0].asset: 'm.h5' is not listed under assets.files"),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try load(json), json) { error in
                XCTAssertTrue("\(error)".contains(message), "'\(error)' should contain '\(message)'")
            }
        }
    }

    func testTheSingleModelSectionStillWorksAndFlagsSetTheDefaultModel() throws {
        let loaded = try load(#"{"model": {"plugin": "byte-stats", "id": "bytes"}}"#, environment: ["MAX_MODEL_ID": "renamed"])
        XCTAssertEqual(loaded.configuration.models.map(\.resolvedID), ["renamed"])
        XCTAssertEqual(loaded.configuration.modelPlugin, "byte-stats")
    }

    func testModelFilePathsFromTheFileAreResolvedBesideIt() throws {
        let elsewhere = try folder.write("cwd/.keep", "")
        let cwd = elsewhere.deletingLastPathComponent()
        let fromFile = try load(#"{"model": {"plugin": "byte-stats", "file": "weights/m.h5"}}"#, workingDirectory: cwd)
        XCTAssertEqual(fromFile.configuration.resolve(fromFile.configuration.modelFile!).standardizedFileURL.path,
                       folder.url.appendingPathComponent("conf/weights/m.h5").standardizedFileURL.path)
        let fromFlag = try load(#"{"model": {"plugin": "byte-stats"}}"#, overrides: ["model.file": "own.h5"])
        XCTAssertEqual(fromFlag.configuration.modelFile,
                       URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("own.h5").path,
                       "a path typed on the command line is the user's, relative to where they are")
    }

    // MARK: Plugin options

    let optionPlugin = ModelPlugin(name: "opts", options: [
        PluginOption("resize", .oneOf(strings: ["stretch", "fit", "crop"]), "How to resize", default: .string("stretch")),
        PluginOption("scale", Schema.number.range(0, nil), "Multiplier", default: .number(1)),
        PluginOption("labels", .array(of: .string), "Class names"),
    ]) { _ in ByteStatsModel() }

    func testOptionsGetTheirDefaultsAndUnknownKeysAWarningWithAHint() throws {
        var warnings: [String] = []
        let options = try optionPlugin.checkedOptions(.object([("resise", .string("fit")), ("scale", .int(2))]),
                                                      place: "config.json: models[1]", warnings: &warnings)
        XCTAssertEqual(options, .object([("resize", .string("stretch")), ("scale", .int(2))]))
        XCTAssertEqual(warnings, ["config.json: models[1].options: the plugin 'opts' has no option 'resise'; ignored (did you mean 'resize'?)"])
    }

    func testAWrongOptionTypeStopsStartUpNamingKeyAndSource() throws {
        var warnings: [String] = []
        let cases: [(JSONValue, String)] = [
            (.object([("resize", .string("squash"))]), "configuration error: config.json: model.options.resize: expected one of 'stretch', 'fit', 'crop', got 'squash'"),
            (.object([("scale", .string("2"))]), "configuration error: config.json: model.options.scale: expected a number, got a string"),
            (.object([("labels", .array([.string("a"), .int(3)]))]), "configuration error: config.json: model.options.labels: labels[1]: expected a string, got a number"),
        ]
        for (options, message) in cases {
            XCTAssertThrowsError(try optionPlugin.checkedOptions(options, place: "config.json: model", warnings: &warnings)) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testOptionErrorsStopTheServiceBeforeAnyAssetWork() throws {
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.modelPlugin = "opts"
        configuration.modelOptions = .object([("scale", .int(-1))])
        XCTAssertThrowsError(try MAXService.loadModels(configuration, plugins: [optionPlugin], logger: LogCapture().logger())) { error in
            XCTAssertEqual("\(error)", "configuration error: model.options.scale: -1 is below the minimum 0")
        }
    }

    // MARK: Several models served

    func testSeveralModelsServedOverTheWire() throws {
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        var mean = ModelConfiguration(id: "average", plugin: "mean")
        mean.metadata = ["name": "Average"]
        configuration.models = [ModelConfiguration(plugin: "byte-stats"), mean]
        let plugins = [ByteStatsModel.plugin, ModelPlugin(name: "mean") { _ in MeanModel() }]
        let log = LogCapture()
        let service = try MAXService.start(configuration, plugins: plugins, logger: log.logger())
        defer { service.shutdown() }
        let client = HTTPTestClient(port: service.port)

        let list = try JSONValue.parse(try client.send("GET", "/models").body)
        XCTAssertEqual(list["models"]?.arrayValue?.map { $0["id"]?.stringValue }, ["byte-stats", "average"])
        XCTAssertEqual(try JSONValue.parse(try client.send("GET", "/models/average/metadata").body)["name"], .string("Average"))
        let predicted = try client.send("POST", "/models/average/predict", headers: [("Content-Type", "application/json")],
                                        body: Array(#"{"numbers": [3, 5]}"#.utf8))
        XCTAssertEqual(predicted.text, #"{"status": "ok", "predictions": [{"mean": 4.0, "count": 2}]}"#)
        let defaultModel = try client.send("POST", "/model/predict", headers: [("Content-Type", "image/png")], body: [1, 2])
        XCTAssertEqual(try JSONValue.parse(defaultModel.body)["predictions"]?.arrayValue?.first?["sum"], .int(3))
        let swagger = try JSONValue.parse(try client.send("GET", "/swagger.json").body)
        XCTAssertNotNil(swagger["paths"]?["/models/average/predict"])
        XCTAssertTrue(log.contains("models: byte-stats, average"), "the start-up line names the models")
    }
}

import DigitsRecognition
import ImageStats
import MAXFramework
import MNIST

/// Every model plugin built into the executable; config.json `model.plugin` picks one by name.
/// Add a plugin: write its `ModelWrapper` with a `static let plugin`, list it here.
let registeredPlugins: [ModelPlugin] = [
    MNISTModel.plugin,
    ImageStatsModel.plugin,
]

/// Every protocol adapter built into the executable: each adds its routes beside MAX's (or none,
/// when its configuration leaves it off). Add one: a `RouteProvider` in its module, listed here.
let registeredRouteProviders: [RouteProvider] = [
    MNISTRoutes.provider,
    DigitsRecognitionRoutes.provider,
]
